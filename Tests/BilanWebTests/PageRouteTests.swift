import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `GET /orientation/resultat/<id>` fed in-process: the page in its three
/// states, the login redirect, the 404 page, and the 503 page while the
/// database is down (HTML, not JSON: a browser asked).
@Suite("Result page route, in-process")
struct PageRouteTests {
    func pagePath(_ id: String) -> String { "/orientation/resultat/" + id }

    func expectPageHeaders(_ response: Response) {
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("Content-Security-Policy") == Response.contentSecurityPolicy)
        #expect(response.header("Cache-Control") == "no-store")
    }

    @Test func withoutAValidSessionRedirectsToLoginAndBack() throws {
        let site = try InMemorySite()
        let (user, _) = site.signIn()
        let id = site.store.addBilan(of: user, status: .pending)
        for session in [nil, SessionToken.generate()] {
            let response = site.send(site.pageRoute, site.request("GET", pagePath(id), session: session))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/auth/login.html?returnTo=/orientation/resultat/" + id)
        }
    }

    @Test func unknownMalformedAndForeignIdsAreThe404Page() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let foreign = site.store.addBilan(of: "0b6f3f0e-9a51-4d0e-8a51-54c1a8f0f1aa", status: .completed)
        for id in [foreign, "x", site.store.newBilanId()] {
            let response = site.send(site.pageRoute, site.request("GET", pagePath(id), session: session))
            #expect(response.status == 404, "\(id)")
            expectPageHeaders(response)
            #expect(response.text.contains("<title>Bilan introuvable"))
        }
        #expect(site.send(site.pageRoute, site.request("GET", "/orientation/autre", session: session)).status == 404)
    }

    @Test func aCompletedPageShowsTheStoredHTML() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let html = #"<h2 id="votre-profil">Votre profil</h2><p>Rendu stocké à la complétion.</p>"#
        let toc: JSONValue = [["anchor": "votre-profil", "title": "Votre profil"]]
        let id = site.store.addBilan(
            of: user, status: .completed, report: "## Autre chose\n\nCe Markdown n'est pas rendu à nouveau.",
            reportHTML: html, reportTOC: toc.serialized, questionnaire: try TestSupport.sample("terminale-cpge-aero.json"))
        let response = site.send(site.pageRoute, site.request("GET", pagePath(id), session: session))
        #expect(response.status == 200)
        expectPageHeaders(response)
        let page = response.text
        #expect(page.contains(html))
        #expect(page.contains(##"<a href="#votre-profil">Votre profil</a>"##))
        #expect(!page.contains("Autre chose"))
        #expect(page.contains(#"data-status="COMPLETED""#))
        #expect(page.contains(#"id="profile""#))
    }

    @Test func aPendingPageShowsTheStepAndRefreshesWithoutScript() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.pending, step: 2)
        let response = site.send(site.pageRoute, site.request("GET", pagePath(id), session: session))
        #expect(response.status == 200)
        let page = response.text
        #expect(page.contains(#"data-status="PENDING""#))
        #expect(page.contains(#"data-step="2""#))
        #expect(page.contains(HTMLEscaping.escape(BilanProgress.label(status: .pending, step: 2))))
        #expect(page.contains(#"<meta http-equiv="refresh" content="5">"#))
    }

    @Test func aFailedPageOffersARetryOnlyWhenTheRuleAllows() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let failed = site.store.addBilan(of: user, status: .failed, errorMessage: "La rédaction a échoué.")
        let retry = site.send(site.pageRoute, site.request("GET", pagePath(failed), session: session)).text
        #expect(retry.contains(HTMLEscaping.escape("La rédaction a échoué.")))
        #expect(retry.contains(#"id="retry""#))
        site.store.addBilan(of: user, status: .pending)
        let noRetry = site.send(site.pageRoute, site.request("GET", pagePath(failed), session: session)).text
        #expect(!noRetry.contains(#"id="retry""#))
    }

    @Test func databaseDownIsA503Page() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.pending)
        site.store.unreachable = true
        let response = site.send(site.pageRoute, site.request("GET", pagePath(id), session: session))
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.text.contains("Service momentanément indisponible"))
    }

    @Test func otherMethodsAre405() throws {
        let site = try InMemorySite()
        expectMethodNotAllowed(site.send(site.pageRoute, site.request("POST", pagePath(site.store.newBilanId()))), allow: "GET, HEAD")
    }
}
