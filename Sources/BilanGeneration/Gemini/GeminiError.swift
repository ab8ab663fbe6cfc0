/// Why a Gemini call gave no usable answer, classified by what to do next.
public struct GeminiError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Worth another try within the call (429, 5xx, timeouts, malformed or empty answers).
        case retryable
        /// The answer was cut by `maxOutputTokens`: retry with a larger budget.
        case truncated
        /// The content was refused (safety, recitation, blocked prompt): do not retry.
        case refused
        /// Our request or credentials are wrong (400, 401, 403, 404): do not retry.
        case rejected
        /// The model answered 404 NOT_FOUND (retired or misspelled): ask the
        /// next configured model; with none left, requeue the bilan.
        case modelMissing
        /// A quota that resets much later (per-day 429): give the bilan back to the queue.
        case exhausted
    }

    public var kind: Kind
    public var detail: String
    public var httpStatus: Int?
    /// `RetryInfo.retryDelay` (or `Retry-After`), in seconds, when the server gave one.
    public var retryAfterSeconds: Double?

    public init(_ kind: Kind, _ detail: String, httpStatus: Int? = nil, retryAfterSeconds: Double? = nil) {
        self.kind = kind
        self.detail = detail
        self.httpStatus = httpStatus
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String {
        "gemini \(kind)\(httpStatus.map { " http=\($0)" } ?? ""): \(detail)"
    }
}
