import BilanCore
import BilanMarkdown
import Logging

/// The last step of a generation (SPEC §12): the written report goes through
/// the report check; if it breaks any rule it gets one repair call; off-list
/// links left after that become plain text; any other hard rule still broken
/// refuses the report. Soft rules never refuse one. With Parcoursup rows
/// (SPEC §13) the code's « Formations repérées » table goes into every
/// candidate before it is checked; the model only ever sees its own text.
struct ReportFinisher {
    enum Outcome {
        /// The report, its verdict, and its rendering when small enough to store.
        case publish(report: String, verdict: ReportVerdict, rendered: RenderedReport?)
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
        let table = FormationTable(selection: subject.programmes, linkHosts: check.linkHosts)
        let withTable = { (text: String) in table?.inserted(into: text) ?? text }
        var report = withTable(repaired ?? draft)
        var verdict = verify(report, subject)
        logger.info("report checked", metadata: metadata.merging(summary(verdict)) { $1 })
        var wasRepaired = repaired != nil
        if !wasRepaired, !verdict.allPassed {
            let own = try repair(draft, verdict: verdict, subject: subject, system: system, metadata: metadata, save: save)
            report = withTable(own)
            wasRepaired = true
            verdict = verify(report, subject)
            logger.info("repaired report checked", metadata: metadata.merging(summary(verdict)) { $1 })
        }
        var (candidate, neutralised) = cleaned(report, verdict, subject, metadata)
        if wasRepaired, !candidate.verdict.passed {
            // A repair never makes things worse: a draft whose only hard
            // fault was off-list links, or that broke soft rules only, is
            // published rather than a repair that broke a hard rule.
            let fullDraft = withTable(draft)
            let fallback = cleaned(fullDraft, verify(fullDraft, subject), subject, metadata)
            if fallback.candidate.verdict.passed {
                logger.warning("repair worse than the draft; the draft is published", metadata: metadata)
                (candidate, neutralised) = fallback
            }
        }
        report = candidate.report
        verdict = candidate.verdict
        verdict.repaired = wasRepaired
        verdict.linksNeutralised = neutralised
        guard verdict.passed else {
            return .refuse(verdict: verdict, detail: "report check failed after repair: " + verdict.brokenHard.map { "\($0.id) (\($0.detail))" }.joined(separator: "; "))
        }
        // Rendered once, here, so a page view never parses Markdown; cmark
        // also catches links the check did not see (entities, reference
        // definitions…), which the stored Markdown would keep.
        let rendered = MarkdownRenderer.render(report, linkHosts: check.linkHosts)
        guard rendered.droppedLinks.isEmpty else {
            if let index = verdict.rules.firstIndex(where: { $0.id == "links" }) {
                verdict.rules[index].ok = false
                verdict.rules[index].detail = "off-list, seen by cmark: " + rendered.droppedLinks.prefix(3).joined(separator: " ")
            }
            return .refuse(verdict: verdict, detail: "links the check did not see: \(rendered.droppedLinks.prefix(3))")
        }
        let fits = rendered.html.utf8.count <= RenderedReport.maxStoredBytes
        return .publish(report: report, verdict: verdict, rendered: fits ? rendered : nil)
    }

    /// The report with off-list links turned into text when that is its
    /// only hard fault left to fix, and its verdict.
    private func cleaned(
        _ report: String, _ verdict: ReportVerdict, _ subject: PromptBuilder.Subject, _ metadata: Logger.Metadata
    ) -> (candidate: (report: String, verdict: ReportVerdict), neutralised: Int)
    {
        guard verdict.brokenHard.contains(where: { $0.id == "links" }) else { return ((report, verdict), 0) }
        let (text, count) = ReportLinks.neutraliseOffList(report, hosts: check.linkHosts)
        logger.warning("off-list links turned into text", metadata: metadata.merging(["links": "\(count)"]) { $1 })
        return ((text, verify(text, subject)), count)
    }

    private func verify(_ report: String, _ subject: PromptBuilder.Subject) -> ReportVerdict {
        check.verify(report, questionnaire: subject.questionnaire, programmes: subject.programmes)
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
