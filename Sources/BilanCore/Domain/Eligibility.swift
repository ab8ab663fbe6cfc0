/// The facts the eligibility rule reads, fetched by one query.
public struct EligibilityFacts: Sendable {
    public struct Payment: Sendable {
        public var plan: String
        public var status: String
        public init(plan: String, status: String) {
            self.plan = plan
            self.status = status
        }
    }

    public struct PastBilan: Sendable {
        public var id: String
        public var status: BilanStatus
        public var createdAtMs: Int64
        /// Why a FAILED bilan failed (`FailureKind`), nil otherwise.
        public var failureKind: String?
        public init(id: String, status: BilanStatus, createdAtMs: Int64, failureKind: String? = nil) {
            self.id = id
            self.status = status
            self.createdAtMs = createdAtMs
            self.failureKind = failureKind
        }
    }

    public var payments: [Payment]
    public var bilans: [PastBilan]
    public var nowMs: Int64

    public init(payments: [Payment], bilans: [PastBilan], nowMs: Int64) {
        self.payments = payments
        self.bilans = bilans
        self.nowMs = nowMs
    }
}

/// The answer of the eligibility rule (SPEC §3).
public enum EligibilityDecision: Equatable, Sendable {
    case eligible(plan: String)
    case noSubscription
    case alreadyUsed(lastBilanId: String, nextEligibleAtMs: Int64)
    /// Too many bilans refused by Gemini lately (SPEC §16): a FAILED bilan
    /// does not use up the year, so without this cap one subscriber could
    /// loop refused content and spend the site's quota.
    case tooManyRefusals(nextEligibleAtMs: Int64)

    public var json: JSONValue {
        switch self {
        case .eligible(let plan): return ["eligible": true, "plan": .string(plan)]
        case .noSubscription: return ["eligible": false, "reason": "NO_SUBSCRIPTION"]
        case .alreadyUsed(let id, let next):
            return [
                "eligible": false, "reason": "ALREADY_USED", "lastBilanId": .string(id),
                "nextEligibleAt": .string(UTCTime.iso8601(next)),
            ]
        case .tooManyRefusals(let next):
            return ["eligible": false, "reason": "TOO_MANY_REFUSALS", "nextEligibleAt": .string(UTCTime.iso8601(next))]
        }
    }
}

public enum Eligibility {
    public static let yearMs: Int64 = 365 * 86_400_000
    /// At most this many content refusals per user per `refusalWindowMs`.
    public static let maxRefusals = 3
    public static let refusalWindowMs: Int64 = 30 * 86_400_000
    /// Failures a student's text can cause on purpose: content Gemini refused,
    /// and a report refused by the check (free texts can ask for markup).
    static let cappedFailures: Set<String> = [FailureKind.contentRefused.rawValue, FailureKind.reportRefused.rawValue]
    static let subscriptionPlans: Set<String> = ["MONTHLY", "ANNUAL"]

    /// Eligible iff a SUCCEEDED MONTHLY or ANNUAL payment exists (access from the
    /// first payment, no withdrawal wait) and no PENDING or COMPLETED bilan was
    /// created in the last 365 days. A FAILED bilan does not use up the year.
    public static func decide(_ facts: EligibilityFacts) -> EligibilityDecision {
        let paid = facts.payments.filter { $0.status == "SUCCEEDED" && subscriptionPlans.contains($0.plan) }
        // ANNUAL wins when both exist: it is the plan that says the most.
        guard let plan = paid.contains(where: { $0.plan == "ANNUAL" }) ? "ANNUAL" : paid.first?.plan else {
            return .noSubscription
        }
        let counting = facts.bilans.filter {
            $0.status != .failed && facts.nowMs - $0.createdAtMs < yearMs
        }
        if let latest = counting.max(by: { $0.createdAtMs < $1.createdAtMs }) {
            return .alreadyUsed(lastBilanId: latest.id, nextEligibleAtMs: latest.createdAtMs + yearMs)
        }
        let refusals = facts.bilans.filter {
            $0.status == .failed && Self.cappedFailures.contains($0.failureKind ?? "")
                && facts.nowMs - $0.createdAtMs < refusalWindowMs
        }.map(\.createdAtMs).sorted(by: >)
        if refusals.count >= maxRefusals {
            // Eligible again when the oldest of the last `maxRefusals` leaves the window.
            return .tooManyRefusals(nextEligibleAtMs: refusals[maxRefusals - 1] + refusalWindowMs)
        }
        return .eligible(plan: plan)
    }
}
