import BilanCore

/// The three passes of SPEC §7, in order. Each one's output is checkpointed
/// under `key` in `"analyse"` before the next starts.
public enum Pass: Int, CaseIterable, Sendable {
    case initial = 1
    case psychopedagogique = 2
    case terrain = 3

    public var key: String {
        switch self {
        case .initial: return "initial"
        case .psychopedagogique: return "psychopedagogique"
        case .terrain: return "terrain"
        }
    }

    var promptTemplate: String { "prompts/\(rawValue)-\(key).txt" }

    var maxOutputTokens: Int {
        switch self {
        case .initial: return 8192
        case .psychopedagogique: return 8192
        case .terrain: return 16384
        }
    }

    /// The `##` headings of REPORT.md, in order: pass 3 must produce exactly these.
    public static let reportHeadings = [
        "Synthèse de votre profil",
        "Vos points forts et vos axes de progrès",
        "Pistes d'études recommandées",
        "Conseils psychopédagogiques",
        "Réalité du terrain",
        "Stratégie Parcoursup",
        "Plan d'action",
        "Ressources utiles",
    ]
}

/// Checks a pass's answer before it is checkpointed; an answer that fails is
/// treated like a failed call (retried), never stored as a report.
public enum PassValidation {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The value to checkpoint: a JSON object for pass 1, the text otherwise.
    public static func checkpoint(for pass: Pass, answer: String) throws(Invalid) -> JSONValue {
        switch pass {
        case .initial: return try initialAnalysis(answer)
        case .psychopedagogique:
            guard answer.trimmingSpaces().count >= 200 else { throw Invalid(description: "pass 2 answer too short") }
            return .string(answer.trimmingSpaces())
        case .terrain: return .string(try finalReport(answer))
        }
    }

    static let initialKeys = ["synthese", "pointsForts", "axesDeProgres", "pistes", "questionsOuvertes"]

    static func initialAnalysis(_ answer: String) throws(Invalid) -> JSONValue {
        guard let json = try? JSONParser.parse(stripCodeFence(answer)), json.objectValue != nil else {
            throw Invalid(description: "pass 1 answer is not a JSON object")
        }
        for key in initialKeys where json[key] == nil {
            throw Invalid(description: "pass 1 answer lacks \(key)")
        }
        guard json["synthese"]?.stringValue?.isEmpty == false else { throw Invalid(description: "pass 1 synthese empty") }
        guard let paths = json["pistes"]?.arrayValue, !paths.isEmpty else {
            throw Invalid(description: "pass 1 answer has no pistes")
        }
        return json
    }

    /// The report must carry the eight headings in order; text before the
    /// first heading other than a `# ` title is kept as an introduction.
    static func finalReport(_ answer: String) throws(Invalid) -> String {
        let report = stripCodeFence(answer).trimmingSpaces()
        let headings = MarkdownSections.headings(report)
        var index = 0
        for heading in headings where index < Pass.reportHeadings.count {
            if normalize(heading) == normalize(Pass.reportHeadings[index]) { index += 1 }
        }
        guard index == Pass.reportHeadings.count else {
            throw Invalid(description: "report lacks heading « \(Pass.reportHeadings[min(index, 7)]) » (has \(headings.count) sections)")
        }
        return report
    }

    private static func normalize(_ heading: String) -> String {
        heading.lowercased().replacingApostrophes().trimmingSpaces()
    }

    /// Models sometimes wrap answers in ```json fences despite instructions.
    static func stripCodeFence(_ text: String) -> String {
        let trimmed = text.trimmingSpaces()
        guard trimmed.hasPrefix("```"), trimmed.hasSuffix("```") else { return trimmed }
        var lines = trimmed.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeFirst()
        lines.removeLast()
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingApostrophes() -> String { String(map { $0 == "’" ? "'" : $0 }) }
}
