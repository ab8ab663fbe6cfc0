import Testing
@testable import BilanCore

/// SPEC §14: what a subscription must be before it is stored (400 naming
/// the field), and the VAPID settings checked at start (one line naming the setting).
@Suite("Push subscriptions and VAPID settings")
struct PushSubscriptionTests {
    static let p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
    static let auth = "BTBZMqHH6r4Tts7J_aSIgg"
    static let endpoint = "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bH"

    func body(endpoint: JSONValue = .string(endpoint), p256dh: JSONValue = .string(p256dh), auth: JSONValue = .string(auth)) -> JSONValue {
        ["endpoint": endpoint, "expirationTime": nil, "keys": ["p256dh": p256dh, "auth": auth]]
    }

    /// The real push services, the tests' `push.example.net` and a local test service.
    static func policy(allowHTTP: Bool = false) -> PushEndpointPolicy {
        PushEndpointPolicy(allowHTTP: allowHTTP, hosts: PushEndpointPolicy.defaultHosts + ["push.example.net", "127.0.0.1"])
    }

    func field(_ body: JSONValue, allowHTTP: Bool = false) -> String? {
        do {
            _ = try PushSubscription.validated(body, policy: Self.policy(allowHTTP: allowHTTP))
            return "accepted"
        } catch {
            #expect(!error.message.isEmpty)
            return error.field
        }
    }

    @Test func aBrowsersSubscriptionIsAccepted() throws {
        let subscription = try PushSubscription.validated(body(), policy: PushEndpointPolicy())
        #expect(subscription == PushSubscription(endpoint: Self.endpoint, p256dh: Self.p256dh, auth: Self.auth))
    }

    @Test func eachBadFieldIsNamed() {
        #expect(field(body(endpoint: "http://push.example.net/x")) == "endpoint")
        #expect(field(body(endpoint: .string("https://push.example.net/" + String(repeating: "a", count: 2048)))) == "endpoint")
        #expect(field(body(endpoint: "https:///nohost")) == "endpoint")
        #expect(field(body(endpoint: "https://user@push.example.net/x")) == "endpoint")
        #expect(field(body(endpoint: "https://push.example.net/a b")) == "endpoint")
        #expect(field(body(endpoint: "ftp://push.example.net/x")) == "endpoint")
        #expect(field(body(endpoint: 42)) == "endpoint")
        #expect(field(["endpoint": .string(Self.endpoint)]) == "keys")
        #expect(field(body(p256dh: "BCVxsr7N")) == "keys.p256dh")
        #expect(field(body(p256dh: .string(Base64.encodeURL([UInt8](repeating: 2, count: 65))))) == "keys.p256dh")
        #expect(field(body(p256dh: "not base64!")) == "keys.p256dh")
        #expect(field(body(auth: .string(Base64.encodeURL([UInt8](repeating: 1, count: 15))))) == "keys.auth")
        #expect(field(body(auth: nil)) == "keys.auth")
        #expect(field(["x"]) == nil)
    }

    @Test func plainHTTPOnlyWhenAllowed() {
        #expect(field(body(endpoint: "http://127.0.0.1:8099/push/1"), allowHTTP: true) == "accepted")
        #expect(field(body(endpoint: "http://127.0.0.1:8099/push/1"), allowHTTP: false) == "endpoint")
    }

    /// SSRF: a subscription names the address the generator will post to, so
    /// only push services' hosts (and their subdomains) are accepted.
    @Test func onlyPushServicesHostsAreAccepted() {
        let real = PushEndpointPolicy()
        #expect(real.refusal(ofOrigin: "https://fcm.googleapis.com") == nil)
        #expect(real.refusal(ofOrigin: "https://updates.push.services.mozilla.com") == nil)
        #expect(real.refusal(ofOrigin: "https://web.push.apple.com") == nil)
        #expect(real.refusal(ofOrigin: "https://wns2-par02p.notify.windows.com") == nil)
        for origin in ["https://127.0.0.1", "https://169.254.169.254", "https://db.internal:5432", "https://[::1]",
                       "https://evil-fcm.googleapis.com.example", "https://notnotify.windows.com",
                       "https://fcm.googleapis.com.evil.example"] {
            #expect(real.refusal(ofOrigin: origin) != nil, "\(origin)")
        }
        #expect(field(body(endpoint: "https://push.internal.example/x")) == "endpoint")
        let local = PushEndpointPolicy(allowHTTP: true, hosts: ["127.0.0.1"])
        #expect(local.refusal(ofOrigin: "http://127.0.0.1:8099") == nil)
    }

    @Test func anEndpointOf2KBIsTheLimit() {
        let prefix = "https://push.example.net/"
        let atLimit = prefix + String(repeating: "a", count: PushSubscription.maxEndpointBytes - prefix.utf8.count)
        #expect(field(body(endpoint: .string(atLimit))) == "accepted")
        #expect(field(body(endpoint: .string(atLimit + "a"))) == "endpoint")
    }

    @Test func base64urlRoundTripsAndToleratesPadding() {
        for count in 0..<40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64.encodeURL(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64.decodeURL(text) == bytes)
            #expect(Base64.decodeURL(Base64.encode(bytes).replacing("+", with: "-").replacing("/", with: "_")) == bytes)
        }
        #expect(Base64.decodeURL("a") == nil)
        #expect(Base64.decodeURL("ab+c") == nil)
    }

    // ---- settings -------------------------------------------------------------
    static let base = ["DATABASE_URL": "postgresql:///x", "PUBLIC_URL": "https://www.example.org"]
    static let publicKey = p256dh
    static let privateKey = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"

    func load(_ settings: [String: String]) throws -> Configuration {
        try Configuration.load(Environment(Self.base.merging(settings) { $1 }))
    }

    func failingSetting(_ settings: [String: String]) -> String? {
        do {
            _ = try load(settings)
            return nil
        } catch let error as ConfigurationError {
            #expect(!error.description.contains(Self.privateKey), "the private key is never echoed")
            return error.setting
        } catch {
            return "?"
        }
    }

    @Test func withoutVAPIDSettingsPushIsOff() throws {
        #expect(try load([:]).push == nil)
        #expect(try load([:]).pushAllowHTTP == false)
    }

    @Test func theThreeSettingsTurnItOn() throws {
        let push = try #require(try load([
            "VAPID_PUBLIC_KEY": Self.publicKey, "VAPID_PRIVATE_KEY": Self.privateKey, "VAPID_SUBJECT": "mailto:a@example.org",
            "PUSH_ALLOW_HTTP": "true",
        ]).push)
        #expect(push.publicKeyText == Self.publicKey && push.privateKey.count == 32)
        #expect(!"\(push)".contains(Self.privateKey))
    }

    @Test func eachBadSettingIsNamed() {
        let good = ["VAPID_PUBLIC_KEY": Self.publicKey, "VAPID_PRIVATE_KEY": Self.privateKey, "VAPID_SUBJECT": "mailto:a@example.org"]
        #expect(failingSetting(good.merging(["VAPID_SUBJECT": ""]) { $1 }) == "VAPID_SUBJECT")
        #expect(failingSetting(good.merging(["VAPID_SUBJECT": "a@example.org"]) { $1 }) == "VAPID_SUBJECT")
        #expect(failingSetting(good.merging(["VAPID_SUBJECT": "http://example.org"]) { $1 }) == "VAPID_SUBJECT")
        #expect(failingSetting(good.merging(["VAPID_SUBJECT": "https://example.org/contact"]) { $1 }) == nil)
        #expect(failingSetting(good.merging(["VAPID_PUBLIC_KEY": String(Self.publicKey.dropLast(4))]) { $1 }) == "VAPID_PUBLIC_KEY")
        #expect(failingSetting(good.merging(["VAPID_PUBLIC_KEY": Base64.encodeURL([UInt8](repeating: 3, count: 65))]) { $1 }) == "VAPID_PUBLIC_KEY")
        #expect(failingSetting(good.merging(["VAPID_PRIVATE_KEY": Self.privateKey + "AAAA"]) { $1 }) == "VAPID_PRIVATE_KEY")
        #expect(failingSetting(good.merging(["VAPID_PRIVATE_KEY": "***"]) { $1 }) == "VAPID_PRIVATE_KEY")
        #expect(failingSetting(["VAPID_PUBLIC_KEY": Self.publicKey]) == "VAPID_PRIVATE_KEY")
        #expect(failingSetting(good.merging(["PUSH_ALLOW_HTTP": "maybe"]) { $1 }) == "PUSH_ALLOW_HTTP")
    }

    @Test func theSettingsPassToTheSpawnedGenerator() {
        for name in ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_ALLOW_HTTP"] {
            #expect(SettingNames.all.contains(name))
        }
    }
}
