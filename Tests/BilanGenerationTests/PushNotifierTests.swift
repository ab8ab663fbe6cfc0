import Logging
import Testing
@testable import BilanCore
@testable import BilanGeneration
@testable import BilanPush

/// `PushNotifier` against an in-memory `PushStore` and a scripted push
/// service (SPEC §14): each subscription is pushed once per settled bilan,
/// 404/410 delete the subscription, 429/5xx/timeouts wait for recovery,
/// other refusals are given up; a device subscribed later gets nothing.
@Suite("Web Push notifier with in-memory fakes")
struct PushNotifierTests {
    /// The tables of migrations/0010 as `PostgresPushStore` keeps them.
    final class MemoryPushStore: PushStore {
        struct Delivery {
            var bilanId: String
            var subscriptionId: Int64
            var outcome: BilanStatus
            var attempts = 0
            var claimed = false
            var sent = false
            var gaveUp = false
            var lastError: String?
        }

        var statuses: [String: BilanStatus] = [:]
        var planned: [String: BilanStatus] = [:]
        var subscriptions: [Int64: PushSubscription] = [:]
        var deliveries: [Delivery] = []

        func subscribe(_ id: Int64) {
            subscriptions[id] = PushSubscription(
                endpoint: "https://push.example.net/\(id)", p256dh: PushEncryptionKeys.p256dh, auth: PushEncryptionKeys.auth)
        }

        func planPushes(_ bilanId: String) throws {
            guard let status = statuses[bilanId], status != .pending, planned[bilanId] != status else { return }
            planned[bilanId] = status
            for id in subscriptions.keys.sorted() {
                deliveries.append(Delivery(bilanId: bilanId, subscriptionId: id, outcome: status))
            }
        }

        func claimPushes(_ bilanId: String, unconfirmedRetrySeconds: Int, maxAttempts: Int) throws -> [PushClaim] {
            var claims: [PushClaim] = []
            for index in deliveries.indices {
                let delivery = deliveries[index]
                guard delivery.bilanId == bilanId, delivery.outcome == statuses[bilanId], !delivery.sent, !delivery.gaveUp,
                    !delivery.claimed, delivery.attempts < maxAttempts, let subscription = subscriptions[delivery.subscriptionId]
                else { continue }
                deliveries[index].claimed = true
                deliveries[index].attempts += 1
                claims.append(PushClaim(
                    bilanId: bilanId, outcome: delivery.outcome,
                    address: PushSubscriptionAddress(id: delivery.subscriptionId, subscription: subscription),
                    attempts: deliveries[index].attempts))
            }
            return claims
        }

        private func update(_ claim: PushClaim, _ change: (inout Delivery) -> Void) {
            for index in deliveries.indices where deliveries[index].bilanId == claim.bilanId
                && deliveries[index].subscriptionId == claim.address.id && deliveries[index].outcome == claim.outcome {
                change(&deliveries[index])
            }
        }

        func markPushSent(_ claim: PushClaim) throws { update(claim) { $0.sent = true } }
        func releasePushClaim(_ claim: PushClaim, cause: String) throws {
            update(claim) { $0.claimed = false; $0.lastError = cause }
        }
        func giveUpPush(_ claim: PushClaim, cause: String) throws {
            update(claim) { $0.gaveUp = true; $0.lastError = cause }
        }
        func deleteSubscription(id: Int64) throws {
            subscriptions[id] = nil
            deliveries.removeAll { $0.subscriptionId == id }
        }
        func bilansOwingPushes(maxAttempts: Int, unconfirmedRetrySeconds: Int, horizonSeconds: Int) throws -> [String] {
            statuses.keys.sorted().filter { id in
                guard let status = statuses[id], status != .pending else { return false }
                return planned[id] != status || deliveries.contains {
                    $0.bilanId == id && $0.outcome == status && !$0.sent && !$0.gaveUp && !$0.claimed && $0.attempts < maxAttempts
                }
            }
        }
    }

    /// A push service that answers what it is told, per endpoint, and keeps what it took.
    final class ScriptedPushService: PushDelivering {
        var answers: [String: [PushDeliveryOutcome]] = [:]
        var received: [(endpoint: String, message: PushMessage)] = []

        func deliver(_ message: PushMessage, to subscription: PushSubscriptionAddress) -> PushDeliveryOutcome {
            let endpoint = subscription.subscription.endpoint
            if var queue = answers[endpoint], !queue.isEmpty {
                let answer = queue.removeFirst()
                answers[endpoint] = queue
                if answer != .delivered { return answer }
            }
            received.append((endpoint, message))
            return .delivered
        }
    }

    enum PushEncryptionKeys {
        static let p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        static let auth = "BTBZMqHH6r4Tts7J_aSIgg"
    }

    static let id = "0f8fad5b-d9cb-469f-a165-70867728950e"

    func notifier(_ store: MemoryPushStore, _ service: ScriptedPushService) throws -> PushNotifier {
        PushNotifier(
            store: store, sender: service, publicURL: try #require(PublicURL("https://www.example.org")),
            unconfirmedRetrySeconds: 900, logger: Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func payload(_ message: PushMessage) throws -> JSONValue { try JSONParser.parse(message.payload) }

    @Test func aCompletedBilanIsPushedOnceToEachSubscription() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.subscribe(2)
        store.statuses[Self.id] = .completed
        let notifier = try notifier(store, service)
        #expect(try notifier.sendIfOwed(Self.id) == PushNotifier.Round(delivered: 2, retryLater: 0))
        #expect(try notifier.sendIfOwed(Self.id) == PushNotifier.Round())
        #expect(try notifier.bilansOwingPushes().isEmpty)
        #expect(service.received.map(\.endpoint) == ["https://push.example.net/1", "https://push.example.net/2"])

        let message = service.received[0].message
        let json = try payload(message)
        #expect(json["title"] == "✅ Votre Bilan d'Orientation est prêt !")
        #expect(json["url"] == .string("https://www.example.org/orientation/resultat/\(Self.id)"))
        #expect(json["tag"] == .string("bilan-\(Self.id)"))
        #expect(message.ttlSeconds > 0 && message.urgency == .high)
        #expect(message.topic?.count == 32)
    }

    @Test func aFailedBilanIsPushedToo() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.statuses[Self.id] = .failed
        try notifier(store, service).sendIfOwed(Self.id)
        let json = try payload(try #require(service.received.first).message)
        #expect(json["status"] == "FAILED")
        #expect(json["title"]?.stringValue?.contains("n'a pas pu être rédigé") == true)
    }

    @Test func goneSubscriptionsAreDeletedAndOthersStillPushed() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.subscribe(2)
        store.statuses[Self.id] = .completed
        service.answers["https://push.example.net/1"] = [.gone(status: 410)]
        try notifier(store, service).sendIfOwed(Self.id)
        #expect(store.subscriptions.keys.sorted() == [2])
        #expect(service.received.map(\.endpoint) == ["https://push.example.net/2"])
    }

    @Test func aServerErrorWaitsForRecoveryThenGoesOnce() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.statuses[Self.id] = .completed
        service.answers["https://push.example.net/1"] = [.retryLater(detail: "push service answered 500")]
        let notifier = try notifier(store, service)
        #expect(try notifier.sendIfOwed(Self.id) == PushNotifier.Round(delivered: 0, retryLater: 1))
        #expect(service.received.isEmpty)
        #expect(store.deliveries.first?.lastError == "push service answered 500")

        // Recovery (as `Recovery.retryUnsentPushes` does it).
        #expect(try notifier.bilansOwingPushes() == [Self.id])
        #expect(try notifier.sendIfOwed(Self.id) == PushNotifier.Round(delivered: 1, retryLater: 0))
        #expect(try notifier.bilansOwingPushes().isEmpty)
        #expect(try notifier.sendIfOwed(Self.id) == PushNotifier.Round())
        #expect(service.received.count == 1)
    }

    @Test func anotherRefusalIsGivenUpNotRetried() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.statuses[Self.id] = .completed
        service.answers["https://push.example.net/1"] = [.rejected(detail: "push service answered 403")]
        let notifier = try notifier(store, service)
        try notifier.sendIfOwed(Self.id)
        #expect(store.deliveries.first?.gaveUp == true)
        #expect(store.subscriptions[1] != nil, "a 403 is the sender's fault, not the subscription's")
        #expect(try notifier.bilansOwingPushes().isEmpty)
        try notifier.sendIfOwed(Self.id)
        #expect(service.received.isEmpty)
    }

    @Test func aDeviceSubscribedAfterTheBilanSettledGetsNothing() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.statuses[Self.id] = .completed
        let notifier = try notifier(store, service)
        try notifier.sendIfOwed(Self.id)
        store.subscribe(2)
        try notifier.sendIfOwed(Self.id)
        #expect(service.received.map(\.endpoint) == ["https://push.example.net/1"])
    }

    @Test func aPendingBilanOwesNothingAndARetriedOneIsPushedForItsNewState() throws {
        let (store, service) = (MemoryPushStore(), ScriptedPushService())
        store.subscribe(1)
        store.statuses[Self.id] = .pending
        let notifier = try notifier(store, service)
        try notifier.sendIfOwed(Self.id)
        #expect(service.received.isEmpty)
        store.statuses[Self.id] = .failed
        try notifier.sendIfOwed(Self.id)
        store.statuses[Self.id] = .completed  // the operator's retry succeeded
        #expect(try notifier.bilansOwingPushes() == [Self.id])
        try notifier.sendIfOwed(Self.id)
        #expect(try service.received.map { try payload($0.message)["status"] } == ["FAILED", "COMPLETED"])
    }

    @Test func theGeneratorPushesCompletedAndFailedOnly() {
        #expect(GenerationOutcome.completed.settlesTheBilan)
        #expect(GenerationOutcome.failed(detail: "x").settlesTheBilan)
        #expect(!GenerationOutcome.requeued(detail: "x", delaySeconds: 1).settlesTheBilan)
    }
}
