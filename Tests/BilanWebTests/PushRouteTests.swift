import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `POST`/`DELETE /api/orientation/push` fed in-process (SPEC §14): create's
/// rules in create's order, the subscription checked field by field, and
/// nothing at all without VAPID settings.
@Suite("Push subscription route, in-process")
struct PushRouteTests {
    static let path = "/api/orientation/push"
    static let vapid = [
        "VAPID_PUBLIC_KEY": "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
        "VAPID_PRIVATE_KEY": "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", "VAPID_SUBJECT": "mailto:support@example.org",
    ]
    static let endpoint = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk"
    static let subscription = """
        {"endpoint":"\(endpoint)","expirationTime":null,"keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}
        """

    func site(_ extra: [String: String] = [:]) throws -> InMemorySite {
        try InMemorySite(settings: Self.vapid.merging(extra) { $1 })
    }

    func send(_ site: InMemorySite, _ method: String = "POST", session: String?, body: String = subscription,
              contentType: String = "application/json", origin: String = InMemorySite.origin) -> Response {
        site.send(site.pushRoute, site.request(
            method, Self.path, session: session, headers: ["Origin": origin], contentType: contentType, body: Array(body.utf8)))
    }

    func expectError(_ response: Response, _ status: Int, _ code: String, field: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let json = try response.json()
        #expect(json["error"] == .string(code), sourceLocation: sourceLocation)
        if let field { #expect(json["field"] == .string(field), sourceLocation: sourceLocation) }
        #expect(response.header("Content-Type") == "application/json; charset=utf-8", sourceLocation: sourceLocation)
    }

    @Test func aSubscriptionIsStoredFor201() throws {
        let site = try site()
        let (user, session) = site.signIn()
        let response = send(site, session: session)
        #expect(response.status == 201)
        #expect(try response.json()["subscribed"] == true)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(site.store.pushSubscriptions.map(\.user) == [user])
        #expect(site.store.pushSubscriptions.first?.subscription.endpoint == Self.endpoint)
        // The same browser again: still one row.
        #expect(send(site, session: session).status == 201)
        #expect(site.store.pushSubscriptions.count == 1)
    }

    @Test func deleteRemovesOnlyTheUsersOwnFor204() throws {
        let site = try site()
        let (_, owner) = site.signIn("11111111-1111-4111-8111-111111111111")
        let (_, other) = site.signIn("22222222-2222-4222-8222-222222222222")
        #expect(send(site, session: owner).status == 201)
        let byOther = send(site, "DELETE", session: other, body: #"{"endpoint":"\#(Self.endpoint)"}"#)
        #expect(byOther.status == 204 && byOther.body.isEmpty)
        #expect(site.store.pushSubscriptions.count == 1)
        #expect(send(site, "DELETE", session: owner, body: #"{"endpoint":"\#(Self.endpoint)"}"#).status == 204)
        #expect(site.store.pushSubscriptions.isEmpty)
    }

    @Test func withoutSessionIs401BeforeAnyOtherCheck() throws {
        let site = try site()
        try expectError(send(site, session: nil, body: "{", contentType: "text/plain", origin: "https://evil.example"), 401, "unauthenticated")
    }

    @Test func anotherOriginIs403() throws {
        let site = try site()
        let (_, session) = site.signIn()
        try expectError(send(site, session: session, origin: "https://evil.example"), 403, "forbidden_origin")
        try expectError(send(site, "DELETE", session: session, origin: "https://evil.example"), 403, "forbidden_origin")
        #expect(site.store.pushSubscriptions.isEmpty)
    }

    @Test func onlyJSONIsTakenAndTooBigIs413() throws {
        let site = try site()
        let (_, session) = site.signIn()
        try expectError(send(site, session: session, contentType: "application/x-www-form-urlencoded"), 415, "unsupported_media_type")
        var cut = site.post(Self.path, session: session, contentType: "application/json", body: "{}")
        cut.bodyTooLarge = true
        try expectError(site.send(site.pushRoute, cut), 413, "payload_too_large")
        try expectError(send(site, session: session, body: #"{"endpoint": "#), 400, "invalid_json")
    }

    @Test func aBadSubscriptionIs400NamingTheField() throws {
        let site = try site()
        let (_, session) = site.signIn()
        let cases: [(String, String)] = [
            (Self.subscription.replacing("https://updates", with: "http://updates"), "endpoint"),
            (Self.subscription.replacing("gAAAAABk", with: String(repeating: "g", count: 2100)), "endpoint"),
            (Self.subscription.replacing("BCVxsr7N_", with: "BCVx"), "keys.p256dh"),
            (Self.subscription.replacing("BTBZMqHH6r4Tts7J_aSIgg", with: "BTBZMqHH6r4T"), "keys.auth"),
            (#"{"endpoint":"\#(Self.endpoint)"}"#, "keys"),
        ]
        for (body, field) in cases {
            try expectError(send(site, session: session, body: body), 400, "invalid_subscription", field: field)
        }
        try expectError(send(site, "DELETE", session: session, body: #"{"endpoint":"ftp://x"}"#), 400, "invalid_subscription", field: "endpoint")
        #expect(site.store.pushSubscriptions.isEmpty)
    }

    @Test func plainHTTPEndpointsOnlyWithPushAllowHTTP() throws {
        let local = Self.subscription.replacing(Self.endpoint, with: "http://127.0.0.1:8099/push/1")
        let strict = try site()
        try expectError(send(strict, session: strict.signIn().session, body: local), 400, "invalid_subscription", field: "endpoint")
        let loose = try site(["PUSH_ALLOW_HTTP": "true", "PUSH_SERVICE_HOSTS": "127.0.0.1"])
        #expect(send(loose, session: loose.signIn().session, body: local).status == 201)
    }

    /// The generator posts to the endpoint: an internal address is refused
    /// even over https, unless the site lists its host.
    @Test func anEndpointOutsideThePushServicesIsRefused() throws {
        let internalAddress = Self.subscription.replacing(Self.endpoint, with: "https://10.0.0.5/admin")
        let site = try site()
        try expectError(send(site, session: site.signIn().session, body: internalAddress), 400, "invalid_subscription", field: "endpoint")
        #expect(site.store.pushSubscriptions.isEmpty)
    }

    @Test func withoutVAPIDTheRouteIsOff() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        try expectError(send(site, session: session), 404, "push_disabled")
        try expectError(send(site, "DELETE", session: session, body: #"{"endpoint":"\#(Self.endpoint)"}"#), 404, "push_disabled")
        #expect(site.store.pushSubscriptions.isEmpty)
    }

    @Test func otherMethodsAre405() throws {
        let site = try site()
        expectMethodNotAllowed(send(site, "GET", session: nil, body: ""), allow: "POST, DELETE")
    }

    @Test func aUserKeepsTheNewestTwenty() throws {
        let site = try site()
        let (_, session) = site.signIn()
        for number in 0..<25 {
            #expect(send(site, session: session, body: Self.subscription.replacing("gAAAAABk", with: "device\(number)")).status == 201)
        }
        #expect(site.store.pushSubscriptions.count == 20)
        #expect(site.store.pushSubscriptions.last?.subscription.endpoint.hasSuffix("device24") == true)
    }

    @Test func whileTheDatabaseIsDownIs503() throws {
        let site = try site()
        let (_, session) = site.signIn()
        site.store.unreachable = true
        try expectDatabaseUnavailable(send(site, session: session))
    }

    @Test func thePendingPageCarriesTheKeyOnlyWithVAPID() throws {
        for (site, shown) in [(try site(), true), (try InMemorySite(), false)] {
            let (id, session) = site.signedInBilan(.pending)
            let page = site.send(site.pageRoute, site.request("GET", "/orientation/resultat/\(id)", session: session)).text
            #expect(page.contains(#"id="push""#) == shown)
            #expect(page.contains(Self.vapid["VAPID_PUBLIC_KEY"]!) == shown)
            #expect(!page.contains(Self.vapid["VAPID_PRIVATE_KEY"]!))
        }
    }
}
