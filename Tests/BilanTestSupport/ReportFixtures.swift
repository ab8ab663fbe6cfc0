import BilanCore

/// The hand-written report, facts and questionnaire that several test
/// targets check against (the report check, the pass runner, the prompts).
public enum ReportFixtures {
    /// The facts the check is given: the precise dates they hold are the
    /// only ones a report may write without « à vérifier ».
    public static let facts = [
        DatedFact(
            schoolYear: "2026-2027", validUntil: CivilDate(year: 2027, month: 4, day: 10),
            source: "https://www.parcoursup.gouv.fr/",
            text: "Parcoursup 2027 : vœux du 19 janvier 2027 au 11 mars 2027 ; confirmation des vœux jusqu'au 1er avril 2027."),
        DatedFact(
            schoolYear: "2026-2027", validUntil: CivilDate(year: 2027, month: 5, day: 31),
            source: "https://www.etudiant.gouv.fr/",
            text: "Dossier social étudiant : ouverture de la campagne le 15 janvier 2027."),
    ]

    public static let check = ReportCheck(linkHosts: ReportOutline.defaultLinkHosts, facts: facts)

    /// The report's questionnaire: the shipped sample of a terminale aiming at aeronautics.
    public static func questionnaire() throws -> JSONValue { try TestSupport.sample("terminale-cpge-aero.json") }

    /// A report built from parts, so each test changes one thing.
    public struct Draft {
        public init() {}

        public static let f1 = """
            Avancez étape par étape. Chaque semaine, gardez un moment calme pour relire vos notes de cours, refaire \
            un exercice manqué et noter une question pour votre professeur. Cette régularité vaut mieux qu'une longue \
            séance la veille d'un devoir : elle installe les automatismes, rassure et laisse du temps pour vos activités. \
            Parlez de vos choix avec vos parents et avec votre professeur principal, qui connaît bien votre dossier et \
            peut vous conseiller sur l'équilibre de vos candidatures.
            """
        public static let f2 = """
            Gardez aussi une place pour la curiosité. Les formations d'ingénieurs apprécient les candidats qui savent \
            expliquer ce qui les anime : un projet mené au club, une lecture marquante, une rencontre avec un \
            professionnel. Notez dès maintenant ces expériences dans un carnet, avec ce que vous en avez appris. Ce \
            carnet vous servira pour rédiger vos projets de formation motivés, pour préparer un éventuel entretien et \
            pour choisir, le moment venu, entre plusieurs propositions d'admission.
            """
        public static let f3 = """
            Enfin, n'oubliez pas l'équilibre de vie. Le sommeil, le sport et les moments avec vos amis ne sont pas du \
            temps perdu : ils soutiennent la concentration et la mémoire. Une année de terminale demande de l'énergie \
            sur la durée, de la rentrée jusqu'aux épreuves de juin. Fixez-vous des objectifs réalistes, célébrez les \
            progrès, même modestes, et demandez de l'aide dès qu'une difficulté s'installe, sans attendre qu'elle \
            prenne toute la place.
            """
        public static let f4 = """
            Pour chaque vœu, lisez la fiche de la formation : ses attendus, ses critères d'examen des dossiers et le \
            nombre de places. Un vœu ambitieux n'est pas un pari perdu d'avance, surtout avec votre dossier ; un vœu \
            sûr n'est pas un renoncement, c'est une garantie qui vous laisse choisir sereinement au moment des \
            réponses. Gardez vos bulletins et vos appréciations à portée de main : les formations les lisent avec \
            attention.
            """
        public static let fillers = [f1, f2, f3, f4]

        public var title: String? = "# Bilan d'orientation 2026-2027 : cap sur l'aéronautique"
        /// nil: the heading line is left out, its text stays.
        public var headings: [String?] = ReportOutline.headings
        public var sections: [[String]] = [
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
        public var plan = [
            "- **Décembre 2026** : explorer la carte des formations et noter les attendus de chaque classe préparatoire.",
            "- **Janvier 2027** : s'inscrire sur Parcoursup et commencer la liste des vœux.",
            "- **Février 2027** : visiter deux écoles lors de leurs journées portes ouvertes.",
            "- **Mars 2027** : finaliser les vœux et rédiger les projets de formation motivés.",
            "- **Avril 2027** : confirmer chaque vœu et préparer le grand oral.",
            "- **Juin 2027** : passer les épreuves du baccalauréat et répondre aux propositions d'admission.",
        ]
        public var resources = [
            "- [Parcoursup](https://www.parcoursup.gouv.fr/) : le calendrier et les fiches des formations.",
            "- <https://www.onisep.fr> : les fiches des métiers de l'aéronautique et du spatial.",
            "- www.etudiant.gouv.fr : les bourses et le logement étudiant.",
        ]

        public var text: String {
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
        public mutating func add(_ paragraph: String, section: Int = 4) { sections[section].append(paragraph) }

        public mutating func removeFillers() { sections = sections.map { $0.filter { !Self.fillers.contains($0) } } }
    }

    // MARK: pass 1

    public static func point(_ point: String, _ answer: String) -> JSONValue {
        ["point": .string(point), "reponse": .string(answer)]
    }

    public static func path(_ name: String, selectivity: String = "sélective") -> JSONValue {
        [
            "intitule": .string(name),
            "pourquoi": "Profil scientifique solide et goût des problèmes difficiles.",
            "duree": "2 ans, puis 3 ans d'école",
            "niveauAttendu": "Très bon dossier en mathématiques et physique-chimie",
            "selectivite": .string(selectivity),
            "specialitesAttendues": ["mathématiques", "physique-chimie"],
            "prochainesEtapes": ["Consulter les fiches Parcoursup", "Aller aux journées portes ouvertes"],
        ]
    }

    /// A complete, valid answer: 3 pistes, points tied to answers, open questions.
    public static let validInitialAnalysis: JSONValue = [
        "synthese": "Élève de terminale générale, à l'aise en mathématiques, qui vise l'aéronautique.",
        "atouts": [point("Rigueur", "« Rigueur, persévérance »"), point("Bon niveau scientifique", "16,5 en mathématiques")],
        "axesDeProgres": [point("Expression écrite", "« Expression écrite, stress pendant les contrôles »")],
        "pistes": [
            path("Classe préparatoire scientifique MPSI", selectivity: "très sélective"),
            path("École d'ingénieurs post-bac avec prépa intégrée"),
            path("Licence de physique", selectivity: "accessible"),
        ],
        "questionsOuvertes": ["MPSI ou prépa intégrée ?"],
    ]

    // MARK: raw codes

    /// Codes no French text would hold (with `_`, or all capitals and 6 letters
    /// or more) and camelCase key names: what must never reach a prompt.
    public static let forbiddenTokens: Set<String> = {
        var tokens = QuestionnaireSchema.allCodes.filter { code in
            code.contains("_") || (code.count >= 6 && code.allSatisfy { $0.isUppercase || $0.isNumber })
        }
        tokens.formUnion(QuestionnaireSchema.keys.filter { $0.contains { $0.isUppercase } })
        return tokens
    }()

    public static func forbiddenTokens(in text: String) -> [String] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
            .filter { forbiddenTokens.contains($0) }
    }
}
