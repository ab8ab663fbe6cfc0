import BilanCore

/// Pass 1's answer, checked against REPORT.md's schema as strictly as the
/// `responseSchema` sent with the request (types, enums, counts, no unknown
/// key), and shown to passes 2 and 3 as French text rather than JSON.
public enum InitialAnalysis {
    public static let selectivities = ["très sélective", "sélective", "modérément sélective", "accessible"]
    static let pathCount = 3...5
    static let pointCount = 1...6
    static let topKeys = ["synthese", "atouts", "axesDeProgres", "pistes", "questionsOuvertes"]
    static let pointKeys = ["point", "reponse"]
    static let pathKeys = [
        "intitule", "pourquoi", "duree", "niveauAttendu", "selectivite", "specialitesAttendues", "prochainesEtapes",
    ]

    public static func validate(_ json: JSONValue) throws(PassValidation.Invalid) {
        try requireKeys(json, topKeys, where: "pass 1")
        _ = try text(json["synthese"], "synthese")
        for key in ["atouts", "axesDeProgres"] {
            let points = try list(json[key], key, count: pointCount)
            for (index, point) in points.enumerated() {
                try requireKeys(point, pointKeys, where: "\(key)[\(index)]")
                _ = try text(point["point"], "\(key)[\(index)].point")
                _ = try text(point["reponse"], "\(key)[\(index)].reponse")
            }
        }
        let paths = try list(json["pistes"], "pistes", count: pathCount)
        for (index, path) in paths.enumerated() {
            let name = "pistes[\(index)]"
            try requireKeys(path, pathKeys, where: name)
            for key in ["intitule", "pourquoi", "duree", "niveauAttendu"] { _ = try text(path[key], "\(name).\(key)") }
            let selectivity = try text(path["selectivite"], "\(name).selectivite")
            guard selectivities.contains(selectivity) else {
                throw .init(description: "\(name).selectivite « \(selectivity) » is not one of \(selectivities)")
            }
            _ = try texts(path["specialitesAttendues"], "\(name).specialitesAttendues", count: 0...6)
            _ = try texts(path["prochainesEtapes"], "\(name).prochainesEtapes", count: 1...6)
        }
        _ = try texts(json["questionsOuvertes"], "questionsOuvertes", count: 0...8)
    }

    /// The analysis as passes 2 and 3 read it: labelled French lines.
    public static func promptText(_ json: JSONValue) -> String {
        var lines = ["Synthèse : " + (json["synthese"]?.stringValue ?? "")]
        for (key, title) in [("atouts", "Points forts"), ("axesDeProgres", "Axes de progrès")] {
            lines.append(title + " :")
            for point in json[key]?.arrayValue ?? [] {
                lines.append("- \(point["point"]?.stringValue ?? "") (appui : \(point["reponse"]?.stringValue ?? ""))")
            }
        }
        lines.append("Pistes d'études :")
        for path in json["pistes"]?.arrayValue ?? [] {
            func field(_ key: String) -> String { path[key]?.stringValue ?? "" }
            func items(_ key: String) -> String {
                (path[key]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            }
            lines.append(
                "- \(field("intitule")) — pourquoi : \(field("pourquoi")) ; durée : \(field("duree")) ; niveau attendu : "
                    + "\(field("niveauAttendu")) ; sélectivité : \(field("selectivite")) ; spécialités attendues : "
                    + "\(items("specialitesAttendues")) ; prochaines étapes : \(items("prochainesEtapes"))")
        }
        lines.append("Questions ouvertes (à traiter explicitement dans le bilan) :")
        for question in json["questionsOuvertes"]?.arrayValue ?? [] { lines.append("- " + (question.stringValue ?? "")) }
        return lines.joined(separator: "\n")
    }

    private static func requireKeys(_ value: JSONValue, _ keys: [String], where name: String) throws(PassValidation.Invalid) {
        guard let members = value.objectValue else { throw .init(description: "\(name) is not an object") }
        for key in keys where value[key] == nil { throw .init(description: "\(name) lacks \(key)") }
        if let unknown = members.first(where: { !keys.contains($0.0) }) {
            throw .init(description: "\(name) has an unknown key \(unknown.0)")
        }
    }

    private static func text(_ value: JSONValue?, _ name: String) throws(PassValidation.Invalid) -> String {
        guard let text = value?.stringValue?.trimmingSpaces(), !text.isEmpty else {
            throw .init(description: "\(name) is not a non-empty string")
        }
        return text
    }

    private static func list(_ value: JSONValue?, _ name: String, count: ClosedRange<Int>) throws(PassValidation.Invalid) -> [JSONValue] {
        guard let items = value?.arrayValue else { throw .init(description: "\(name) is not a list") }
        guard count.contains(items.count) else {
            throw .init(description: "\(name) has \(items.count) item(s), expected \(count.lowerBound)–\(count.upperBound)")
        }
        return items
    }

    private static func texts(_ value: JSONValue?, _ name: String, count: ClosedRange<Int>) throws(PassValidation.Invalid) -> [String] {
        var result: [String] = []
        for (index, item) in try list(value, name, count: count).enumerated() { result.append(try text(item, "\(name)[\(index)]")) }
        return result
    }
}
