import Testing
@testable import BilanMarkdown
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

    /// The facts the check is given: the precise dates they hold are the
    /// only ones a report may write without « à vérifier ».
    static let facts = [
        DatedFact(
            schoolYear: "2026-2027", validUntil: CivilDate(year: 2027, month: 4, day: 10),
            source: "https://www.parcoursup.gouv.fr/",
            text: "Parcoursup 2027 : vœux du 19 janvier 2027 au 11 mars 2027 ; confirmation des vœux jusqu'au 1er avril 2027."),
        DatedFact(
            schoolYear: "2026-2027", validUntil: CivilDate(year: 2027, month: 5, day: 31),
            source: "https://www.etudiant.gouv.fr/",
            text: "Dossier social étudiant : ouverture de la campagne le 15 janvier 2027."),
    ]

    static let check = ReportCheck(linkHosts: ReportOutline.defaultLinkHosts, facts: facts)

    /// The report's questionnaire: the shipped sample of a terminale aiming at aeronautics.
    static func questionnaire() throws -> JSONValue { try TestSupport.sample("terminale-cpge-aero.json") }

    /// Words as the contract counts them (whitespace-separated tokens holding a
    /// letter or a digit), counted here independently of `ReportText`.
    static func words(_ text: String) -> Int {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).filter { token in
            token.contains { $0.isLetter || $0.isNumber }
        }.count
    }

    // MARK: the good report

    /// A report built from parts, so each test changes one thing.
    struct Draft {
        static let f1 = """
            Avancez étape par étape. Chaque semaine, gardez un moment calme pour relire vos notes de cours, refaire \
            un exercice manqué et noter une question pour votre professeur. Cette régularité vaut mieux qu'une longue \
            séance la veille d'un devoir : elle installe les automatismes, rassure et laisse du temps pour vos activités. \
            Parlez de vos choix avec vos parents et avec votre professeur principal, qui connaît bien votre dossier et \
            peut vous conseiller sur l'équilibre de vos candidatures.
            """
        static let f2 = """
            Gardez aussi une place pour la curiosité. Les formations d'ingénieurs apprécient les candidats qui savent \
            expliquer ce qui les anime : un projet mené au club, une lecture marquante, une rencontre avec un \
            professionnel. Notez dès maintenant ces expériences dans un carnet, avec ce que vous en avez appris. Ce \
            carnet vous servira pour rédiger vos projets de formation motivés, pour préparer un éventuel entretien et \
            pour choisir, le moment venu, entre plusieurs propositions d'admission.
            """
        static let f3 = """
            Enfin, n'oubliez pas l'équilibre de vie. Le sommeil, le sport et les moments avec vos amis ne sont pas du \
            temps perdu : ils soutiennent la concentration et la mémoire. Une année de terminale demande de l'énergie \
            sur la durée, de la rentrée jusqu'aux épreuves de juin. Fixez-vous des objectifs réalistes, célébrez les \
            progrès, même modestes, et demandez de l'aide dès qu'une difficulté s'installe, sans attendre qu'elle \
            prenne toute la place.
            """
        static let f4 = """
            Pour chaque vœu, lisez la fiche de la formation : ses attendus, ses critères d'examen des dossiers et le \
            nombre de places. Un vœu ambitieux n'est pas un pari perdu d'avance, surtout avec votre dossier ; un vœu \
            sûr n'est pas un renoncement, c'est une garantie qui vous laisse choisir sereinement au moment des \
            réponses. Gardez vos bulletins et vos appréciations à portée de main : les formations les lisent avec \
            attention.
            """
        static let fillers = [f1, f2, f3, f4]

        var title: String? = "# Bilan d'orientation 2026-2027 : cap sur l'aéronautique"
        /// nil: the heading line is left out, its text stays.
        var headings: [String?] = ReportOutline.headings
        var sections: [[String]] = [
            [
                """
                Vous êtes en terminale générale avec les spécialités mathématiques et physique-chimie, et vous suivez \
                l'option mathématiques expertes. Votre moyenne générale de 15,2 est solide, avec 16,5 en mathématiques \
                et 15 en physique-chimie. Vos matières préférées sont les mathématiques et la physique. Vous pratiquez \
                l'aéromodélisme, vous aimez l'astronomie et vous participez au club de robotique du lycée. Votre projet \
                est clair : devenir ingénieure dans l'aéronautique ou le spatial, après une classe préparatoire ou une \
                école d'ingénieurs post-bac, pour un diplôme à bac+5. Vous êtes prête à bouger partout en France.
                """,
                f1, f2, f3,
            ],
            [
                """
                Vous citez votre rigueur, votre persévérance et votre goût des problèmes difficiles : ce sont \
                exactement les qualités attendues en classe préparatoire comme en école d'ingénieurs. Vos notes en \
                mathématiques et en physique-chimie le confirment.
                """,
                """
                Vos axes de progrès sont l'expression écrite et le stress pendant les contrôles. L'expression écrite \
                compte dans les concours et dans les projets de formation motivés ; le stress se travaille avec des \
                méthodes simples, que la section suivante détaille.
                """,
                f2, f3,
            ],
            [
                """
                Trois pistes correspondent à votre profil. Elles mènent toutes à un diplôme d'ingénieur ou à un master, \
                avec des chemins et des rythmes différents.
                """,
                """
                | Piste | Durée | Sélectivité |
                |---|---|---|
                | Classe préparatoire scientifique MPSI | 2 ans, puis 3 ans d'école | très sélective |
                | École d'ingénieurs post-bac avec prépa intégrée | 5 ans | sélective |
                | Licence de physique, puis master | 3 ans, puis 2 ans | accessible |
                """,
                """
                La classe préparatoire MPSI (mathématiques, physique et sciences de l'ingénieur) prépare en deux ans aux \
                concours des grandes écoles, dont celles de l'aéronautique et de l'espace. L'école avec prépa intégrée \
                évite les concours mais coûte souvent plus cher si elle est privée : vérifiez qu'elle délivre un diplôme \
                reconnu par la commission des titres d'ingénieur (CTI). La licence de physique, plus ouverte, permet de \
                rejoindre un master spécialisé.
                """,
                f3,
            ],
            [
                """
                Vous hésitez entre MPSI et une prépa intégrée : les deux conviennent à votre profil. La MPSI donne accès \
                à plus d'écoles mais demande d'aimer un rythme soutenu ; la prépa intégrée offre un cadre plus \
                progressif. Allez voir les deux lors des journées portes ouvertes avant de décider.
                """,
                """
                Pour le stress pendant les contrôles, entraînez-vous en temps limité à la maison, commencez chaque \
                devoir par l'exercice que vous maîtrisez le mieux et respirez lentement une minute avant de commencer. \
                Pour l'expression écrite, rédigez chaque semaine un court paragraphe de synthèse sur un sujet \
                scientifique et faites-le relire.
                """,
                f1, f2,
            ],
            [
                """
                Les classes préparatoires publiques sont gratuites ; un internat est souvent possible. Les écoles \
                privées coûtent plusieurs milliers d'euros par an : comparez les frais et les aides. Votre mobilité \
                nationale est un atout, car les formations aéronautiques sont réparties dans quelques villes.
                """,
                // A precise date taken from a fact, and one marked « à vérifier ».
                "Les vœux se formulent du 19 janvier 2027 au 11 mars 2027.",
                "Les journées portes ouvertes des écoles ont souvent lieu vers le 6 février, date à vérifier sur le site de chaque école.",
                f3, f1,
            ],
            [
                """
                Formulez jusqu'à 10 vœux, sans les classer. Équilibrez-les : deux ou trois classes préparatoires très \
                sélectives, deux écoles avec prépa intégrée, et au moins une licence de physique près de chez vous \
                comme vœu sûr.
                """,
                "Confirmez chaque vœu avant le 1er avril 2027, avec un projet de formation motivé propre à chaque formation.",
                f4, f2, f3, f1,
            ],
            ["Voici vos étapes, mois par mois :"],
            ["Ces sites officiels répondent à la plupart des questions :"],
        ]
        var plan = [
            "- **Décembre 2026** : explorer la carte des formations et noter les attendus de chaque classe préparatoire.",
            "- **Janvier 2027** : s'inscrire sur Parcoursup et commencer la liste des vœux.",
            "- **Février 2027** : visiter deux écoles lors de leurs journées portes ouvertes.",
            "- **Mars 2027** : finaliser les vœux et rédiger les projets de formation motivés.",
            "- **Avril 2027** : confirmer chaque vœu et préparer le grand oral.",
            "- **Juin 2027** : passer les épreuves du baccalauréat et répondre aux propositions d'admission.",
        ]
        var resources = [
            "- [Parcoursup](https://www.parcoursup.gouv.fr/) : le calendrier et les fiches des formations.",
            "- <https://www.onisep.fr> : les fiches des métiers de l'aéronautique et du spatial.",
            "- www.etudiant.gouv.fr : les bourses et le logement étudiant.",
        ]

        var text: String {
            var lines: [String] = []
            if let title { lines += [title, ""] }
            for index in 0..<8 {
                if let heading = headings[index] { lines += ["## " + heading, ""] }
                for paragraph in sections[index] { lines += [paragraph, ""] }
                if index == 6 { lines += plan + [""] }
                if index == 7 { lines += resources + [""] }
            }
            return lines.joined(separator: "\n")
        }

        /// Adds a paragraph to the « Réalité du terrain » section (no list, no date, no heading around).
        mutating func add(_ paragraph: String, section: Int = 4) { sections[section].append(paragraph) }

        mutating func removeFillers() { sections = sections.map { $0.filter { !Self.fillers.contains($0) } } }
    }

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
