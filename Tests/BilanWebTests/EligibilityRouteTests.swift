import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `GET /api/orientation/eligibility` fed in-process (SPEC §3).
@Suite("Eligibility route, in-process")
struct EligibilityRouteTests {
    static let path = "/api/orientation/eligibility"

    @Test func withoutAValidSessionIs401() throws {
        let site = try InMemorySite()
        for session in [nil, SessionToken.generate(), "not a token; evil"] {
            let response = site.send(site.eligibilityRoute, site.request("GET", Self.path, session: session))
            #expect(response.status == 401, "\(session ?? "no cookie")")
            #expect(try response.json()["error"] == "unauthenticated")
        }
    }

    @Test func aSubscriberWithoutABilanIsEligible() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn(plan: "MONTHLY")
        let response = site.send(site.eligibilityRoute, site.request("GET", Self.path, session: session))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store")
        let json = try response.json()
        #expect(json["eligible"] == true)
        #expect(json["plan"] == "MONTHLY")
    }

    @Test func withoutSubscriptionNotEligible() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn(plan: nil)
        let json = try site.send(site.eligibilityRoute, site.request("GET", Self.path, session: session)).json()
        #expect(json["eligible"] == false)
        #expect(json["reason"] == "NO_SUBSCRIPTION")
    }

    @Test func aBilanThisYearUsesTheYear() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let id = site.store.addBilan(of: user, status: .completed, ageMs: 86_400_000)
        let json = try site.send(site.eligibilityRoute, site.request("GET", Self.path, session: session)).json()
        #expect(json["eligible"] == false)
        #expect(json["reason"] == "ALREADY_USED")
        #expect(json["lastBilanId"] == .string(id))
        #expect(json["nextEligibleAt"] == .string(UTCTime.iso8601(site.store.nowMs - 86_400_000 + Eligibility.yearMs)))
    }

    @Test func otherMethodsAre405() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        expectMethodNotAllowed(site.send(site.eligibilityRoute, site.request("POST", Self.path, session: session)), allow: "GET, HEAD")
    }

    @Test func databaseDownIs503() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        site.store.unreachable = true
        try expectDatabaseUnavailable(site.send(site.eligibilityRoute, site.request("GET", Self.path, session: session)))
    }
}
