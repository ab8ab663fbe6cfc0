import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §3, eligibility rule.
@Suite("Eligibility rule")
struct EligibilityTests {
    static let day: Int64 = 86_400_000
    /// 2025-06-15T10:00:00.000Z
    static let now: Int64 = 1_749_981_600_000

    typealias Payment = EligibilityFacts.Payment
    typealias Bilan = EligibilityFacts.PastBilan

    func decide(_ payments: [Payment], _ bilans: [Bilan] = []) -> EligibilityDecision {
        Eligibility.decide(EligibilityFacts(payments: payments, bilans: bilans, nowMs: Self.now))
    }

    static let monthly = Payment(plan: "MONTHLY", status: "SUCCEEDED")
    static let annual = Payment(plan: "ANNUAL", status: "SUCCEEDED")

    @Test func noPaymentMeansNoSubscription() {
        #expect(decide([]) == .noSubscription)
    }

    @Test func refundedOrFailedPaymentsDoNotCount() {
        let payments = [
            Payment(plan: "MONTHLY", status: "REFUNDED"), Payment(plan: "ANNUAL", status: "FAILED"),
            Payment(plan: "ANNUAL", status: "REFUNDED"),
        ]
        #expect(decide(payments) == .noSubscription)
    }

    @Test func otherPlansDoNotCount() {
        #expect(decide([Payment(plan: "ONE_OFF", status: "SUCCEEDED")]) == .noSubscription)
    }

    @Test func monthlyIsEligible() {
        #expect(decide([Self.monthly]) == .eligible(plan: "MONTHLY"))
        #expect(decide([Payment(plan: "MONTHLY", status: "REFUNDED"), Self.monthly]) == .eligible(plan: "MONTHLY"))
    }

    @Test func annualIsEligible() {
        #expect(decide([Self.annual]) == .eligible(plan: "ANNUAL"))
        #expect(decide([Self.monthly, Self.annual]) == .eligible(plan: "ANNUAL"))
    }

    @Test(arguments: [BilanStatus.pending, .completed])
    func recentBilanUsesTheYear(_ status: BilanStatus) {
        let created = Self.now - 364 * Self.day
        let decision = decide([Self.monthly], [Bilan(id: "b1", status: status, createdAtMs: created)])
        #expect(decision == .alreadyUsed(lastBilanId: "b1", nextEligibleAtMs: created + 365 * Self.day))
    }

    @Test func bilanOlderThanAYearDoesNotCount() {
        let created = Self.now - 366 * Self.day
        #expect(decide([Self.annual], [Bilan(id: "old", status: .completed, createdAtMs: created)]) == .eligible(plan: "ANNUAL"))
    }

    @Test func eligibleAgainExactlyAtNextEligibleAt() {
        let created = Self.now - 365 * Self.day
        #expect(decide([Self.annual], [Bilan(id: "b", status: .completed, createdAtMs: created)]) == .eligible(plan: "ANNUAL"))
        let justBefore = created + 1
        #expect(decide([Self.annual], [Bilan(id: "b", status: .completed, createdAtMs: justBefore)])
            == .alreadyUsed(lastBilanId: "b", nextEligibleAtMs: Self.now + 1))
    }

    @Test func failedBilanDoesNotCount() {
        let bilans = [Bilan(id: "f", status: .failed, createdAtMs: Self.now - Self.day)]
        #expect(decide([Self.monthly], bilans) == .eligible(plan: "MONTHLY"))
    }

    @Test func latestCountingBilanIsReported() {
        let bilans = [
            Bilan(id: "older", status: .completed, createdAtMs: Self.now - 300 * Self.day),
            Bilan(id: "failed", status: .failed, createdAtMs: Self.now - Self.day),
            Bilan(id: "newer", status: .pending, createdAtMs: Self.now - 10 * Self.day),
        ]
        #expect(decide([Self.monthly], bilans)
            == .alreadyUsed(lastBilanId: "newer", nextEligibleAtMs: Self.now - 10 * Self.day + 365 * Self.day))
    }

    @Test func noSubscriptionWinsOverAnExistingBilan() {
        let bilans = [Bilan(id: "b", status: .completed, createdAtMs: Self.now - Self.day)]
        #expect(decide([], bilans) == .noSubscription)
    }

    @Test func jsonShapes() {
        #expect(EligibilityDecision.eligible(plan: "MONTHLY").json.serialized == #"{"eligible":true,"plan":"MONTHLY"}"#)
        #expect(EligibilityDecision.noSubscription.json.serialized == #"{"eligible":false,"reason":"NO_SUBSCRIPTION"}"#)
        // 2024-02-29T12:34:56.789Z + 365 days = 2025-02-28T12:34:56.789Z
        let created: Int64 = 1_709_210_096_789
        let decision = EligibilityDecision.alreadyUsed(
            lastBilanId: "0f8fad5b-d9cb-469f-a165-70867728950e", nextEligibleAtMs: created + Eligibility.yearMs)
        #expect(
            decision.json.serialized
                == #"{"eligible":false,"reason":"ALREADY_USED","lastBilanId":"0f8fad5b-d9cb-469f-a165-70867728950e","nextEligibleAt":"2025-02-28T12:34:56.789Z"}"#
        )
        #expect(decision.json["nextEligibleAt"]?.stringValue == UTCTime.iso8601(created + 365 * Self.day))
    }
}
