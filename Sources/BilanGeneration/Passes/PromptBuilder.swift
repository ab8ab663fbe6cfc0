import BilanCore

/// Builds each pass's prompt from the template files, the labels, the dated
/// facts and the level's instructions. The student's answers go in one
/// delimited block, in French words, introduced as data: free texts may try
/// to steer the model, and the prompts say to ignore that.
public struct PromptBuilder {
    let templates: TemplateLibrary
    let materials: ReportMaterials
    let wording: AnswerWording
    let today: CivilDate
    let linkHosts: [String]

    public init(templates: TemplateLibrary, materials: ReportMaterials, today: CivilDate, linkHosts: [String]) {
        self.templates = templates
        self.materials = materials
        self.wording = AnswerWording(labels: materials.labels)
        self.today = today
        self.linkHosts = linkHosts
    }

    /// What one bilan's prompts are built from.
    public struct Subject {
        public var questionnaire: JSONValue
        public var checkpoints: JSONValue
        public var distress: Bool
        /// The Parcoursup programmes of the terrain pass and its repair (SPEC §13); nil or no rows: none.
        public var programmes: ProgrammeSelection?

        public init(questionnaire: JSONValue, checkpoints: JSONValue, distress: Bool, programmes: ProgrammeSelection? = nil) {
            self.questionnaire = questionnaire
            self.checkpoints = checkpoints
            self.distress = distress
            self.programmes = programmes
        }
    }

    public func systemInstruction() throws -> String {
        try templates.template(TemplateNames.systemPrompt).render([:], escape: { $0 })
    }

    public func prompt(for pass: Pass, _ subject: Subject) throws -> String {
        try templates.template(pass.promptTemplate).render(.object(values(subject, facts: pass.receivesFacts)), escape: { $0 })
    }

    /// The repair call: the report back, with what it broke (SPEC §12).
    public func repairPrompt(report: String, verdict: ReportVerdict, _ subject: Subject) throws -> String {
        var values = values(subject, facts: true)
        values["report"] = .text(report.replacingBlockMarkers())
        values["brokenRules"] = .list(verdict.broken.map { .text(RepairInstructions.instruction(for: $0, hosts: linkHosts)) })
        return try templates.template(TemplateNames.repairPrompt).render(.object(values), escape: { $0 })
    }

    public func responseSchema(for pass: Pass) throws -> JSONValue? {
        guard pass == .initial else { return nil }
        let source = try templates.template(TemplateNames.initialSchema).render([:], escape: { $0 })
        guard let schema = try? JSONParser.parse(source) else {
            throw TemplateLibrary.Missing(path: TemplateNames.initialSchema, problem: "invalid JSON")
        }
        return schema
    }

    /// Today's facts: only those still valid.
    public var validFacts: [DatedFact] { materials.facts.valid(on: today) }

    private func values(_ subject: Subject, facts: Bool) -> [String: TemplateValue] {
        let niveau = subject.questionnaire["niveau"]?.stringValue ?? ""
        var values: [String: TemplateValue] = [
            "date": .text(today.frenchLong),
            "schoolYear": .text(today.schoolYear),
            "niveau": .text(wording.label(niveau, of: "niveau")),
            "levelInstructions": .text(materials.levelInstructions[niveau] ?? ""),
            "answers": .text(wording.dataBlock(subject.questionnaire)),
            "hasComment": .bool(subject.questionnaire["commentaire"]?.stringValue != nil),
            "distress": .bool(subject.distress),
            "headings": .list(ReportOutline.headings.map { .text("## " + $0) }),
            "linkHosts": .text(linkHosts.joined(separator: ", ")),
        ]
        if facts { values["facts"] = .list(validFacts.map { .text($0.promptLine) }) }
        // Without rows the templates keep their text of before SPEC §13.
        if let programmes = subject.programmes, !programmes.rows.isEmpty, programmes.session != nil {
            values["hasProgrammes"] = .bool(true)
            values["programmes"] = .text(ProgrammeDataBlock.text(programmes))
        }
        if let initial = subject.checkpoints["initial"], initial.objectValue != nil {
            values["initial"] = .text(InitialAnalysis.promptText(initial))
        }
        values["psychopedagogique"] = .text(subject.checkpoints["psychopedagogique"]?.stringValue ?? "")
        return values
    }
}

extension String {
    /// A report sent back for repair cannot close its own block.
    fileprivate func replacingBlockMarkers() -> String {
        var text = self
        for marker in ["BILAN_A_REPARER", "REPONSES_ELEVE", "FORMATIONS_PARCOURSUP"] {
            text = text.split(separator: marker, omittingEmptySubsequences: false).joined(separator: marker.lowercased())
        }
        return text
    }
}

/// One French instruction per broken rule, for the repair call.
enum RepairInstructions {
    static func instruction(for rule: ReportRuleResult, hosts: [String]) -> String {
        let text: String
        switch rule.id {
        case "title": text = "Commence le bilan par une seule ligne de titre « # … », et aucun autre titre de niveau 1."
        case "headings":
            text = "Utilise exactement les huit titres de niveau 2 indiqués, dans l'ordre, sans en ajouter, en retirer ni en renommer."
        case "no-html": text = "Retire tout HTML (balises <…>, commentaires) : du Markdown uniquement."
        case "links":
            text = "Les seuls liens permis sont en https vers : \(hosts.joined(separator: ", ")). Retire ou remplace tout autre lien."
        case "size": text = "Le bilan est beaucoup trop long : ramène-le à 1 500 à 2 500 mots."
        case "length": text = "Le bilan doit compter entre 1 500 et 2 500 mots."
        case "free-texts": text = "Reprends visiblement chacune des réponses libres de l'élève (centres d'intérêt, projet, points forts, difficultés, question)."
        case "no-codes": text = "N'écris aucun code du questionnaire (mots en capitales ou avec « _ ») : utilise les mots français."
        case "plan": text = "Le « Plan d'action » doit compter 5 à 8 étapes en liste, chacune avec un mois (ou une date) précis."
        case "dates": text = "Chaque date précise doit venir des FAITS DATÉS ou être suivie de « à vérifier »."
        case "programmes":
            text = "Dans « Réalité du terrain », n'écris aucun pourcentage qui ne soit le taux d'accès d'une formation du tableau « Formations repérées »."
        default: text = "Respecte la règle « \(rule.id) »."
        }
        return "- \(text) (constat : \(rule.detail))"
    }
}
