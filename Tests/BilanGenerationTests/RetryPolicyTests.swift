import Testing
import BilanTestSupport
@testable import BilanGeneration

/// SPEC §7: exponential backoff with jitter, bounded tries, honouring the server's delay.
@Suite("Retry policy")
struct RetryPolicyTests {
    static let policy = RetryPolicy(maxTries: 5, baseSeconds: 2, capSeconds: 60)
    static let transient = GeminiError(.retryable, "503 UNAVAILABLE", httpStatus: 503)

    @Test func scheduleDoublesFromTheBase() {
        let delays = (1...4).map { Self.policy.delay(afterAttempt: $0, error: Self.transient, jitter: 0) }
        #expect(delays == [2, 4, 8, 16])
    }

    @Test func jitterIsBounded() {
        for attempt in 1...4 {
            let exponential = 2 * Double(1 << (attempt - 1))
            for jitter in stride(from: 0.0, to: 1.0, by: 0.05) {
                let delay = Self.policy.delay(afterAttempt: attempt, error: Self.transient, jitter: jitter)
                #expect(delay != nil)
                if let delay {
                    #expect(delay >= exponential && delay < 2 * exponential, "attempt \(attempt) jitter \(jitter): \(delay)")
                }
            }
        }
        // Different draws give different waits: jitter is not ignored.
        #expect(Self.policy.delay(afterAttempt: 2, error: Self.transient, jitter: 0.1)
            != Self.policy.delay(afterAttempt: 2, error: Self.transient, jitter: 0.9))
    }

    @Test func delaysAreCapped() {
        let long = RetryPolicy(maxTries: 30, baseSeconds: 2, capSeconds: 60)
        for attempt in 1..<30 {
            for jitter in [0.0, 0.5, 0.999] {
                let delay = long.delay(afterAttempt: attempt, error: Self.transient, jitter: jitter)
                #expect(delay != nil && delay! <= 60)
            }
        }
        #expect(long.delay(afterAttempt: 20, error: Self.transient, jitter: 0) == 60)
        #expect(long.delay(afterAttempt: 29, error: Self.transient, jitter: 0.5) == 60)
    }

    @Test func serverDelayIsAFloor() {
        let quota = GeminiError(.retryable, "429", httpStatus: 429, retryAfterSeconds: 38)
        #expect(Self.policy.delay(afterAttempt: 1, error: quota, jitter: 0) == 38)
        #expect(Self.policy.delay(afterAttempt: 1, error: quota, jitter: 0.99) == 38)
        // When the backoff is already longer, the backoff wins.
        let short = GeminiError(.retryable, "429", httpStatus: 429, retryAfterSeconds: 1)
        #expect(Self.policy.delay(afterAttempt: 3, error: short, jitter: 0) == 8)
    }

    @Test func givesUpAfterMaxTries() {
        #expect(Self.policy.delay(afterAttempt: 4, error: Self.transient, jitter: 0) != nil)
        #expect(Self.policy.delay(afterAttempt: 5, error: Self.transient, jitter: 0) == nil)
        #expect(Self.policy.delay(afterAttempt: 6, error: Self.transient, jitter: 0) == nil)
        let once = RetryPolicy(maxTries: 1, baseSeconds: 2)
        #expect(once.delay(afterAttempt: 1, error: Self.transient, jitter: 0) == nil)
    }

    /// `.modelMissing` is not retried on the same model: the client moves to the next one.
    @Test(arguments: [GeminiError.Kind.refused, .rejected, .exhausted, .modelMissing])
    func neverRetriesFinalErrors(_ kind: GeminiError.Kind) {
        let error = GeminiError(kind, "final", httpStatus: 400, retryAfterSeconds: 5)
        for attempt in 1...4 {
            #expect(Self.policy.delay(afterAttempt: attempt, error: error, jitter: 0.5) == nil)
        }
    }

    @Test func truncatedRetriedAtOnceWithinTheBudget() {
        let cut = GeminiError(.truncated, "MAX_TOKENS", httpStatus: 200)
        #expect(Self.policy.delay(afterAttempt: 1, error: cut, jitter: 0.7) == 0)
        #expect(Self.policy.delay(afterAttempt: 5, error: cut, jitter: 0) == nil)
    }

    @Test func requeueDelayGrowsAndIsCapped() {
        let delays = (1...10).map { RetryPolicy.requeueDelay(attempt: $0, baseSeconds: 60) }
        #expect(Array(delays.prefix(5)) == [60, 120, 240, 480, 960])
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(delays.allSatisfy { $0 <= 1800 })
        #expect(delays.last == 1800)
        #expect(RetryPolicy.requeueDelay(attempt: 1000, baseSeconds: 60) == 1800)
        #expect(RetryPolicy.requeueDelay(attempt: 0, baseSeconds: 60) == 60)
    }
}
