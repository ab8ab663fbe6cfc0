/// The questionnaire in French words: the data block of the prompts and the
/// one-line profile of the pages. No code and no key name survives.
public struct AnswerWording: Sendable {
    public static let blockStart = "<<<REPONSES_ELEVE"
    public static let blockEnd = "REPONSES_ELEVE>>>"

    let labels: AnswerLabels

    public init(labels: AnswerLabels) { self.labels = labels }

    /// Every answer, one `- Label : value` line each, inside the delimited block.
    public func dataBlock(_ questionnaire: JSONValue) -> String {
        var lines = [Self.blockStart]
        for (key, value) in questionnaire.objectValue ?? [] {
            lines.append("- \(labels.field(key)) : \(describe(value, of: key))")
        }
        lines.append(Self.blockEnd)
        return lines.joined(separator: "\n")
    }

    /// `terminale, voie générale — mathématiques, physique-chimie`, for pages.
    public func profileSummary(_ questionnaire: JSONValue) -> String {
        var parts: [String] = []
        if let niveau = questionnaire["niveau"]?.stringValue { parts.append(labels.value(niveau, of: "niveau")) }
        if let filiere = questionnaire["filiere"]?.stringValue {
            parts.append("voie " + labels.value(filiere, of: "filiere"))
        }
        var summary = parts.joined(separator: ", ")
        let specialites = (questionnaire["specialites"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !specialites.isEmpty {
            summary += " — " + specialites.map { labels.value($0, of: "specialites") }.joined(separator: ", ")
        } else if let serie = questionnaire["serie"]?.stringValue {
            summary += " — " + labels.value(serie, of: "serie")
        }
        return summary.isEmpty ? summary : summary.prefix(1).uppercased() + summary.dropFirst()
    }

    /// The French label of a coded answer (`niveau`, `TERMINALE` → `terminale`).
    public func label(_ code: String, of field: String) -> String { labels.value(code, of: field) }

    func describe(_ value: JSONValue, of key: String) -> String {
        switch value {
        case .string(let text):
            return isCoded(key) ? labels.value(text, of: key) : Self.neutralize(text)
        case .bool(let flag):
            return labels.value(flag ? "true" : "false", of: "booleen")
        case .number:
            return Self.frenchNumber(value)
        case .array(let items):
            return items.map { describe($0, of: key) }.joined(separator: ", ")
        case .object(let members):
            // Grades: « moyenne générale 16 ; physique-chimie 15,5 ».
            return members.map { "\(labels.subject(Self.neutralize($0.0))) \(describe($0.1, of: key))" }
                .joined(separator: " ; ")
        case .null:
            return "non renseigné"
        }
    }

    private func isCoded(_ key: String) -> Bool {
        QuestionnaireSchema.codedFields.contains { $0.field == key }
    }

    /// `15.5` → `15,5`.
    static func frenchNumber(_ value: JSONValue) -> String {
        String(value.serialized.map { $0 == "." ? "," : $0 })
    }

    /// A student's text cannot close the data block early nor start a new line.
    public static func neutralize(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "<" { out.append("‹"); continue }
            if character == ">" { out.append("›"); continue }
            out.append(character.isNewline ? " " : character)
        }
        return out
    }
}
