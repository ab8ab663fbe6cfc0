import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §12 and docs/REPORT-ENGINE.md « The report check »: a hand-written
/// report that a conseiller would sign passes every rule with its
/// questionnaire; each test then breaks one rule only and checks that exactly
/// that rule fails, with the kind (hard or soft) the contract gives it. Also
/// the link finder's neutralisation and the stored verdict's JSON.
@Suite("Report check")
struct ReportCheckTests {
    /// The contract's table: rule id → hard, in the order of the verdict.
    static let kinds: [(id: String, hard: Bool)] = [
        ("title", true), ("headings", true), ("no-html", true), ("links", true), ("size", true),
        ("length", false), ("free-texts", false), ("no-codes", false), ("plan", false), ("dates", false),
    ]

    static func isHard(_ id: String) -> Bool? { kinds.first { $0.id == id }?.hard }

    static let facts = ReportFixtures.facts
    static let check = ReportFixtures.check
    static func questionnaire() throws -> JSONValue { try ReportFixtures.questionnaire() }

    /// Words as the contract counts them (whitespace-separated tokens holding a
    /// letter or a digit), counted here independently of `ReportText`.
    static func words(_ text: String) -> Int {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).filter { token in
            token.contains { $0.isLetter || $0.isNumber }
        }.count
    }

    // MARK: the good report

    typealias Draft = ReportFixtures.Draft


    func verdict(_ draft: Draft, questionnaire: JSONValue?? = .none) throws -> ReportVerdict {
        let answers: JSONValue? = try questionnaire ?? Self.questionnaire()
        return Self.check.verify(draft.text, questionnaire: answers)
    }

    func failing(_ draft: Draft, questionnaire: JSONValue?? = .none) throws -> Set<String> {
        Set(try verdict(draft, questionnaire: questionnaire).broken.map(\.id))
    }

    /// Exactly the rules `ids` fail, each with the kind the contract gives it.
    func expectOnly(
        _ ids: Set<String>, _ draft: Draft, questionnaire: JSONValue?? = .none, _ comment: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try verdict(draft, questionnaire: questionnaire)
        let broken = Set(result.broken.map(\.id))
        #expect(broken == ids, "\(comment): \(result.broken.map { "\($0.id): \($0.detail)" })",
            sourceLocation: sourceLocation)
        for id in ids {
            #expect(result.rule(id)?.hard == Self.isHard(id), "\(id) kind", sourceLocation: sourceLocation)
        }
        #expect(result.passed == !ids.contains { Self.isHard($0) == true }, sourceLocation: sourceLocation)
    }

    @Test func goodReportPassesEveryRule() throws {
        let draft = Draft()
        let words = Self.words(draft.text)
        #expect((1600...2000).contains(words), "the fixture should be a normal-length report: \(words) words")
        let result = try verdict(draft)
        #expect(result.broken.isEmpty, "\(result.broken.map { "\($0.id): \($0.detail)" })")
        #expect(result.allPassed && result.passed)
        #expect(result.words == words)
        #expect(result.rules.map(\.id) == Self.kinds.map(\.id))
        #expect(result.rules.map(\.hard) == Self.kinds.map(\.hard))
    }

    @Test func withoutAQuestionnaireTheFreeTextRuleIsAbsent() throws {
        let result = try verdict(Draft(), questionnaire: .some(nil))
        #expect(result.rule("free-texts") == nil)
        #expect(result.rules.map(\.id) == Self.kinds.map(\.id).filter { $0 != "free-texts" })
        #expect(result.allPassed)
        // Even a report that mentions none of the answers.
        var draft = Draft()
        draft.sections[0][0] = "Vous êtes en terminale."
        #expect(try failing(draft, questionnaire: .some(nil)).isEmpty)
    }

    // MARK: title

    @Test func missingTitleFails() throws {
        var draft = Draft()
        draft.title = nil
        try expectOnly(["title"], draft)
        draft.title = "#Bilan sans espace"
        try expectOnly(["title"], draft)
        draft.title = "## Bilan d'orientation"
        try expectOnly(["title", "headings"], draft, "a level-2 title is a ninth heading")
    }

    @Test func twoTitlesFail() throws {
        var draft = Draft()
        draft.add("# Annexe")
        try expectOnly(["title"], draft)
    }

    @Test func textBeforeTheTitleFails() throws {
        var draft = Draft()
        draft.title = "Bonjour !\n\n# Bilan d'orientation 2026-2027"
        try expectOnly(["title"], draft)
    }

    @Test func hashLineInACodeFenceIsNotASecondTitle() throws {
        var draft = Draft()
        draft.add("```\n# une ligne de code\n```")
        try expectOnly([], draft)
    }

    // MARK: headings

    @Test(arguments: 0..<8)
    func missingHeadingFails(_ index: Int) throws {
        var draft = Draft()
        draft.headings[index] = nil
        // Without « Plan d'action » the steps belong to the section before;
        // without « Ressources utiles » its links list joins the plan.
        try expectOnly(index >= 6 ? ["headings", "plan"] : ["headings"], draft, "without \(ReportOutline.headings[index])")
    }

    @Test func extraHeadingFails() throws {
        var draft = Draft()
        draft.sections[7].append("## Mot de la fin\n\nBon courage pour cette année !")
        try expectOnly(["headings"], draft)
        var middle = Draft()
        middle.add("## Coûts et logement")
        try expectOnly(["headings"], middle)
    }

    @Test func headingsOutOfOrderFail() throws {
        var draft = Draft()
        draft.headings.swapAt(2, 3)
        try expectOnly(["headings"], draft)
        draft = Draft()
        draft.headings.swapAt(0, 7)
        try expectOnly(["headings"], draft)
    }

    @Test func renamedHeadingFails() throws {
        var draft = Draft()
        draft.headings[7] = "Ressources"
        try expectOnly(["headings"], draft)
        draft.headings[7] = "Ressources utiles pour vous"
        try expectOnly(["headings"], draft)
        draft = Draft()
        draft.headings[6] = "Votre plan d'action"
        try expectOnly(["headings", "plan"], draft, "the plan is looked for under its exact heading")
    }

    @Test func headingAtAnotherLevelDoesNotCount() throws {
        var draft = Draft()
        draft.headings[4] = nil
        draft.sections[4].insert("### Réalité du terrain", at: 0)
        try expectOnly(["headings"], draft)
    }

    @Test func headingInACodeFenceDoesNotCount() throws {
        var draft = Draft()
        draft.headings[4] = nil
        draft.sections[4].insert("```\n## Réalité du terrain\n```", at: 0)
        try expectOnly(["headings"], draft, "a fenced heading does not replace a real one")
        var extra = Draft()
        extra.add("~~~\n## Pas un titre\n~~~")
        try expectOnly([], extra, "a fenced heading is not an extra one")
    }

    @Test func typographicApostropheAndCaseAccepted() throws {
        var draft = Draft()
        draft.headings = ReportOutline.headings.map { String($0.map { $0 == "'" ? "’" : $0 }) }
        #expect(draft.text.contains("## Plan d’action"))
        try expectOnly([], draft)
        draft.headings = ReportOutline.headings.map { $0.uppercased() }
        try expectOnly([], draft)
    }

    /// In Markdown `## Plan d'action ##` is the heading « Plan d'action »: the
    /// headings rule knows it (MarkdownSections), the plan rule must too.
    @Test
    func closingHashesAreNotPartOfTheHeading() throws {
        var draft = Draft()
        draft.headings = ReportOutline.headings.map { $0 + " ##" }
        try expectOnly([], draft)
    }

    // MARK: no-html

    @Test(arguments: [
        "<script>alert(1)</script>", "Texte <div>en bloc</div>", "<!-- commentaire -->", "Fin de paragraphe.</p>",
        "Retour<br>à la ligne", "<img src=x onerror=alert(1)>", "<?php echo 1; ?>", "<a href=\"https://www.onisep.fr\">ONISEP</a>",
    ])
    func rawHTMLFails(_ html: String) throws {
        var draft = Draft()
        draft.add(html)
        try expectOnly(["no-html"], draft, html)
    }

    @Test(arguments: [
        "Consultez <https://www.onisep.fr> pour les fiches métiers.",
        "Si a < b et b > c, comparez encore.",
        "Une moyenne <10 ou >= 12 change les conseils.",
    ])
    func notHTMLAccepted(_ text: String) throws {
        var draft = Draft()
        draft.add(text)
        try expectOnly([], draft, text)
    }

    // MARK: links

    @Test(arguments: [
        "[ONISEP](https://www.onisep.fr/formations)",
        "<https://www.parcoursup.gouv.fr/>",
        "https://www.education.gouv.fr/bac.",
        "www.onisep.fr",
        "Voir www.onisep.fr, puis parcoursup.gouv.fr.",
        "[Service public](HTTPS://WWW.SERVICE-PUBLIC.FR/particuliers)",
        "[Parcoursup](https://parcoursup.gouv.fr:443/)",
    ])
    func allowedLinksPass(_ link: String) throws {
        var draft = Draft()
        draft.resources.append("- " + link)
        try expectOnly([], draft, link)
    }

    @Test(arguments: [
        "[Parcoursup](http://www.parcoursup.gouv.fr)",
        "http://www.onisep.fr",
        "[cliquez](javascript:alert(1))",
        "[x](https://www.example.com)",
        "<https://www.example.com/page>",
        "https://www.example.com/page",
        "www.example.com",
        "[x](https://www.onisep.fr.evil.com)",
        "https://www.onisep.fr.evil.com/",
        "https://www.onisep.fr@evil.com",
        "[ONISEP](https://www.onisep.fr@evil.com/)",
        "[https://www.onisep.fr](https://evil.example)",
        "[x](//www.onisep.fr/)",
        "![logo](https://evil.example/logo.png)",
        "[x][ref]\n\n[ref]: https://evil.example/",
        "[x](<https://evil.example>)",
        "[x](https://evil.example \"https://www.onisep.fr\")",
        "ftp://www.onisep.fr/",
    ])
    func offListLinksFail(_ link: String) throws {
        var draft = Draft()
        draft.resources.append("- " + link)
        try expectOnly(["links"], draft, link)
    }

    /// In CommonMark a link's text may hold brackets (`[voir [ici]](url)` is
    /// one link, see MarkdownRendererTests.bracketsInsideALinkText); the
    /// check must still see its target.
    @Test(
          arguments: ["[voir [ici]](javascript:alert(1))", "[a [b] c](//evil.example/)", "[[ONISEP]](mailto:x@evil.example)"])
    func linkWithBracketsInItsTextFails(_ link: String) throws {
        var draft = Draft()
        draft.resources.append("- " + link)
        try expectOnly(["links"], draft, link)
    }

    // MARK: size

    @Test func sizeLimitIs65536Bytes() throws {
        var draft = Draft()
        let base = draft.text.utf8.count
        // A paragraph of dots: bytes without words, links or HTML. Adding
        // a paragraph adds it and a blank line ("\n" twice).
        draft.add(String(repeating: ".", count: 65_536 - base - 2))
        #expect(draft.text.utf8.count == 65_536)
        try expectOnly([], draft)
        draft.sections[4][draft.sections[4].count - 1] += "."
        #expect(draft.text.utf8.count == 65_537)
        try expectOnly(["size"], draft)
    }

    // MARK: length

    /// The good report cut to exactly `count` words by dropping the repeated
    /// paragraphs and adding plain words.
    static func draft(words count: Int) -> Draft {
        var draft = Draft()
        draft.removeFillers()
        var filler = 0
        while Self.words(draft.text) + 80 < count {
            draft.add(Draft.fillers[filler % 4])
            filler += 1
        }
        let missing = count - Self.words(draft.text) - 1
        if missing >= 0 { draft.add("Courage" + String(repeating: " encore", count: missing)) }
        return draft
    }

    @Test func lengthBounds() throws {
        for (count, ok) in [(1499, false), (1500, true), (2500, true), (2501, false), (900, false), (3000, false)] {
            let draft = Self.draft(words: count)
            #expect(Self.words(draft.text) == count)
            try expectOnly(ok ? [] : ["length"], draft, "\(count) words")
        }
    }

    // MARK: free-texts

    @Test func unusedFreeTextFails() throws {
        let answers = TestSupport.setting(try Self.questionnaire(), "commentaire", "Xylophones et zeppelins ?")
        try expectOnly(["free-texts"], Draft(), questionnaire: answers)
        let detail = try verdict(Draft(), questionnaire: answers).rule("free-texts")?.detail ?? ""
        #expect(detail.contains("commentaire"))
        #expect(!detail.contains("projetProfessionnel"))
        // Preferred subjects count too.
        let subjects = TestSupport.setting(try Self.questionnaire(), "matieresPreferees", ["philosophie", "musique"])
        try expectOnly(["free-texts"], Draft(), questionnaire: subjects)
    }

    @Test func freeTextWordsMatchWithoutAccentsCaseOrPlural() throws {
        let answers = TestSupport.setting(try Self.questionnaire(), "commentaire", "Les zeppelins et l'ÉQUITATION ?")
        var draft = Draft()
        draft.add("Votre question sur le Zeppelin trouvera sa réponse plus loin.")
        try expectOnly([], draft, questionnaire: answers)
        draft = Draft()
        draft.add("Et l'equitation reste compatible avec la classe préparatoire.")
        try expectOnly([], draft, questionnaire: answers)
    }

    @Test func shortAndCommonWordsAreNotRequired() throws {
        // No word of 5 letters or more that is not a stop word: nothing to look for.
        let answers = TestSupport.setting(try Self.questionnaire(), "commentaire", "Lego, ski, vraiment beaucoup.")
        try expectOnly([], Draft(), questionnaire: answers)
    }

    // MARK: no-codes

    @Test(arguments: ["PHYSIQUE_CHIMIE", "TERMINALE", "projetProfessionnel", "MATHS_EXPERTES", "BAC_5", "ECOLE_INGENIEUR_POSTBAC"])
    func rawCodesFail(_ code: String) throws {
        var draft = Draft()
        draft.add("Votre réponse (\(code)) a été prise en compte.")
        try expectOnly(["no-codes"], draft, code)
    }

    @Test(arguments: ["SVT", "BTS", "CPGE", "terminale", "Terminale", "NSI", "MPSI", "physique-chimie"])
    func ordinaryWordsAccepted(_ word: String) throws {
        var draft = Draft()
        draft.add("Votre réponse (\(word)) a été prise en compte.")
        try expectOnly([], draft, word)
    }

    // MARK: plan

    @Test func planStepCountBounds() throws {
        let more = [
            "- **Juillet 2027** : s'inscrire dans la formation choisie.",
            "- **Août 2027** : trouver un logement et demander une bourse.",
            "- **Septembre 2027** : faire sa rentrée.",
        ]
        let base = Draft().plan
        for (count, ok) in [(4, false), (5, true), (6, true), (8, true), (9, false)] {
            var draft = Draft()
            draft.plan = Array((base + more).prefix(count))
            try expectOnly(ok ? [] : ["plan"], draft, "\(count) steps")
        }
    }

    @Test func undatedStepFails() throws {
        var draft = Draft()
        draft.plan[2] = "- Rencontrer votre professeur principal pour parler de vos vœux."
        try expectOnly(["plan"], draft)
    }

    @Test func numericDateCountsAsDated() throws {
        var draft = Draft()
        // 15 janvier is in a fact, so the dates rule holds too.
        draft.plan[1] = "- 15/01/2027 : ouvrir son dossier social étudiant."
        try expectOnly([], draft)
        draft.plan[1] = "- Le 15/01 : ouvrir son dossier social étudiant."
        try expectOnly([], draft)
    }

    @Test func numberedListCounts() throws {
        var draft = Draft()
        draft.plan = draft.plan.enumerated().map { "\($0.offset + 1). " + String($0.element.dropFirst(2)) }
        #expect(try verdict(draft).rule("plan")?.ok == true)
        draft.plan.removeLast(2)
        #expect(try verdict(draft).rule("plan")?.ok == false)
    }

    /// « 1. **Décembre 2026** : … » is a numbered step in December, not the
    /// precise date « 1 décembre »: the list number is not a day.
    @Test
    func listNumberIsNotADay() throws {
        var draft = Draft()
        draft.plan = draft.plan.enumerated().map { "\($0.offset + 1). " + String($0.element.dropFirst(2)) }
        try expectOnly([], draft)
    }

    @Test func nestedItemsAreNotSteps() throws {
        var draft = Draft()
        draft.plan = Array(draft.plan.prefix(4)) + ["  - **Mai 2027** : réviser.", "  - **Juin 2027** : passer le bac."]
        try expectOnly(["plan"], draft, "4 steps and 2 sub-steps")
        draft = Draft()
        draft.plan.insert(contentsOf: ["  - **Janvier 2027** : lire les fiches.", "  - **Janvier 2027** : noter les attendus.",
                                       "  - **Février 2027** : comparer.", "    - **Février 2027** : choisir."], at: 2)
        try expectOnly([], draft, "6 steps, 4 sub-steps: not 10")
    }

    @Test func listsOutsideThePlanDoNotCount() throws {
        var draft = Draft()
        draft.add("- Un conseil sans date.\n- Un autre conseil sans date.")
        try expectOnly([], draft)
    }

    // MARK: dates

    @Test func unsourcedPreciseDateFails() throws {
        for line in ["Les résultats arrivent le 17 mai 2027.", "Rendez-vous le 1er juin.", "Date limite : 16/01/2027."] {
            var draft = Draft()
            draft.add(line)
            try expectOnly(["dates"], draft, line)
        }
    }

    @Test func datesFromTheFactsAccepted() throws {
        for line in [
            "Les vœux ouvrent le 19 janvier.",                  // fact « 19 janvier 2027 »
            "Confirmez vos vœux avant le 1er avril.",           // fact « 1er avril 2027 »
            "Confirmez vos vœux avant le 1er avril 2027.",
            "Le dossier social ouvre le 15/01/2027.",           // fact « 15 janvier 2027 »
            "Le dossier social ouvre le 15/1.",
        ] {
            var draft = Draft()
            draft.add(line)
            try expectOnly([], draft, line)
        }
    }

    @Test func aVerifierOnTheSameLineOnly() throws {
        var draft = Draft()
        draft.add("Les résultats arrivent le 17 mai 2027 (À VÉRIFIER sur Parcoursup).")
        try expectOnly([], draft)
        draft = Draft()
        draft.add("Les résultats arrivent le 17 mai 2027.\nCette date est à vérifier.")
        try expectOnly(["dates"], draft)
    }

    @Test func datesInACodeFenceAreIgnored() throws {
        var draft = Draft()
        draft.add("```\nexemple : 17 mai 2027\n```")
        try expectOnly([], draft)
    }

    @Test func expiredFactsDoNotSourceADate() throws {
        let expired = DatedFact(
            schoolYear: "2026-2027", validUntil: CivilDate(year: 2026, month: 12, day: 1),
            source: "https://www.onisep.fr/", text: "Salon de l'orientation le 17 mai 2027.")
        let today = CivilDate(year: 2026, month: 12, day: 2)
        var draft = Draft()
        draft.add("Un salon a lieu le 17 mai 2027.")
        let questionnaire = try Self.questionnaire()
        let withValid = ReportCheck(linkHosts: ReportOutline.defaultLinkHosts, facts: DatedFacts(Self.facts + [expired]).valid(on: CivilDate(year: 2026, month: 11, day: 30)))
        #expect(withValid.verify(draft.text, questionnaire: questionnaire).allPassed)
        let withExpired = ReportCheck(linkHosts: ReportOutline.defaultLinkHosts, facts: DatedFacts(Self.facts + [expired]).valid(on: today))
        #expect(withExpired.verify(draft.text, questionnaire: questionnaire).broken.map(\.id) == ["dates"])
    }

    // MARK: neutralising off-list links

    @Test func neutraliseTurnsOffListLinksIntoText() {
        let hosts = Set(ReportOutline.defaultLinkHosts)
        let report = """
            Voir [le guide](https://www.example.com/guide) et [ONISEP](https://www.onisep.fr/).
            Aussi <https://evil.example/a>, https://evil.example/b, www.example.org et [x](javascript:alert(1)).
            Mais www.onisep.fr et <https://www.parcoursup.gouv.fr/> restent, comme http://www.etudiant.gouv.fr qui ne peut rester.
            """
        let before = ReportLinks.find(in: report)
        #expect(before.filter { !ReportLinks.isAllowed($0, hosts: hosts) }.count == 6)
        let (clean, count) = ReportLinks.neutraliseOffList(report, hosts: hosts)
        #expect(count == 6)
        let after = ReportLinks.find(in: clean)
        #expect(after.allSatisfy { ReportLinks.isAllowed($0, hosts: hosts) }, "\(after.map(\.url))")
        #expect(after.map(\.url) == ["https://www.onisep.fr/", "www.onisep.fr", "https://www.parcoursup.gouv.fr/"])
        #expect(clean.contains("Voir le guide et [ONISEP](https://www.onisep.fr/)."))
        #expect(clean.contains(" et x") && !clean.contains("javascript:"))
        for gone in ["https://www.example.com", "<https://evil", "https://evil", "www.example.org", "http://www.etudiant"] {
            #expect(!clean.contains(gone), "\(gone)")
        }
        // The addresses are still readable.
        #expect(clean.contains("evil.example/a") && clean.contains("evil.example/b") && clean.contains("example.org"))
        #expect(Self.check.verify(clean, questionnaire: nil).rule("links")?.ok == true)
        // Nothing to do on an allowed-only report.
        let untouched = ReportLinks.neutraliseOffList(Draft().text, hosts: hosts)
        #expect(untouched.report == Draft().text)
        #expect(untouched.count == 0)
    }

    /// The finisher neutralises once and checks again: text left behind must
    /// not be a link again, or the bilan fails on the `links` rule.
    @Test(
          arguments: [
            "[https://www.example.com](https://www.example.com)", "[www.example.com](https://www.example.com/)",
            "https://evil.example/(www.evil.example)",
          ])
    func neutralisedTextIsNoLongerALink(_ report: String) {
        let hosts = Set(ReportOutline.defaultLinkHosts)
        let (clean, count) = ReportLinks.neutraliseOffList(report, hosts: hosts)
        #expect(count == 1)
        #expect(ReportLinks.find(in: clean).isEmpty, "\(clean)")
    }

    // MARK: the stored verdict

    @Test func verdictJSON() throws {
        var draft = Draft()
        draft.plan.removeLast(3)  // soft: plan
        draft.add("<div>x</div>")  // hard: no-html
        var result = try verdict(draft)
        result.repaired = true
        result.linksNeutralised = 2
        let json = try JSONParser.parse(result.json.serialized)
        #expect(json["passed"] == .bool(false))
        #expect(json["repaired"] == .bool(true))
        #expect(json["linksNeutralised"] == .number(2))
        #expect(json["words"] == .number(Double(Self.words(draft.text))))
        #expect(json["broken"] == ["no-html", "plan"])
        let rules = json["rules"]?.arrayValue ?? []
        #expect(rules.map { $0["id"]?.stringValue ?? "" } == Self.kinds.map(\.id))
        #expect(rules.map { $0["hard"]?.boolValue } == Self.kinds.map(\.hard))
        #expect(rules.map { $0["ok"]?.boolValue } == Self.kinds.map { $0.id != "no-html" && $0.id != "plan" })
        #expect(rules.allSatisfy { ($0["detail"]?.stringValue ?? "").isEmpty == false })
        #expect(rules.first { $0["id"] == "plan" }?["detail"]?.stringValue?.contains("3") == true)

        // Soft failures only: passed, and broken names them.
        var soft = Draft()
        soft.plan.removeLast(3)
        let softJSON = try verdict(soft).json
        #expect(softJSON["passed"] == .bool(true))
        #expect(softJSON["broken"] == ["plan"])
        #expect(softJSON["repaired"] == .bool(false) && softJSON["linksNeutralised"] == .number(0))
    }
}
