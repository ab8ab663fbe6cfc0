import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `POST /api/orientation/create` fed in-process: SPEC §3's checks in order,
/// the stored bilan, and the generator's start left for after the answer.
@Suite("Create route, in-process")
struct CreateRouteTests {
    static let path = "/api/orientation/create"
    static let sample = "terminale-cpge-aero.json"

    func sampleText() throws -> String {
        let bytes = try #require(TestSupport.sampleBytes(Self.sample))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The sample as the no-JS form posts it: lists repeated, grades as `moyennes.<subject>`.
    func sampleForm() throws -> String {
        var pairs: [(String, String)] = []
        for (key, value) in try TestSupport.sample(Self.sample).objectValue ?? [] {
            switch value {
            case .array(let items): pairs += items.compactMap { $0.stringValue }.map { (key, $0) }
            case .object(let grades): pairs += grades.map { ("moyennes.\($0.0)", $0.1.serialized) }
            case .bool(let flag): pairs.append((key, flag ? "true" : "false"))
            default: pairs.append((key, value.stringValue ?? value.serialized))
            }
        }
        return pairs.map { FormDecoding.encode($0.0) + "=" + FormDecoding.encode($0.1) }.joined(separator: "&")
    }

    func expectError(_ response: Response, _ status: Int, _ code: String) throws {
        #expect(response.status == status)
        #expect(try response.json()["error"] == .string(code))
        #expect(response.afterFinish.isEmpty)
    }

    @Test func withoutSessionIs401BeforeAnyOtherCheck() throws {
        let site = try InMemorySite()
        let request = site.request("POST", Self.path, headers: ["Origin": "https://evil.example"], contentType: "text/plain")
        try expectError(site.send(site.createRoute, request), 401, "unauthenticated")
    }

    @Test func anotherOriginIs403() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let request = site.post(
            Self.path, session: session, contentType: "application/json", body: try sampleText(),
            headers: ["Origin": "https://evil.example"])
        try expectError(site.send(site.createRoute, request), 403, "forbidden_origin")
        #expect(site.store.bilans.isEmpty)
    }

    @Test func otherMediaTypesAre415() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let request = site.post(Self.path, session: session, contentType: "text/plain", body: try sampleText())
        try expectError(site.send(site.createRoute, request), 415, "unsupported_media_type")
    }

    @Test func oversizedBodiesAre413() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        var cut = site.post(Self.path, session: session, contentType: "application/json", body: "{}")
        cut.bodyTooLarge = true
        try expectError(site.send(site.createRoute, cut), 413, "payload_too_large")
        let declared = site.request(
            "POST", Self.path, session: session, headers: ["Origin": InMemorySite.origin], contentType: "application/json",
            body: Array("{}".utf8), declaredLength: FastCGIServer.bodyLimit + 1)
        try expectError(site.send(site.createRoute, declared), 413, "payload_too_large")
    }

    @Test func malformedJSONIs400() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let request = site.post(Self.path, session: session, contentType: "application/json", body: #"{"niveau": "#)
        try expectError(site.send(site.createRoute, request), 400, "invalid_json")
    }

    @Test func anInvalidQuestionnaireIs400NamingTheField() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let answers = TestSupport.setting(try TestSupport.sample(Self.sample), "niveau", "DOCTORAT")
        let request = site.post(Self.path, session: session, contentType: "application/json", body: answers.serialized)
        let response = site.send(site.createRoute, request)
        try expectError(response, 400, "invalid_questionnaire")
        #expect(try response.json()["field"] == "niveau")
        #expect(site.store.bilans.isEmpty)
    }

    @Test func withoutSubscriptionIs403NotEligible() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn(plan: nil)
        let request = site.post(Self.path, session: session, contentType: "application/json", body: try sampleText())
        let response = site.send(site.createRoute, request)
        try expectError(response, 403, "not_eligible")
        #expect(try response.json()["reason"] == "NO_SUBSCRIPTION")
        #expect(try response.json()["eligible"] == nil)
        #expect(site.store.bilans.isEmpty)
    }

    @Test func aCreatedBilanIs202WithItsAddressAndOneSpawnForLater() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let request = site.post(Self.path, session: session, contentType: "application/json", body: try sampleText())
        let response = site.send(site.createRoute, request)
        #expect(response.status == 202)
        let stored = try #require(site.store.bilans.first)
        #expect(site.store.bilans.count == 1)
        #expect(stored.user == user && stored.snapshot.status == .pending && !stored.snapshot.distressFlag)
        #expect(try JSONParser.parse(stored.snapshot.questionnaire ?? "")["niveau"] == "TERMINALE")
        let json = try response.json()
        #expect(json["bilanId"] == .string(stored.snapshot.id))
        #expect(json["status"] == "PENDING")
        #expect(json["resultUrl"] == .string("/orientation/resultat/" + stored.snapshot.id))
        #expect(response.header("Location") == "/orientation/resultat/" + stored.snapshot.id)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        // The generator starts once the answer has left, never before.
        #expect(response.afterFinish.count == 1)
        #expect(site.spawner.started.isEmpty)
    }

    @Test func aSecondCreateTheSameYearIs403AlreadyUsed() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let body = try sampleText()
        #expect(site.send(site.createRoute, site.post(Self.path, session: session, contentType: "application/json", body: body)).status == 202)
        let second = site.send(site.createRoute, site.post(Self.path, session: session, contentType: "application/json", body: body))
        try expectError(second, 403, "not_eligible")
        #expect(try second.json()["reason"] == "ALREADY_USED")
        #expect(try second.json()["lastBilanId"] == .string(site.store.bilans[0].snapshot.id))
        #expect(site.store.bilans.count == 1)
    }

    @Test func aDistressingFreeTextFlagsTheBilan() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let answers = TestSupport.setting(try TestSupport.sample(Self.sample), "commentaire", "Parfois j'ai envie de mourir.")
        let response = site.send(
            site.createRoute, site.post(Self.path, session: session, contentType: "application/json", body: answers.serialized))
        #expect(response.status == 202)
        #expect(site.store.bilans.first?.snapshot.distressFlag == true)
    }

    @Test func theFormIsAnsweredWithARedirectToTheResultPage() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let request = site.post(
            Self.path, session: session, contentType: "application/x-www-form-urlencoded", body: try sampleForm(),
            headers: ["Accept": "text/html"])
        let response = site.send(site.createRoute, request)
        #expect(response.status == 303)
        let stored = try #require(site.store.bilans.first)
        #expect(response.header("Location") == "/orientation/resultat/" + stored.snapshot.id)
        #expect(response.afterFinish.count == 1)
    }

    @Test func aFormErrorIsAPageAndAnExpiredSessionGoesToLogin() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn(plan: nil)
        let refused = site.send(
            site.createRoute,
            site.post(Self.path, session: session, contentType: "application/x-www-form-urlencoded", body: try sampleForm(), headers: ["Accept": "text/html"]))
        #expect(refused.status == 403)
        #expect(refused.header("Content-Type") == "text/html; charset=utf-8")
        #expect(refused.text.contains("réservé aux abonnés"))
        let expired = site.send(
            site.createRoute,
            site.post(Self.path, session: SessionToken.generate(), contentType: "application/x-www-form-urlencoded", body: "", headers: ["Accept": "text/html"]))
        #expect(expired.status == 303)
        #expect(expired.header("Location") == "/auth/login.html?returnTo=%2Forientation%2F")
    }

    @Test func otherMethodsAre405() throws {
        let site = try InMemorySite()
        expectMethodNotAllowed(site.send(site.createRoute, site.request("GET", Self.path)), allow: "POST")
    }

    @Test func databaseDownIs503() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        site.store.unreachable = true
        let response = site.send(
            site.createRoute, site.post(Self.path, session: session, contentType: "application/json", body: try sampleText()))
        try expectDatabaseUnavailable(response)
        #expect(response.afterFinish.isEmpty)
    }
}
