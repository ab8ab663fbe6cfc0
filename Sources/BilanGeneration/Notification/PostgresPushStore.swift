import BilanCore
import BilanPush

/// `PushStore` on the generator's connection: every statement is a named
/// query of `PushQueries`. The caller holds the bilan's advisory lock, so
/// two processes never push the same bilan at once.
public struct PostgresPushStore: PushStore {
    let connection: PGConnection

    public init(connection: PGConnection) { self.connection = connection }

    public func planPushes(_ bilanId: String) throws {
        try connection.query(PushQueries.planPushes.sql, [bilanId])
    }

    public func claimPushes(_ bilanId: String, unconfirmedRetrySeconds: Int, maxAttempts: Int) throws -> [PushClaim] {
        let rows = try connection.query(
            PushQueries.claimPushes.sql, [bilanId, String(unconfirmedRetrySeconds), String(maxAttempts)])
        return (0..<rows.rowCount).compactMap { row in
            guard let id = rows.int64(row, 0), let endpoint = rows.string(row, 1), let p256dh = rows.string(row, 2),
                let auth = rows.string(row, 3), let outcome = rows.string(row, 4).flatMap(BilanStatus.init(rawValue:))
            else { return nil }
            let subscription = PushSubscription(endpoint: endpoint, p256dh: p256dh, auth: auth)
            return PushClaim(
                bilanId: bilanId, outcome: outcome, address: PushSubscriptionAddress(id: id, subscription: subscription),
                attempts: rows.int(row, 5) ?? 1)
        }
    }

    public func markPushSent(_ claim: PushClaim) throws {
        try connection.query(PushQueries.markPushSent.sql, key(claim))
    }

    public func releasePushClaim(_ claim: PushClaim, cause: String) throws {
        try connection.query(PushQueries.releasePushClaim.sql, key(claim) + [cause])
    }

    public func giveUpPush(_ claim: PushClaim, cause: String) throws {
        try connection.query(PushQueries.giveUpPush.sql, key(claim) + [cause])
    }

    public func deleteSubscription(id: Int64) throws {
        try connection.query(PushQueries.deleteGoneSubscription.sql, [String(id)])
    }

    public func bilansOwingPushes(maxAttempts: Int, unconfirmedRetrySeconds: Int, horizonSeconds: Int) throws -> [String] {
        let rows = try connection.query(
            PushQueries.bilansOwingPushes.sql,
            [String(maxAttempts), String(unconfirmedRetrySeconds), String(horizonSeconds)])
        return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
    }

    private func key(_ claim: PushClaim) -> [String?] {
        [claim.bilanId, String(claim.address.id), claim.outcome.rawValue]
    }
}
