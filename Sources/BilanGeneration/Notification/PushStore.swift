import BilanCore
import BilanPush

/// The pushes' writes, in the words of the notifier: planned once per
/// settled state, claimed before sending ("maybe sent"), then stamped sent,
/// released for a retry, given up, or their subscription deleted. A protocol
/// so `PushNotifier` is tested in memory (`PushNotifierTests`);
/// `PostgresPushStore` is the real one.
public protocol PushStore {
    /// One delivery per subscription the bilan's user has now, if its
    /// current state (COMPLETED or FAILED) was not planned yet.
    func planPushes(_ bilanId: String) throws
    /// The bilan's owed deliveries, now claimed.
    func claimPushes(_ bilanId: String, unconfirmedRetrySeconds: Int, maxAttempts: Int) throws -> [PushClaim]
    func markPushSent(_ claim: PushClaim) throws
    func releasePushClaim(_ claim: PushClaim, cause: String) throws
    func giveUpPush(_ claim: PushClaim, cause: String) throws
    /// The push service says the subscription is gone (404/410).
    func deleteSubscription(id: Int64) throws
    /// Settled bilans of the last `horizonSeconds` that still owe pushes.
    func bilansOwingPushes(maxAttempts: Int, unconfirmedRetrySeconds: Int, horizonSeconds: Int) throws -> [String]
}

/// One claimed delivery: the bilan, the state it announces, the subscription.
public struct PushClaim: Equatable, Sendable {
    public var bilanId: String
    public var outcome: BilanStatus
    public var address: PushSubscriptionAddress
    public var attempts: Int

    public init(bilanId: String, outcome: BilanStatus, address: PushSubscriptionAddress, attempts: Int) {
        self.bilanId = bilanId
        self.outcome = outcome
        self.address = address
        self.attempts = attempts
    }
}
