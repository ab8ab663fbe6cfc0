import BilanCore
import Logging

/// How one generation run of a bilan ended.
public enum GenerationOutcome: Equatable, Sendable {
    case completed
    case failed(detail: String)
    case requeued(detail: String, delaySeconds: Double)
}

/// Runs the passes still missing for a claimed bilan, checkpointing each one,
/// then checks (and if need be repairs) the report and records the outcome.
/// A restarted run resumes at the first pass whose checkpoint is absent: a
/// saved pass is never requested again.
public struct PassRunner {
    let store: any GenerationStore
    let gemini: any GeminiGenerating
    let prompts: PromptBuilder
    let materials: ReportMaterials
    let check: ReportCheck
    let logger: Logger
    let maxAttempts: Int
    let requeueBaseSeconds: Double
    let catalog: any ProgrammeCatalog

    public init(
        store: any GenerationStore, gemini: any GeminiGenerating, prompts: PromptBuilder, materials: ReportMaterials,
        check: ReportCheck, logger: Logger, maxAttempts: Int, requeueBaseSeconds: Double,
        catalog: any ProgrammeCatalog = NoProgrammeCatalog()
    ) {
        self.catalog = catalog
        self.store = store
        self.gemini = gemini
        self.prompts = prompts
        self.materials = materials
        self.check = check
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.requeueBaseSeconds = requeueBaseSeconds
    }

    /// How long a bilan waits for a configured model to answer again.
    static let maxWaitForAModelSeconds: Int64 = 86_400

    public func run(_ bilan: ClaimedBilan) throws -> GenerationOutcome {
        var metadata: Logger.Metadata = ["bilan": "\(bilan.id)", "attempt": "\(bilan.attempts)"]
        if bilan.attempts > maxAttempts {
            return try fail(bilan, .attempts, message: BilanMessages.tooManyAttempts, detail: "attempt limit (\(maxAttempts)) reached")
        }
        var subject = PromptBuilder.Subject(
            questionnaire: bilan.questionnaire, checkpoints: bilan.checkpoints, distress: try distress(bilan),
            programmes: bilan.programmes)
        do {
            let system = try prompts.systemInstruction()
            for pass in Pass.allCases where subject.checkpoints[pass.key] == nil {
                metadata["pass"] = "\(pass.key)"
                if pass == .terrain, subject.programmes == nil {
                    subject.programmes = try selectProgrammes(bilan, metadata: metadata)
                }
                try store.startPass(bilan.id, step: pass.rawValue)
                logger.info("pass started", metadata: metadata)
                let (output, version) = try runPass(pass, system: system, subject: subject, metadata: metadata)
                try saveCheckpoint(bilan, pass.key, output, step: min(pass.rawValue + 1, Pass.terrain.rawValue), version: version)
                subject.checkpoints = checkpointsAdding(subject.checkpoints, pass.key, output)
                logger.info("pass checkpointed", metadata: metadata)
            }
            guard let draft = subject.checkpoints[Pass.terrain.key]?.stringValue else {
                return try requeue(bilan, detail: "no final report after the passes")
            }
            metadata["pass"] = "check"
            let finisher = ReportFinisher(gemini: gemini, prompts: prompts, check: check, logger: logger)
            let outcome = try finisher.finish(
                draft: draft, repaired: subject.checkpoints[ReportFinisher.repairKey]?.stringValue, subject: subject,
                system: system, metadata: metadata
            ) { repaired, version in
                try saveCheckpoint(bilan, ReportFinisher.repairKey, .string(repaired), step: Pass.terrain.rawValue, version: version)
            }
            switch outcome {
            case .publish(let report, let verdict, let rendered):
                try store.complete(bilan.id, report: report, verdict: verdict, rendered: rendered)
                logger.info("bilan completed", metadata: ["bilan": "\(bilan.id)", "repaired": "\(verdict.repaired)"])
                return .completed
            case .refuse(let verdict, let detail):
                return try fail(bilan, .reportRefused, message: BilanMessages.reportRefused, detail: detail, verdict: verdict)
            }
        } catch let error as GeminiError {
            return try settle(bilan, error: error)
        } catch let error as TemplateLibrary.Missing {
            // A site's template broken or missing: retried, so fixing the file is enough.
            return try requeue(bilan, detail: error.description)
        }
    }

    /// The stored flag, or today's phrase list (a phrase may have been added
    /// since the bilan was created).
    private func distress(_ bilan: ClaimedBilan) throws -> Bool {
        if bilan.distressFlag { return true }
        guard materials.distress.showsDistress(bilan.questionnaire) else { return false }
        try store.flagDistress(bilan.id)
        logger.warning("bilan flagged: a free text shows distress", metadata: ["bilan": "\(bilan.id)"])
        return true
    }

    /// The Parcoursup programmes of the terrain pass (SPEC §13), chosen once
    /// and stored with the bilan. No data, or no table yet (migration 0008
    /// not applied): no rows, and the report is written as before.
    private func selectProgrammes(_ bilan: ClaimedBilan, metadata: Logger.Metadata) throws -> ProgrammeSelection {
        var selection = ProgrammeSelection(session: nil, scope: "aucun type d'études indiqué", rows: [])
        if let request = ProgrammeRequest(questionnaire: bilan.questionnaire, mapping: materials.parcoursup) {
            do {
                selection = try catalog.programmes(for: request)
            } catch let error as DatabaseError where error.kind == .queryFailed {
                logger.warning(
                    "Parcoursup data unreadable; report written without it",
                    metadata: metadata.merging(["cause": "\(error.message)"]) { $1 })
                selection = ProgrammeSelection(session: nil, scope: request.scope, rows: [])
            }
        }
        try store.saveProgrammes(bilan.id, selection: selection)
        logger.info(
            "programmes selected",
            metadata: metadata.merging(["rows": "\(selection.rows.count)", "session": "\(selection.session ?? 0)"]) { $1 })
        return selection
    }

    /// One pass: prompt, call, validation. An invalid answer counts as a
    /// failed try of the same call.
    private func runPass(_ pass: Pass, system: String, subject: PromptBuilder.Subject, metadata: Logger.Metadata)
        throws -> (JSONValue, String)
    {
        let request = GeminiRequest(
            systemInstruction: system, prompt: try prompts.prompt(for: pass, subject),
            responseSchema: try prompts.responseSchema(for: pass), maxOutputTokens: pass.maxOutputTokens)
        var lastProblem = ""
        for validationTry in 1...2 {
            let answer = try gemini.generate(request, metadata: metadata)
            do {
                return (try PassValidation.checkpoint(for: pass, answer: answer.text), answer.modelVersion)
            } catch {
                lastProblem = error.description
                logger.warning(
                    "pass answer rejected", metadata: metadata.merging(["cause": "\(error.description)", "try": "\(validationTry)"]) { $1 })
            }
        }
        throw GeminiError(.retryable, "invalid answer: \(lastProblem)")
    }

    private func saveCheckpoint(_ bilan: ClaimedBilan, _ key: String, _ output: JSONValue, step: Int, version: String) throws {
        try store.saveCheckpoint(bilan.id, key: key, value: output, nextStep: step, modelVersion: version)
    }

    /// Refusals and rejected requests fail the bilan now; a model that no
    /// longer exists requeues it without using an attempt (the setting must
    /// change, not the bilan); everything else goes back to the queue with a
    /// growing delay until the attempts run out.
    private func settle(_ bilan: ClaimedBilan, error: GeminiError) throws -> GenerationOutcome {
        switch error.kind {
        case .refused:
            return try fail(bilan, .contentRefused, message: BilanMessages.contentRefused, detail: error.description)
        case .rejected:
            return try fail(bilan, .service, message: BilanMessages.serviceMisconfigured, detail: error.description)
        case .modelMissing:
            logger.critical(
                "no configured Gemini model answers: change GEMINI_MODEL or GEMINI_FALLBACK_MODELS",
                metadata: ["bilan": "\(bilan.id)", "cause": "\(error.detail)"])
            // Waiting for the operator, but not forever: a student is told after a day.
            if bilan.ageSeconds > Self.maxWaitForAModelSeconds {
                return try fail(bilan, .service, message: BilanMessages.serviceMisconfigured, detail: error.description)
            }
            return try requeue(bilan, detail: error.description, countsAsAttempt: false)
        case .retryable, .truncated, .exhausted:
            if bilan.attempts >= maxAttempts {
                return try fail(bilan, .attempts, message: BilanMessages.tooManyAttempts, detail: error.description)
            }
            return try requeue(bilan, detail: error.description)
        }
    }

    private func fail(
        _ bilan: ClaimedBilan, _ kind: FailureKind, message: String, detail: String, verdict: ReportVerdict? = nil
    ) throws -> GenerationOutcome {
        try store.fail(bilan.id, kind: kind, message: message, detail: detail, verdict: verdict)
        logger.error("bilan failed", metadata: ["bilan": "\(bilan.id)", "kind": "\(kind.rawValue)", "cause": "\(detail)"])
        return .failed(detail: detail)
    }

    private func requeue(_ bilan: ClaimedBilan, detail: String, countsAsAttempt: Bool = true) throws -> GenerationOutcome {
        let delay = RetryPolicy.requeueDelay(attempt: bilan.attempts, baseSeconds: requeueBaseSeconds)
        try store.requeue(bilan.id, delaySeconds: delay, detail: detail, countsAsAttempt: countsAsAttempt)
        logger.warning(
            "bilan requeued", metadata: ["bilan": "\(bilan.id)", "retry_in_s": "\(Int(delay))", "cause": "\(detail)"])
        return .requeued(detail: detail, delaySeconds: delay)
    }

    private func checkpointsAdding(_ checkpoints: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        .object((checkpoints.objectValue ?? []).filter { $0.0 != key } + [(key, value)])
    }
}
