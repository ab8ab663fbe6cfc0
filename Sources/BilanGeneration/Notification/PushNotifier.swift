import BilanCore
import BilanPush
import Logging

/// Pushes « ✅ Votre Bilan d'Orientation est prêt ! » (or the failure) to
/// each browser the student subscribed, once per bilan and state (SPEC §14).
/// The same design as `BilanNotifier`: the caller holds the bilan's
/// advisory lock, each delivery is claimed before it is sent and stamped
/// after; 429, 5xx and timeouts give the claim back for recovery, 404/410
/// delete the subscription, anything else is given up and logged.
///
/// No local ledger as for the mail: if the database goes away between the
/// push service's 201 and the stamp, the push goes again after
/// `unconfirmedRetrySeconds`, and its notification `tag` makes the browser
/// replace the first one instead of showing two.
public struct PushNotifier {
    /// As for the mail: twenty recovery runs, about twenty minutes.
    public static let maxAttempts = 20
    /// Recovery leaves older bilans alone, and the push service may drop a
    /// message after this long: a day-old « prêt » is noise.
    public static let horizonSeconds = 24 * 3600

    let store: any PushStore
    let sender: any PushDelivering
    let publicURL: PublicURL
    let unconfirmedRetrySeconds: Int
    let logger: Logger

    public init(
        store: any PushStore, sender: any PushDelivering, publicURL: PublicURL, unconfirmedRetrySeconds: Int,
        logger: Logger
    ) {
        self.store = store
        self.sender = sender
        self.publicURL = publicURL
        self.unconfirmedRetrySeconds = unconfirmedRetrySeconds
        self.logger = logger
    }

    /// What one round did: pushes delivered, and those left for recovery.
    public struct Round: Equatable {
        public var delivered = 0
        public var retryLater = 0
    }

    /// Plans the bilan's pushes if it just settled, then sends what is owed.
    @discardableResult
    public func sendIfOwed(_ bilanId: String) throws -> Round {
        try store.planPushes(bilanId)
        var round = Round()
        for claim in try store.claimPushes(bilanId, unconfirmedRetrySeconds: unconfirmedRetrySeconds, maxAttempts: Self.maxAttempts) {
            let message = BilanPushMessage.message(bilanId: bilanId, outcome: claim.outcome, publicURL: publicURL)
            var metadata: Logger.Metadata = [
                "bilan": "\(bilanId)", "subscription": "\(claim.address.id)", "attempt": "\(claim.attempts)",
            ]
            switch sender.deliver(message, to: claim.address) {
            case .delivered:
                try store.markPushSent(claim)
                round.delivered += 1
                logger.info("push sent", metadata: metadata)
            case .gone(let status):
                try store.deleteSubscription(id: claim.address.id)
                metadata["http"] = "\(status)"
                logger.info("push subscription gone, deleted", metadata: metadata)
            case .retryLater(let detail):
                try store.releasePushClaim(claim, cause: detail)
                round.retryLater += 1
                metadata["cause"] = "\(detail)"
                logger.warning("push not sent; recovery will retry", metadata: metadata)
            case .rejected(let detail):
                try store.giveUpPush(claim, cause: detail)
                metadata["cause"] = "\(detail)"
                logger.error("push refused by the push service; not retried", metadata: metadata)
            }
        }
        return round
    }

    /// Recovery: every recently settled bilan that still owes pushes.
    public func bilansOwingPushes() throws -> [String] {
        try store.bilansOwingPushes(
            maxAttempts: Self.maxAttempts, unconfirmedRetrySeconds: unconfirmedRetrySeconds,
            horizonSeconds: Self.horizonSeconds)
    }
}

/// What the student's device shows: a title, a line, and the result page
/// the service worker (`www/orientation/sw.js`) opens on a click.
enum BilanPushMessage {
    static let completedBody = "Ouvrez-le pour découvrir vos pistes d'études et votre plan d'action."
    static let failedTitle = "Votre bilan d'orientation n'a pas pu être rédigé"
    static let failedBody = "Ouvrez la page pour en savoir plus : vous pourrez réessayer ou contacter le support."

    static func message(bilanId: String, outcome: BilanStatus, publicURL: PublicURL) -> PushMessage {
        let completed = outcome == .completed
        let payload: JSONValue = [
            "title": .string(completed ? BilanNotifier.subject : failedTitle),
            "body": .string(completed ? completedBody : failedBody),
            "url": .string(publicURL.link("/orientation/resultat/\(bilanId)")),
            // One notification per bilan on the device: a later one replaces it.
            "tag": .string("bilan-\(bilanId)"),
            "status": .string(outcome.rawValue),
        ]
        // The student is waiting for it: high urgency, kept a day at most;
        // the topic (32 base64url characters) replaces an undelivered earlier one.
        return PushMessage(
            payload: payload.serializedBytes, ttlSeconds: PushNotifier.horizonSeconds, urgency: .high,
            topic: bilanId.filter { $0 != "-" })
    }
}
