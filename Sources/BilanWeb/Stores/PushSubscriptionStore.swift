import BilanCore

/// Where the push route keeps the browsers' subscriptions (SPEC §14).
protocol PushSubscriptionStore {
    /// Stores it for the user; the same endpoint again updates its row, and
    /// only the user's newest `PushSubscriptionLimits.perUser` are kept.
    func saveSubscription(_ subscription: PushSubscription, ofUser user: String) throws
    /// Removes the user's subscription with this endpoint, if any.
    func deleteSubscription(endpoint: String, ofUser user: String) throws
}

enum PushSubscriptionLimits {
    /// Phones, tablets and browsers of one student: far fewer than this.
    static let perUser = 20
}
