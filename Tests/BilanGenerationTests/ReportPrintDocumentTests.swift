import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration
import BilanMarkdown

/// The print template filled in (SPEC §14): the title page with the day in
/// Europe/Paris and the level in words, one table-of-contents entry per
/// section pointing at its heading, the running footer, the help card only
/// when flagged, and nothing of the untrusted report or answers unescaped.
@Suite("PDF print template")
struct ReportPrintDocumentTests {
    static func source(
        report: String = PassRunnerTests.goodReport, html: String? = nil, toc: String? = nil,
        questionnaire: JSONValue? = nil, completedAtMs: Int64 = MemoryPDFStore.completedAtMs, distress: Bool = false
    ) throws -> PrintSource {
        PrintSource(
            id: "b1", report: report, reportHTML: html, reportTOC: toc,
            questionnaire: (try questionnaire ?? ReportFixtures.questionnaire()).serialized, completedAtMs: completedAtMs,
            distressFlag: distress)
    }

    static func html(_ source: PrintSource) throws -> String { try PDFFakes.document().html(for: source) }

    @Test func theTitlePageShowsTheLevelInWordsAndTheDay() throws {
        let page = try Self.html(try Self.source())
        #expect(page.contains(#"<p class="level" id="level">Niveau : terminale</p>"#))
        #expect(page.contains(#"<p class="date" id="date">Réalisé le 2 décembre 2026</p>"#))
        #expect(page.contains(#"<p class="profile" id="profile">Terminale, voie générale — mathématiques, physique-chimie</p>"#))
        #expect(page.contains("<title>Bilan d'orientation du 2 décembre 2026</title>"))
        #expect(!page.contains("TERMINALE") && !page.contains("PHYSIQUE_CHIMIE"))
    }

    /// 23:30 UTC on 1 December is already 2 December in Paris (UTC+1 in winter),
    /// and 22:30 UTC on 30 June is 1 July (UTC+2 in summer).
    @Test func theDayIsTheDayInParis() throws {
        let winter = try Self.html(try Self.source(completedAtMs: 1_796_167_800_000))  // 2026-12-01T23:30Z
        #expect(winter.contains("Réalisé le 2 décembre 2026"))
        let summer = try Self.html(try Self.source(completedAtMs: 1_782_858_600_000))  // 2026-06-30T22:30Z
        #expect(summer.contains("Réalisé le 1er juillet 2026"))
        #expect(ReportPDFName.fileName(completedAtMs: 1_782_858_600_000) == "bilan-orientation-2026-07-01.pdf")
    }

    @Test func theTableOfContentsHasOneEntryPerSectionPointingAtItsHeading() throws {
        let page = try Self.html(try Self.source())
        for (index, heading) in ReportOutline.headings.enumerated() {
            let anchor = "section-\(index + 1)"
            #expect(page.contains(##"<li><a href="#\##(anchor)">\##(HTMLEscaping.escape(heading))</a></li>"##), "\(heading)")
            #expect(page.contains(#"<h2 id="\#(anchor)">"#), "\(anchor)")
        }
        #expect(page.occurrences(of: ##"<li><a href="#section-"##) == 8)
        let toc = try #require(page.firstRange(of: #"id="toc""#))
        let report = try #require(page.firstRange(of: #"id="report""#))
        #expect(toc.lowerBound < report.lowerBound, "the contents come before the report")
    }

    @Test func theRunningFooterSaysWhereToCheckFacts() throws {
        let page = try Self.html(try Self.source())
        #expect(page.contains(
            #"<p class="running-footer" id="running-footer">Bilan du 2 décembre 2026 · informations à vérifier sur parcoursup.gouv.fr / onisep.fr</p>"#))
        let css = try #require(readTextFile(TestSupport.templatesDirectory + "/pdf/report.css"))
        #expect(css.contains("position: running(footer)") && css.contains("content: element(footer)"))
        #expect(css.contains("counter(page)") && css.contains("counter(pages)"))
        #expect(css.contains("target-counter(attr(href), page)"))
        #expect(css.contains("break-before: page") && css.contains("break-inside: avoid"))
    }

    /// The stored, sanitised HTML goes in as it is; the report is never rendered again then.
    @Test func theStoredHTMLIsUsedAsItIs() throws {
        let html = #"<h1>Titre</h1><h2 id="section-1">Votre profil</h2><p>Rendu stocké.</p>"#
        let toc: JSONValue = [["anchor": "section-1", "title": "Votre profil"]]
        let page = try Self.html(try Self.source(report: "## Autre chose", html: html, toc: toc.serialized))
        #expect(page.contains(html))
        #expect(!page.contains("Autre chose"))
        #expect(page.contains(##"<li><a href="#section-1">Votre profil</a></li>"##))
    }

    /// A report stored before its HTML was (an old bilan): rendered under the
    /// page's rules, so raw HTML stays text and images and off-list links go.
    @Test func untrustedTextIsEscapedOrDropped() throws {
        let report = """
            # Bilan

            ## Synthèse <script>alert(1)</script>

            <img src="https://tracker.example.com/x.png" onerror="alert(2)">

            ![pixel](https://tracker.example.com/pixel.png)

            [un lien](https://evil.example.com/) et [Onisep](https://www.onisep.fr/).
            """
        let hostile: JSONValue = ["niveau": "TERMINALE", "filiere": "GENERALE", "specialites": ["<b>MATHS</b>"]]
        let page = try Self.html(try Self.source(report: report, questionnaire: hostile))
        #expect(!page.contains("<script>") && !page.contains("<img") && !page.contains("<b>"))
        #expect(!page.contains("src=\"") && !page.contains("tracker.example.com/pixel"))
        #expect(!page.contains("https://evil.example.com") && page.contains("un lien"))
        #expect(page.contains("&lt;img src=&quot;https://tracker.example.com/x.png&quot;"), "raw HTML shows as text")
        #expect(page.contains(#"<a href="https://www.onisep.fr/">Onisep</a>"#))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))

        // Titles read back from a stored table of contents are escaped too.
        let toc: JSONValue = [["anchor": "section-1", "title": "<i>Profil</i>"]]
        let fromStore = try Self.html(try Self.source(html: "<p>x</p>", toc: toc.serialized))
        #expect(fromStore.contains("&lt;i&gt;Profil&lt;/i&gt;") && !fromStore.contains("<i>"))
    }

    @Test func theHelpCardOnlyForAFlaggedBilan() throws {
        let plain = try Self.html(try Self.source())
        #expect(!plain.contains(#"id="help-card""#) && !plain.contains("3114"))
        let flagged = try Self.html(try Self.source(distress: true))
        #expect(flagged.contains(#"id="help-card""#) && flagged.contains("3114") && flagged.contains("0 800 235 236"))
    }

    /// WeasyPrint must fetch nothing from the network: the template and its
    /// stylesheet name local files only.
    @Test func theTemplateNamesNoNetworkResource() throws {
        let template = try #require(readTextFile(TestSupport.templatesDirectory + "/pdf/report.html"))
        let css = try #require(readTextFile(TestSupport.templatesDirectory + "/pdf/report.css"))
        for tag in ["<link", "<img", "<script", "<iframe", "<object"] where template.contains(tag) {
            for part in template.split(separator: "<").filter({ "<" + $0.prefix(tag.count - 1) == tag }) {
                #expect(!part.contains("http:") && !part.contains("https:") && !part.contains("//"), "\(part)")
            }
        }
        #expect(!template.contains("<script") && !template.contains("<img"))
        #expect(!css.contains("url(") && !css.contains("@import"))
    }
}
