import Testing
@testable import BilanCore
@testable import BilanPush

/// `PushSender`'s answers that need no push service: what it refuses to
/// send, and a push service that cannot be reached (left for recovery).
@Suite("Push sender without a push service")
struct PushSenderTests {
    func sender(allowHTTP: Bool) throws -> PushSender {
        let pair = VAPIDKeyPair.generate()
        let settings = PushSettings(
            publicKey: try #require(Base64.decodeURL(pair.publicKey)), privateKey: try #require(Base64.decodeURL(pair.privateKey)),
            subject: "mailto:support@example.org")
        return PushSender(signer: try VAPIDSigner(settings: settings), policy: PushEndpointPolicy(allowHTTP: allowHTTP, hosts: ["127.0.0.1"]), timeoutSeconds: 2)
    }

    func address(_ endpoint: String, p256dh: String = PushEncryptionTests.RFC8291.receiverPublic) -> PushSubscriptionAddress {
        PushSubscriptionAddress(
            id: 1, subscription: PushSubscription(endpoint: endpoint, p256dh: p256dh, auth: PushEncryptionTests.RFC8291.authSecret))
    }

    let message = PushMessage(payload: Array(#"{"title":"t"}"#.utf8), ttlSeconds: 60)

    @Test func plainHTTPIsRefusedUnlessAllowed() throws {
        let outcome = try sender(allowHTTP: false).deliver(message, to: address("http://127.0.0.1:9/push/1"))
        guard case .rejected = outcome else { Issue.record("got \(outcome)"); return }
    }

    @Test func aHostThatIsNoPushServiceIsRefused() throws {
        let outcome = try sender(allowHTTP: true).deliver(message, to: address("http://10.0.0.1:9/push/1"))
        guard case .rejected = outcome else { Issue.record("got \(outcome)"); return }
    }

    @Test func anUnreachablePushServiceIsRetriedLater() throws {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        let outcome = try sender(allowHTTP: true).deliver(message, to: address("http://127.0.0.1:9/push/1"))
        guard case .retryLater = outcome else { Issue.record("got \(outcome)"); return }
    }

    @Test func keysOffTheCurveMakeTheSubscriptionGone() throws {
        var point = [UInt8](repeating: 9, count: 65)
        point[0] = 4
        let outcome = try sender(allowHTTP: true).deliver(
            message, to: address("http://127.0.0.1:9/push/1", p256dh: Base64.encodeURL(point)))
        #expect(outcome == .gone(status: 0))
    }
}
