import BilanCore
import BilanMail
import CCurl
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One `generateContent` request.
public struct GeminiRequest: Sendable {
    public var systemInstruction: String
    public var prompt: String
    /// When set, the answer is JSON conforming to this OpenAPI-subset schema.
    public var responseSchema: JSONValue?
    public var maxOutputTokens: Int

    public init(systemInstruction: String, prompt: String, responseSchema: JSONValue?, maxOutputTokens: Int) {
        self.systemInstruction = systemInstruction
        self.prompt = prompt
        self.responseSchema = responseSchema
        self.maxOutputTokens = maxOutputTokens
    }

    var body: JSONValue {
        var generation: [(String, JSONValue)] = [
            ("temperature", 0.7),
            ("maxOutputTokens", .number(Double(maxOutputTokens))),
            // Thinking tokens count against maxOutputTokens: a bounded budget
            // keeps room for the answer itself.
            ("thinkingConfig", ["thinkingBudget": 1024]),
        ]
        if let responseSchema {
            generation.append(("responseMimeType", "application/json"))
            generation.append(("responseSchema", responseSchema))
        }
        return [
            "systemInstruction": ["parts": [["text": .string(systemInstruction)]]],
            "contents": [["role": "user", "parts": [["text": .string(prompt)]]]],
            "generationConfig": .object(generation),
        ]
    }
}

/// What the passes need from Gemini; the real client and test doubles conform.
public protocol GeminiGenerating {
    func generate(_ request: GeminiRequest, metadata: Logger.Metadata) throws(GeminiError) -> GeminiAnswer
}

/// `POST {GEMINI_BASE_URL}/v1beta/models/{GEMINI_MODEL}:generateContent` over
/// libcurl, key in `x-goog-api-key` (never in the URL, so never in a log),
/// with bounded retries per `RetryPolicy`.
public struct GeminiClient: GeminiGenerating {
    let endpoint: String
    let apiKey: String
    let timeoutSeconds: Int
    let policy: RetryPolicy
    let logger: Logger
    let sleep: (Double) -> Void

    public init(configuration: Configuration, policy: RetryPolicy, logger: Logger, sleep: @escaping (Double) -> Void = GeminiClient.sleep) {
        self.endpoint = "\(configuration.geminiBaseURL)/v1beta/models/\(configuration.geminiModel):generateContent"
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
        var current = request
        var attempt = 1
        while true {
            let started = UTCTime.monotonicSeconds()
            var logMetadata = metadata
            logMetadata["attempt"] = "\(attempt)"
            do {
                let answer = try callOnce(current)
                logMetadata["ms"] = "\(Int((UTCTime.monotonicSeconds() - started) * 1000))"
                logMetadata["http"] = "200"
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

    private func callOnce(_ request: GeminiRequest) throws(GeminiError) -> GeminiAnswer {
        let body: [UInt8]
        let status: Int
        do {
            let curl = try CurlEasy()
            try curl.set(CURLOPT_URL, endpoint)
            try curl.set(CURLOPT_HTTPHEADER, list: ["Content-Type: application/json", "x-goog-api-key: \(apiKey)"])
            try curl.postBody(request.body.serializedBytes)
            try curl.set(CURLOPT_CONNECTTIMEOUT, 10)
            try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
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

extension String {
    /// One decimal, without Foundation's `String(format:)`.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
