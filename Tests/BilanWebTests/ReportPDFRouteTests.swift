import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `GET /orientation/resultat/<id>.pdf` fed in-process (SPEC §14): the PDF
/// as a download named for its day, its ETag and 304, the page's login
/// redirect and its 404 for every id that is not the session's completed
/// bilan with a PDF; and the page's « Télécharger le PDF » only once it exists.
@Suite("Report PDF route, in-process")
struct ReportPDFRouteTests {
    static let pdf = Array("%PDF-1.7\n%âãÏÓ\n".utf8)
    static let etag = "\"0123456789abcdef0123456789abcdef\""

    func pdfPath(_ id: String) -> String { "/orientation/resultat/\(id).pdf" }

    /// A signed-in user's completed bilan with its PDF made.
    func completedWithPDF(_ site: InMemorySite) -> (id: String, session: String, completedAtMs: Int64) {
        let (id, session) = site.signedInBilan(.completed, report: "## Synthèse de votre profil\n\nTexte.")
        site.store.pdfs[id] = (Self.pdf, Self.etag)
        let completed = site.store.bilans.first { $0.snapshot.id == id }!.snapshot.completedAtMs!
        return (id, session, completed)
    }

    @Test func thePDFIsADownloadNamedForItsDayWithAnETag() throws {
        let site = try InMemorySite()
        let (id, session, completedAt) = completedWithPDF(site)
        let response = site.send(site.pageRoute, site.request("GET", pdfPath(id), session: session))
        #expect(response.status == 200)
        #expect(response.body == Self.pdf)
        #expect(response.header("Content-Type") == "application/pdf")
        let day = ParisCalendar.today(nowMilliseconds: completedAt)
        #expect(response.header("Content-Disposition") == "attachment; filename=\"bilan-orientation-\(day).pdf\"")
        #expect(response.header("ETag") == Self.etag)
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("Cache-Control") == "private, no-cache")

        let head = site.send(site.pageRoute, site.request("HEAD", pdfPath(id), session: session))
        #expect(head.status == 200 && head.body.isEmpty && head.header("ETag") == Self.etag)
    }

    @Test func theSameETagGetsA304WithoutTheBytes() throws {
        let site = try InMemorySite()
        let (id, session, _) = completedWithPDF(site)
        for header in [Self.etag, "\"autre\", " + Self.etag, "W/" + Self.etag, "*"] {
            let response = site.send(
                site.pageRoute, site.request("GET", pdfPath(id), session: session, headers: ["If-None-Match": header]))
            #expect(response.status == 304, "\(header)")
            #expect(response.body.isEmpty && response.header("ETag") == Self.etag)
        }
        let changed = site.send(
            site.pageRoute, site.request("GET", pdfPath(id), session: session, headers: ["If-None-Match": "\"autre\""]))
        #expect(changed.status == 200 && changed.body == Self.pdf)
    }

    @Test func withoutAValidSessionRedirectsToLoginAndBack() throws {
        let site = try InMemorySite()
        let (id, _, _) = completedWithPDF(site)
        for session in [nil, SessionToken.generate()] {
            let response = site.send(site.pageRoute, site.request("GET", pdfPath(id), session: session))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/auth/login.html?returnTo=/orientation/resultat/\(id).pdf")
        }
    }

    /// Another user's, unknown, malformed, not completed, PDF not made yet:
    /// the same 404 page, nothing tells them apart.
    @Test func everyOtherIdIsThe404Page() throws {
        let site = try InMemorySite()
        let (mine, session, _) = completedWithPDF(site)
        let foreign = site.store.addBilan(of: "0b6f3f0e-9a51-4d0e-8a51-54c1a8f0f1aa", status: .completed)
        site.store.pdfs[foreign] = (Self.pdf, Self.etag)
        let user = site.store.sessions[session]!
        let noPDFYet = site.store.addBilan(of: user, status: .completed)
        let pending = site.store.addBilan(of: user, status: .pending)
        site.store.pdfs[pending] = (Self.pdf, Self.etag)
        for id in [foreign, noPDFYet, pending, site.store.newBilanId(), "x", mine + "x", ""] {
            let response = site.send(site.pageRoute, site.request("GET", pdfPath(id), session: session))
            #expect(response.status == 404, "\(id)")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
            #expect(response.text.contains("<title>Bilan introuvable"))
        }
    }

    @Test func databaseDownIsThe503Page() throws {
        let site = try InMemorySite()
        let (id, session, _) = completedWithPDF(site)
        site.store.unreachable = true
        let response = site.send(site.pageRoute, site.request("GET", pdfPath(id), session: session))
        #expect(response.status == 503 && response.header("Retry-After") == "5")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
    }

    @Test func otherMethodsAre405() throws {
        let site = try InMemorySite()
        let (id, session, _) = completedWithPDF(site)
        expectMethodNotAllowed(site.send(site.pageRoute, site.request("POST", pdfPath(id), session: session)), allow: "GET, HEAD")
    }

    @Test func thePageOffersTheDownloadOnlyOnceThePDFExists() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.completed, report: "## Synthèse de votre profil\n\nTexte.")
        let before = site.send(site.pageRoute, site.request("GET", "/orientation/resultat/" + id, session: session)).text
        #expect(!before.contains(#"id="pdf-download""#))
        #expect(before.contains(#"id="pdf-pending""#) && before.contains("data-pdf-pending"))
        #expect(before.contains(#"id="print""#), "the print button stays")

        site.store.pdfs[id] = (Self.pdf, Self.etag)
        let after = site.send(site.pageRoute, site.request("GET", "/orientation/resultat/" + id, session: session)).text
        #expect(after.contains(#"<a class="btn btn-primary" id="pdf-download" href="/orientation/resultat/\#(id).pdf">"#))
        #expect(after.contains("Télécharger le PDF"))
        #expect(!after.contains(#"id="pdf-pending""#) && !after.contains("data-pdf-pending"))
        #expect(after.contains(#"id="print""#), "the print button stays")
    }

    @Test func aPendingPageHasNoDownload() throws {
        let site = try InMemorySite()
        let (id, session) = site.signedInBilan(.pending, step: 1)
        let page = site.send(site.pageRoute, site.request("GET", "/orientation/resultat/" + id, session: session)).text
        #expect(!page.contains(#"id="pdf-download""#) && !page.contains(#"id="pdf-pending""#))
    }
}
