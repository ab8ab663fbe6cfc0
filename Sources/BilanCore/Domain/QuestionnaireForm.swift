/// Turns the no-JS form's fields into the JSON questionnaire, so both go
/// through the same validator: arrays as repeated fields, grades as
/// `moyennes.<matiere>`, `alternance` as true/false/on, empty fields absent.
public enum QuestionnaireForm {
    public static func json(from pairs: [(String, String)]) throws(QuestionnaireError) -> JSONValue {
        var members: [(String, JSONValue)] = []
        var lists: [String: [JSONValue]] = [:]
        var grades: [(String, JSONValue)] = []
        var seen = Set<String>()

        for (name, rawValue) in pairs {
            let value = rawValue.trimmingSpaces()
            if value.isEmpty { continue }
            if QuestionnaireSchema.listFields.contains(name) {
                lists[name, default: []].append(.string(value))
                continue
            }
            if name.hasPrefix("moyennes.") {
                let subject = String(name.dropFirst("moyennes.".count))
                guard seen.insert(name).inserted else {
                    throw QuestionnaireError(field: name, "Cette moyenne est donnée deux fois.")
                }
                grades.append((subject, try grade(value, field: name)))
                continue
            }
            guard seen.insert(name).inserted else {
                throw QuestionnaireError(field: name, "Le champ « \(name) » est donné deux fois.")
            }
            if name == "alternance" {
                members.append((name, try flag(value)))
            } else {
                members.append((name, .string(rawValue)))
            }
        }
        for key in QuestionnaireSchema.keys {
            if let list = lists[key] { members.append((key, .array(list))) }
        }
        if !grades.isEmpty { members.append(("moyennes", .object(grades))) }
        return .object(members)
    }

    /// Accepts `14.5` and the French `14,5`.
    private static func grade(_ text: String, field: String) throws(QuestionnaireError) -> JSONValue {
        let normalized = text.replacingComma()
        guard normalized.utf8.count <= 10, let number = Double(normalized), number.isFinite else {
            throw QuestionnaireError(field: field, "Une moyenne est un nombre entre 0 et 20.")
        }
        return .number(number)
    }

    private static func flag(_ text: String) throws(QuestionnaireError) -> JSONValue {
        switch text.lowercased() {
        case "true", "on", "1", "oui": return .bool(true)
        case "false", "off", "0", "non": return .bool(false)
        default: throw QuestionnaireError(field: "alternance", "Le champ alternance doit valoir oui ou non.")
        }
    }
}

extension String {
    fileprivate func replacingComma() -> String { String(map { $0 == "," ? "." : $0 }) }
}
