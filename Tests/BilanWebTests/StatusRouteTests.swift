import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `bilan-status` fed in-process: the polled status (one lookup resolving
/// session and bilan, ETag, 304, Retry-After), the history, and the health
/// and metrics routes.
@Suite("Status, history and monitoring routes, in-process")
struct StatusRouteTests {
    static let report = "## Votre profil\n\nUn texte.\n\n## Pistes d'études\n\nD'autres textes.\n"

    func statusPath(_ id: String) -> String { "/api/orientation/bilan/" + id }

    @Test func withoutAValidSessionIs401() throws {
        let site = try InMemorySite()
        let (user, _) = site.signIn()
        let id = site.store.addBilan(of: user, status: .pending)
        for session in [nil, SessionToken.generate()] {
            let response = site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session))
            #expect(response.status == 401)
            #expect(try response.json()["error"] == "unauthenticated")
        }
    }

    @Test func malformedUnknownAndForeignIdsAreTheSame404() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let foreign = site.store.addBilan(of: "0b6f3f0e-9a51-4d0e-8a51-54c1a8f0f1aa", status: .completed, report: Self.report)
        var bodies: Set<String> = []
        for id in ["not-a-uuid", foreign, site.store.newBilanId(), foreign + "0"] {
            let response = site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session))
            #expect(response.status == 404, "\(id)")
            #expect(try response.json()["error"] == "not_found")
            bodies.insert(response.text)
        }
        #expect(bodies.count == 1)
    }

    @Test func aCompletedBilanIsItsJSONWithAnETag() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.completed, report: Self.report)
        let response = site.send(site.statusRoutes, site.request("GET", statusPath(id.uppercased()), session: session))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("Retry-After") == nil)
        let etag = try #require(response.header("ETag"))
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count == 18)
        let json = try response.json()
        #expect(json["id"] == .string(id))
        #expect(json["status"] == "COMPLETED")
        #expect(json["resultat"] == .string(Self.report))
        #expect(json["sections"] == ["Votre profil", "Pistes d'études"])
        #expect(json["completedAt"]?.stringValue?.hasSuffix("Z") == true)
        #expect(json["aide"] == nil)
    }

    @Test func aMatchingIfNoneMatchIs304WithoutBody() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.pending, step: 2)
        let first = site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session))
        let etag = try #require(first.header("ETag"))
        let again = site.send(
            site.statusRoutes, site.request("GET", statusPath(id), session: session, headers: ["If-None-Match": "W/" + etag]))
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(again.header("ETag") == etag)
        #expect(again.header("Retry-After") == "5")
        #expect(again.header("Cache-Control") == "no-store")
        // The bilan moved on: a new body, a new tag.
        site.store.bilans[0].snapshot.step = 3
        let moved = site.send(
            site.statusRoutes, site.request("GET", statusPath(id), session: session, headers: ["If-None-Match": etag]))
        #expect(moved.status == 200)
        #expect(moved.header("ETag") != etag)
    }

    @Test func aPendingBilanAsksToComeBackIn5Seconds() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.pending, step: 1)
        let response = site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session))
        #expect(response.status == 200)
        #expect(response.header("Retry-After") == "5")
        let json = try response.json()
        #expect(json["status"] == "PENDING")
        #expect(json["progress"]?["step"] == .number(1))
        #expect(json["progress"]?["total"] == .number(3))
        #expect(json["resultat"] == nil)
    }

    @Test func aFailedBilanCarriesItsMessageAndTheHelpCard() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let id = site.store.addBilan(
            of: user, status: .failed, errorMessage: "Le service de rédaction a refusé ce contenu.",
            failureKind: FailureKind.contentRefused.rawValue)
        let json = try site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session)).json()
        #expect(json["status"] == "FAILED")
        #expect(json["errorMessage"] == "Le service de rédaction a refusé ce contenu.")
        #expect(json["aide"] == true)
    }

    @Test func headHasTheHeadersButNoBody() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.completed, report: Self.report)
        let get = site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session))
        let head = site.send(site.statusRoutes, site.request("HEAD", statusPath(id), session: session))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("ETag") == get.header("ETag"))
        #expect(head.header("Content-Type") == "application/json; charset=utf-8")
    }

    @Test func otherMethodsAre405AndOtherPaths404() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.pending)
        expectMethodNotAllowed(site.send(site.statusRoutes, site.request("POST", statusPath(id), session: session)), allow: "GET, HEAD")
        let elsewhere = site.send(site.statusRoutes, site.request("GET", "/api/orientation/other", session: session))
        #expect(elsewhere.status == 404)
    }

    @Test func databaseDownIs503() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan()
        site.store.unreachable = true
        try expectDatabaseUnavailable(site.send(site.statusRoutes, site.request("GET", statusPath(id), session: session)))
    }

    // MARK: history

    @Test func historyNeedsASession() throws {
        let site = try InMemorySite()
        let response = site.send(site.statusRoutes, site.request("GET", "/api/orientation/bilans", session: SessionToken.generate()))
        #expect(response.status == 401)
    }

    @Test func historyListsTheUsersBilansNewestFirstWithTheirProfile() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let answers = try TestSupport.sample("terminale-cpge-aero.json")
        let old = site.store.addBilan(
            of: user, status: .failed, ageMs: 90 * 86_400_000, errorMessage: "raison", questionnaire: answers)
        let recent = site.store.addBilan(of: user, status: .completed, ageMs: 3_600_000, report: Self.report, questionnaire: answers)
        site.store.addBilan(of: "0b6f3f0e-9a51-4d0e-8a51-54c1a8f0f1aa", status: .pending)
        let response = site.send(site.statusRoutes, site.request("GET", "/api/orientation/bilans", session: session))
        #expect(response.status == 200)
        let list = try #require(try response.json()["bilans"]?.arrayValue)
        #expect(list.map { $0["id"] } == [.string(recent), .string(old)])
        #expect(list.map { $0["status"] } == ["COMPLETED", "FAILED"])
        #expect(list[0]["profil"]?.stringValue?.contains("Terminale") == true)
        // A summary: neither the report nor the failure's message.
        #expect(list[0]["resultat"] == nil)
        #expect(list[1]["errorMessage"] == .string(BilanMessages.genericFailure))
    }

    // MARK: health and metrics

    @Test func healthReportsTheQueue() throws {
        let site = try InMemorySite()
        site.store.addBilan(of: "u1", status: .pending, ageMs: 120_000)
        site.store.addBilan(of: "u2", status: .pending, ageMs: 10_000)
        site.store.addBilan(of: "u3", status: .completed)
        let response = site.send(site.statusRoutes, site.request("GET", MonitoringRoutes.healthPath))
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["status"] == "ok")
        #expect(json["database"] == "ok")
        #expect(json["queueDepth"] == .number(2))
        #expect(json["oldestPendingSeconds"] == .number(120))
    }

    @Test func healthIs503WhileTheDatabaseIsDown() throws {
        let site = try InMemorySite()
        site.store.unreachable = true
        let response = site.send(site.statusRoutes, site.request("GET", MonitoringRoutes.healthPath))
        #expect(response.status == 503)
        let json = try response.json()
        #expect(json["status"] == "unavailable")
        #expect(json["database"] == "unreachable")
    }

    @Test func metricsArePrometheusText() throws {
        let site = try InMemorySite()
        site.store.addBilan(of: "u1", status: .completed)
        site.store.addBilan(of: "u2", status: .completed)
        site.store.bilans[0].mailSent = true
        site.store.bilans[0].generatorRuns = 2
        site.store.bilans[1].generatorRuns = 1
        let response = site.send(site.statusRoutes, site.request("GET", MonitoringRoutes.metricsPath))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let lines = Set(response.text.split(separator: "\n").map(String.init))
        for expected in [
            #"bilan_bilans{status="COMPLETED"} 2"#, #"bilan_bilans{status="PENDING"} 0"#, #"bilan_bilans{status="FAILED"} 0"#,
            "bilan_generator_runs_total 3", "bilan_mails_sent_total 1", "bilan_mails_owed 1",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        #expect(site.send(site.statusRoutes, site.request("DELETE", MonitoringRoutes.metricsPath)).status == 405)
    }
}
