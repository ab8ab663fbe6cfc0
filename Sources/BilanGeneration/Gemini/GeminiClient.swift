import BilanCore
import BilanMail
import BilanHTTP
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What the passes need from Gemini; the real client and test doubles conform.
public protocol GeminiGenerating {
    func generate(_ request: GeminiRequest, metadata: Logger.Metadata) throws(GeminiError) -> GeminiAnswer
}

/// `POST {GEMINI_BASE_URL}/v1beta/models/{model}:generateContent` over
/// libcurl, key in `x-goog-api-key` (never in the URL, so never in a log),
/// with bounded retries per `RetryPolicy`. When a model answers 404 (retired
/// or unknown) the next of `GEMINI_FALLBACK_MODELS` is asked, and stays in use
/// for the rest of the process.
public struct GeminiClient: GeminiGenerating {
    let baseURL: String
    let models: ModelChoice
    let settings: GenerationSettings
    let apiKey: String
    let timeoutSeconds: Int
    let policy: RetryPolicy
    let logger: Logger
    let sleep: (Double) -> Void

    public init(configuration: Configuration, policy: RetryPolicy, logger: Logger, sleep: @escaping (Double) -> Void = GeminiClient.sleep) {
        self.baseURL = configuration.geminiBaseURL
        self.models = ModelChoice(primary: configuration.geminiModel, fallbacks: configuration.geminiFallbackModels)
        self.settings = GenerationSettings(configuration: configuration)
        self.apiKey = configuration.geminiAPIKey ?? ""
        self.timeoutSeconds = configuration.geminiTimeoutSeconds
        self.policy = policy
        self.logger = logger
        self.sleep = sleep
    }

    public static func sleep(_ seconds: Double) {
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var left = timespec()
        while nanosleep(&remaining, &left) != 0 && errno == EINTR { remaining = left }
    }

    public func generate(_ request: GeminiRequest, metadata: Logger.Metadata) throws(GeminiError) -> GeminiAnswer {
        while let model = models.current {
            var modelMetadata = metadata
            modelMetadata["model"] = "\(model)"
            if models.usingFallback {
                logger.warning(
                    "gemini fallback model in use",
                    metadata: modelMetadata.merging(["primary": "\(models.primary)", "setting": "GEMINI_MODEL"]) { $1 })
            }
            do {
                return try generate(request, model: model, metadata: modelMetadata)
            } catch where error.kind == .modelMissing {
                logger.warning("gemini model not found, trying the next one", metadata: modelMetadata)
                models.giveUp(model)
            }
        }
        throw GeminiError(
            .modelMissing,
            "no configured model is served (\(models.all.joined(separator: ", ")) answered 404 NOT_FOUND): "
                + "set GEMINI_MODEL or GEMINI_FALLBACK_MODELS to a current model", httpStatus: 404)
    }

    /// One model, with the retry policy.
    private func generate(_ request: GeminiRequest, model: String, metadata: Logger.Metadata) throws(GeminiError) -> GeminiAnswer {
        var current = request
        var attempt = 1
        while true {
            let started = UTCTime.monotonicSeconds()
            var logMetadata = metadata
            logMetadata["attempt"] = "\(attempt)"
            do {
                var answer = try callOnce(current, model: model)
                answer.model = model
                logMetadata["ms"] = "\(Int((UTCTime.monotonicSeconds() - started) * 1000))"
                logMetadata["http"] = "200"
                logMetadata["model_version"] = "\(answer.modelVersion)"
                logMetadata["tokens_in"] = "\(answer.promptTokens)"
                logMetadata["tokens_out"] = "\(answer.outputTokens)"
                logMetadata["tokens_total"] = "\(answer.totalTokens)"
                logger.info("gemini call succeeded", metadata: logMetadata)
                return answer
            } catch {
                logMetadata["ms"] = "\(Int((UTCTime.monotonicSeconds() - started) * 1000))"
                logMetadata["http"] = "\(error.httpStatus.map(String.init) ?? "-")"
                logMetadata["cause"] = "\(error.detail)"
                guard let wait = policy.delay(afterAttempt: attempt, error: error, jitter: Double.random(in: 0..<1))
                else {
                    logger.warning("gemini call failed", metadata: logMetadata)
                    throw error
                }
                logMetadata["retry_in_s"] = "\(String(format1: wait))"
                logger.warning("gemini call failed, retrying", metadata: logMetadata)
                if error.kind == .truncated { current.maxOutputTokens = min(65536, current.maxOutputTokens * 2) }
                sleep(wait)
                attempt += 1
            }
        }
    }

    private func callOnce(_ request: GeminiRequest, model: String) throws(GeminiError) -> GeminiAnswer {
        let body: [UInt8]
        let status: Int
        do {
            let curl = try CurlEasy()
            try curl.set(.url("\(baseURL)/v1beta/models/\(model):generateContent"))
            try curl.set(.headers(["Content-Type: application/json", "x-goog-api-key: \(apiKey)"]))
            try curl.postBody(request.body(for: model, settings: settings).serializedBytes)
            try curl.set(.connectTimeout(seconds: 10))
            try curl.set(.timeout(seconds: timeoutSeconds))
            body = try curl.perform()
            status = curl.responseCode
        } catch {
            throw GeminiError(
                error.isTransient ? .retryable : .rejected, error.isTimeout ? "timeout: \(error.message)" : error.message)
        }
        guard status == 200 else { throw GeminiResponseParser.error(status: status, body: body) }
        return try GeminiResponseParser.answer(from: body)
    }
}

/// The configured models in order and the one in use: a model that answered
/// 404 is not asked again by this process.
public final class ModelChoice: @unchecked Sendable {
    public let primary: String
    public let all: [String]
    private var index = 0

    public init(primary: String, fallbacks: [String]) {
        self.primary = primary
        var models = [primary]
        for model in fallbacks where !models.contains(model) { models.append(model) }
        self.all = models
    }

    public var current: String? { index < all.count ? all[index] : nil }
    public var usingFallback: Bool { index > 0 && index < all.count }

    func giveUp(_ model: String) {
        if current == model { index += 1 }
    }
}

extension String {
    /// One decimal, without Foundation's `String(format:)`.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
