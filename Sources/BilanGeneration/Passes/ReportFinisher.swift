import BilanCore
import Logging

/// The last step of a generation (SPEC §12): the written report goes through
/// the report check; if it breaks any rule it gets one repair call; off-list
/// links left after that become plain text; any other hard rule still broken
/// refuses the report. Soft rules never refuse one.
struct ReportFinisher {
    enum Outcome {
        case publish(report: String, verdict: ReportVerdict)
        case refuse(verdict: ReportVerdict, detail: String)
    }

    /// The repair's answer, saved like a pass so a restarted run does not
    /// repair twice.
    static let repairKey = "repair"

    let gemini: any GeminiGenerating
    let prompts: PromptBuilder
    let check: ReportCheck
    let logger: Logger

    /// `save` checkpoints the repaired report with the model version that wrote it.
    func finish(
        draft: String, repaired: String?, subject: PromptBuilder.Subject, system: String, metadata: Logger.Metadata,
        save: (String, String) throws -> Void
    ) throws -> Outcome {
        var report = repaired ?? draft
        var verdict = check.verify(report, questionnaire: subject.questionnaire)
        logger.info("report checked", metadata: metadata.merging(summary(verdict)) { $1 })
        var wasRepaired = repaired != nil
        if !wasRepaired, !verdict.allPassed {
            report = try repair(report, verdict: verdict, subject: subject, system: system, metadata: metadata, save: save)
            wasRepaired = true
            verdict = check.verify(report, questionnaire: subject.questionnaire)
            logger.info("repaired report checked", metadata: metadata.merging(summary(verdict)) { $1 })
        }
        var neutralised = 0
        if verdict.brokenHard.contains(where: { $0.id == "links" }) {
            (report, neutralised) = ReportLinks.neutraliseOffList(report, hosts: check.linkHosts)
            verdict = check.verify(report, questionnaire: subject.questionnaire)
            logger.warning("off-list links turned into text", metadata: metadata.merging(["links": "\(neutralised)"]) { $1 })
        }
        verdict.repaired = wasRepaired
        verdict.linksNeutralised = neutralised
        guard verdict.passed else {
            return .refuse(verdict: verdict, detail: "report check failed after repair: " + verdict.brokenHard.map { "\($0.id) (\($0.detail))" }.joined(separator: "; "))
        }
        return .publish(report: report, verdict: verdict)
    }

    private func repair(
        _ report: String, verdict: ReportVerdict, subject: PromptBuilder.Subject, system: String, metadata: Logger.Metadata,
        save: (String, String) throws -> Void
    ) throws -> String {
        var repairMetadata = metadata
        repairMetadata["pass"] = "repair"
        logger.info("report repair requested", metadata: repairMetadata.merging(summary(verdict)) { $1 })
        let request = GeminiRequest(
            systemInstruction: system, prompt: try prompts.repairPrompt(report: report, verdict: verdict, subject),
            responseSchema: nil, maxOutputTokens: Pass.terrain.maxOutputTokens)
        let answer = try gemini.generate(request, metadata: repairMetadata)
        let repaired = PassValidation.stripCodeFence(answer.text)
        try save(repaired, answer.modelVersion)
        return repaired
    }

    private func summary(_ verdict: ReportVerdict) -> Logger.Metadata {
        ["broken": "\(verdict.broken.map(\.id).joined(separator: ","))", "words": "\(verdict.words)", "passed": "\(verdict.passed)"]
    }
}
