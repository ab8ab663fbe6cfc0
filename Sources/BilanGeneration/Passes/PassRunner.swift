import BilanCore
import Logging

/// How one generation run of a bilan ended.
public enum GenerationOutcome: Equatable, Sendable {
    case completed
    case failed(detail: String)
    case requeued(detail: String, delaySeconds: Double)
}

/// Runs the passes still missing for a claimed bilan, checkpointing each one,
/// and records the outcome. A restarted run resumes at the first pass whose
/// checkpoint is absent: a saved pass is never requested again.
public struct PassRunner {
    let connection: PGConnection
    let gemini: any GeminiGenerating
    let prompts: PromptBuilder
    let logger: Logger
    let maxAttempts: Int
    let requeueBaseSeconds: Double

    public init(
        connection: PGConnection, gemini: any GeminiGenerating, prompts: PromptBuilder, logger: Logger, maxAttempts: Int,
        requeueBaseSeconds: Double
    ) {
        self.connection = connection
        self.gemini = gemini
        self.prompts = prompts
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.requeueBaseSeconds = requeueBaseSeconds
    }

    public func run(_ bilan: ClaimedBilan) throws -> GenerationOutcome {
        var metadata: Logger.Metadata = ["bilan": "\(bilan.id)", "attempt": "\(bilan.attempts)"]
        if bilan.attempts > maxAttempts {
            return try fail(bilan, message: BilanMessages.tooManyAttempts, detail: "attempt limit (\(maxAttempts)) reached")
        }
        var checkpoints = bilan.checkpoints
        do {
            let system = try prompts.systemInstruction()
            for pass in Pass.allCases where checkpoints[pass.key] == nil {
                metadata["pass"] = "\(pass.key)"
                try connection.query(GenerationQueries.setStep.sql, [bilan.id, String(pass.rawValue)])
                logger.info("pass started", metadata: metadata)
                let output = try runPass(pass, system: system, bilan: bilan, checkpoints: checkpoints, metadata: metadata)
                let nextStep = min(pass.rawValue + 1, Pass.terrain.rawValue)
                try connection.query(
                    GenerationQueries.saveCheckpoint.sql, [bilan.id, pass.key, output.serialized, String(nextStep)])
                checkpoints = checkpointsAdding(checkpoints, pass.key, output)
                logger.info("pass checkpointed", metadata: metadata)
            }
        } catch let error as GeminiError {
            return try settle(bilan, error: error)
        } catch let error as TemplateLibrary.Missing {
            // A site's template broken or missing: retried, so fixing the file is enough.
            return try requeue(bilan, detail: error.description)
        }
        guard let report = checkpoints["terrain"]?.stringValue else {
            return try requeue(bilan, detail: "no final report after the passes")
        }
        try connection.query(GenerationQueries.complete.sql, [bilan.id, report])
        logger.info("bilan completed", metadata: ["bilan": "\(bilan.id)"])
        return .completed
    }

    /// One pass: prompt, call, validation. An invalid answer counts as a
    /// failed try of the same call.
    private func runPass(_ pass: Pass, system: String, bilan: ClaimedBilan, checkpoints: JSONValue, metadata: Logger.Metadata)
        throws -> JSONValue
    {
        let request = GeminiRequest(
            systemInstruction: system,
            prompt: try prompts.prompt(for: pass, questionnaire: bilan.questionnaire, checkpoints: checkpoints),
            responseSchema: try prompts.responseSchema(for: pass), maxOutputTokens: pass.maxOutputTokens)
        var lastProblem = ""
        for validationTry in 1...2 {
            let answer = try gemini.generate(request, metadata: metadata)
            do {
                return try PassValidation.checkpoint(for: pass, answer: answer.text)
            } catch {
                lastProblem = error.description
                logger.warning(
                    "pass answer rejected", metadata: metadata.merging(["cause": "\(error.description)", "try": "\(validationTry)"]) { $1 })
            }
        }
        throw GeminiError(.retryable, "invalid answer: \(lastProblem)")
    }

    /// Refusals and rejected requests fail the bilan now; everything else goes
    /// back to the queue with a growing delay until the attempts run out.
    private func settle(_ bilan: ClaimedBilan, error: GeminiError) throws -> GenerationOutcome {
        switch error.kind {
        case .refused:
            return try fail(bilan, message: BilanMessages.contentRefused, detail: error.description)
        case .rejected:
            return try fail(bilan, message: BilanMessages.serviceMisconfigured, detail: error.description)
        case .retryable, .truncated, .exhausted:
            if bilan.attempts >= maxAttempts {
                return try fail(bilan, message: BilanMessages.tooManyAttempts, detail: error.description)
            }
            return try requeue(bilan, detail: error.description)
        }
    }

    private func fail(_ bilan: ClaimedBilan, message: String, detail: String) throws -> GenerationOutcome {
        try connection.query(GenerationQueries.fail.sql, [bilan.id, message, detail])
        logger.error("bilan failed", metadata: ["bilan": "\(bilan.id)", "cause": "\(detail)"])
        return .failed(detail: detail)
    }

    private func requeue(_ bilan: ClaimedBilan, detail: String) throws -> GenerationOutcome {
        let delay = RetryPolicy.requeueDelay(attempt: bilan.attempts, baseSeconds: requeueBaseSeconds)
        try connection.query(GenerationQueries.requeue.sql, [bilan.id, String(delay), detail])
        logger.warning(
            "bilan requeued", metadata: ["bilan": "\(bilan.id)", "retry_in_s": "\(Int(delay))", "cause": "\(detail)"])
        return .requeued(detail: detail, delaySeconds: delay)
    }

    private func checkpointsAdding(_ checkpoints: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        .object((checkpoints.objectValue ?? []).filter { $0.0 != key } + [(key, value)])
    }
}
