/// When to try again, as pure functions of (attempt, error, random draw):
/// testable without a clock or a network.
public struct RetryPolicy: Sendable {
    /// Tries per Gemini call, the first included.
    public var maxTries: Int
    /// First backoff; doubles at each try.
    public var baseSeconds: Double
    /// No single wait is longer than this.
    public var capSeconds: Double

    public init(maxTries: Int, baseSeconds: Double, capSeconds: Double = 60) {
        self.maxTries = maxTries
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
    }

    /// The wait before try `attempt + 1` after `error` on try `attempt` (1-based),
    /// or nil when the call should give up. `jitter` is a draw in [0, 1).
    public func delay(afterAttempt attempt: Int, error: GeminiError, jitter: Double) -> Double? {
        guard attempt < maxTries else { return nil }
        switch error.kind {
        case .refused, .rejected, .exhausted, .modelMissing: return nil
        case .truncated: return 0  // retried at once with a larger output budget
        case .retryable:
            let exponential = baseSeconds * Double(1 << min(attempt - 1, 20))
            // Full jitter on top of the exponential step spreads out clients
            // that failed together; a server-given delay is a floor.
            let backoff = min(capSeconds, exponential * (1 + jitter))
            return min(capSeconds, max(backoff, error.retryAfterSeconds ?? 0))
        }
    }

    /// How long a bilan whose generation run failed transiently waits before
    /// the next run: 1, 2, 4 … minutes (scaled by `baseSeconds` of the queue), capped at 30 min.
    public static func requeueDelay(attempt: Int, baseSeconds: Double) -> Double {
        min(1800, baseSeconds * Double(1 << min(max(attempt - 1, 0), 20)))
    }
}
