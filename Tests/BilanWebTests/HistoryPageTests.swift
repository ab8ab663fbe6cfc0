import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `GET /orientation/historique` fed in-process (SPEC §14, « Pages without
/// JavaScript »): the user's bilans as HTML, newest first, with their state,
/// day, profile and links (the PDF's once made); only the user's own; the
/// login redirect; the empty state; the 503 page.
@Suite("History page, in-process")
struct HistoryPageTests {
    static let path = "/orientation/historique"

    func items(_ page: String) -> [String] {
        page.split(separator: "<li class=\"card bilan-item\"").dropFirst().map(String.init)
    }

    @Test func theUsersBilansNewestFirstWithStateDayProfileAndLinks() throws {
        let site = try InMemorySite()
        let (user, session) = site.signIn()
        let failed = site.store.addBilan(of: user, status: .failed, ageMs: 3 * 86_400_000, errorMessage: "Échec.")
        let completed = site.store.addBilan(
            of: user, status: .completed, ageMs: 2 * 86_400_000, questionnaire: try TestSupport.sample("terminale-cpge-aero.json"))
        let pending = site.store.addBilan(of: user, status: .pending, step: 2, ageMs: 60_000)
        site.store.pdfs[completed] = (Array("%PDF-1.7".utf8), "\"e\"")
        site.store.addBilan(of: "0b6f3f0e-9a51-4d0e-8a51-54c1a8f0f1aa", status: .completed)

        let response = site.send(site.pageRoute, site.request("GET", Self.path, session: session))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("Content-Security-Policy") == Response.contentSecurityPolicy)
        let page = response.text
        #expect(!page.contains("<script"), "the history needs no JavaScript")
        let items = items(page)
        #expect(items.count == 3, "another user's bilan is not listed")
        guard items.count == 3 else { return }
        #expect(items[0].contains(#"data-bilan-id="\#(pending)""#) && items[0].contains("En cours"))
        #expect(items[0].contains(HTMLEscaping.escape(BilanProgress.label(status: .pending, step: 2))))
        #expect(items[0].contains("Suivre l&#39;avancement") || items[0].contains("Suivre l'avancement"))
        #expect(items[1].contains(#"data-bilan-id="\#(completed)""#) && items[1].contains("Terminé"))
        #expect(items[1].contains(#"href="/orientation/resultat/\#(completed)""#))
        #expect(items[1].contains(#"href="/orientation/resultat/\#(completed).pdf""#))
        #expect(items[1].contains("Terminale, voie générale — mathématiques, physique-chimie"))
        let day = ParisCalendar.today(nowMilliseconds: site.store.nowMs - 2 * 86_400_000).frenchLong
        #expect(items[1].contains("Bilan du " + day))
        #expect(items[2].contains(#"data-bilan-id="\#(failed)""#) && items[2].contains("Échec"))
        #expect(!items[0].contains(".pdf") && !items[2].contains(".pdf"), "a PDF link only where one exists")
        #expect(page.contains(#"<a href="/orientation/historique" aria-current="page">Mes bilans</a>"#))
    }

    @Test func noBilanYetShowsTheWayToTheQuestionnaire() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        let page = site.send(site.pageRoute, site.request("GET", Self.path, session: session)).text
        #expect(page.contains(#"id="history-empty""#) && page.contains(#"href="/orientation/""#))
        #expect(!page.contains(#"id="bilan-list""#))
    }

    @Test func withoutAValidSessionRedirectsToLoginAndBack() throws {
        let site = try InMemorySite()
        for session in [nil, SessionToken.generate()] {
            let response = site.send(site.pageRoute, site.request("GET", Self.path, session: session))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/auth/login.html?returnTo=/orientation/historique")
        }
    }

    @Test func databaseDownIsThe503Page() throws {
        let site = try InMemorySite()
        let (_, session) = site.signIn()
        site.store.unreachable = true
        let response = site.send(site.pageRoute, site.request("GET", Self.path, session: session))
        #expect(response.status == 503 && response.header("Content-Type") == "text/html; charset=utf-8")
    }

    /// Every page of the site links to the history in its navigation.
    @Test func everyPageLinksToTheHistory() throws {
        let pages = ["templates/pages/result.html", "templates/pages/not-found.html", "templates/pages/history.html",
                     "www/orientation/index.html"]
        for path in pages {
            let text = try #require(readTextFile(TestSupport.repositoryRoot + "/" + path), "\(path)")
            let nav = try #require(text.firstRange(of: #"<nav class="site-nav""#).map { text[$0.lowerBound...] }, "\(path)")
            let end = try #require(nav.firstRange(of: "</nav>"))
            #expect(nav[..<end.lowerBound].contains(#"href="/orientation/historique""#), "\(path)")
            #expect(!text.contains("historique.html"), "\(path) links to the former static page")
        }
    }
}
