import BilanCore

extension PostgresRouteStore: PushSubscriptionStore {
    /// The upsert and the trim in one transaction: a user never ends with
    /// more than `PushSubscriptionLimits.perUser` rows, even posting in parallel.
    func saveSubscription(_ subscription: PushSubscription, ofUser user: String) throws {
        try database.transaction { connection in
            try connection.query(
                PushQueries.saveSubscription.sql, [user, subscription.endpoint, subscription.p256dh, subscription.auth])
            try connection.query(PushQueries.trimSubscriptions.sql, [user, String(PushSubscriptionLimits.perUser)])
        }
    }

    func deleteSubscription(endpoint: String, ofUser user: String) throws {
        try database.run(PushQueries.deleteSubscription, [user, endpoint])
    }
}
