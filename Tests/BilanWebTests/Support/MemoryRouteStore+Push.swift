@testable import BilanCore
@testable import BilanWeb

extension MemoryRouteStore: PushSubscriptionStore {
    /// As `PushQueries.saveSubscription` and `trimSubscriptions` do: one row
    /// per endpoint (moved to the latest user), the newest kept.
    func saveSubscription(_ subscription: PushSubscription, ofUser user: String) throws {
        try ensureReachable()
        pushSubscriptions.removeAll { $0.subscription.endpoint == subscription.endpoint }
        pushSubscriptions.append((user, subscription))
        let mine = pushSubscriptions.indices.filter { pushSubscriptions[$0].user == user }
        for index in mine.dropLast(PushSubscriptionLimits.perUser).reversed() { pushSubscriptions.remove(at: index) }
    }

    func deleteSubscription(endpoint: String, ofUser user: String) throws {
        try ensureReachable()
        pushSubscriptions.removeAll { $0.user == user && $0.subscription.endpoint == endpoint }
    }
}
