import BilanCore

/// Builds each pass's prompt from the template files and the stored answers.
/// The student's answers go in one delimited block, introduced as data: free
/// texts may try to steer the model, and the prompts say to ignore that.
public struct PromptBuilder {
    let templates: TemplateLibrary

    public init(templates: TemplateLibrary) { self.templates = templates }

    public static let blockStart = "<<<REPONSES_ELEVE"
    public static let blockEnd = "REPONSES_ELEVE>>>"

    public func systemInstruction() throws -> String {
        try templates.template("prompts/system.txt").render([:], escape: { $0 })
    }

    public func prompt(for pass: Pass, questionnaire: JSONValue, checkpoints: JSONValue) throws -> String {
        let values: TemplateValue = [
            "answers": .text(Self.answersBlock(questionnaire)),
            "initial": .text(checkpoints["initial"]?.serialized ?? ""),
            "psychopedagogique": .text(checkpoints["psychopedagogique"]?.stringValue ?? ""),
            "headings": .list(Pass.reportHeadings.map { .text("## " + $0) }),
        ]
        return try templates.template(pass.promptTemplate).render(values, escape: { $0 })
    }

    public func responseSchema(for pass: Pass) throws -> JSONValue? {
        guard pass == .initial else { return nil }
        let source = try templates.template("prompts/1-initial-schema.json").render([:], escape: { $0 })
        guard let schema = try? JSONParser.parse(source) else {
            throw TemplateLibrary.Missing(path: "prompts/1-initial-schema.json", problem: "invalid JSON")
        }
        return schema
    }

    /// Every answer, labelled in French, inside the data block.
    public static func answersBlock(_ questionnaire: JSONValue) -> String {
        var lines = [blockStart]
        for (key, value) in questionnaire.objectValue ?? [] {
            lines.append("- \(labels[key] ?? key) (\(key)) : \(describe(value))")
        }
        lines.append(blockEnd)
        return lines.joined(separator: "\n")
    }

    static let labels: [String: String] = [
        "niveau": "Niveau", "filiere": "Filière", "serie": "Série technologique",
        "specialites": "Spécialités", "options": "Options", "moyennes": "Moyennes (sur 20)",
        "matieresPreferees": "Matières préférées", "centresInteret": "Centres d'intérêt",
        "projetProfessionnel": "Projet professionnel", "typesEtudes": "Types d'études envisagés",
        "dureeEtudes": "Durée d'études souhaitée", "mobilite": "Mobilité géographique",
        "alternance": "Intérêt pour l'alternance", "pointsForts": "Points forts (selon l'élève)",
        "difficultes": "Difficultés (selon l'élève)", "commentaire": "Commentaire libre",
    ]

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return neutralize(text)
        case .bool(let flag): return flag ? "oui" : "non"
        case .number: return value.serialized
        case .array(let items): return items.map(describe).joined(separator: ", ")
        case .object(let members): return members.map { "\($0.0): \(describe($0.1))" }.joined(separator: ", ")
        case .null: return "non renseigné"
        }
    }

    /// A student's text cannot close the data block early.
    static func neutralize(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "<" { out.append("‹"); continue }
            if character == ">" { out.append("›"); continue }
            out.append(character.isNewline ? " " : character)
        }
        return out
    }
}
