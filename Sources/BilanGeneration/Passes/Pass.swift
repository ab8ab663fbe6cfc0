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

    var promptTemplate: String { TemplateNames.passPrompt(number: rawValue, key: key) }

    var maxOutputTokens: Int {
        switch self {
        case .initial: return 8192
        case .psychopedagogique: return 8192
        case .terrain: return 16384
        }
    }

    /// Passes 2 and 3 state facts about the year, so they get the dated facts.
    var receivesFacts: Bool { self != .initial }
}

/// Checks the answers of passes 1 and 2 before they are checkpointed; an
/// answer that fails is treated like a failed call (retried), never stored.
/// Pass 3's report goes through `ReportCheck` instead, with one repair call.
public enum PassValidation {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    static let analysisWords = 250...1200

    /// The value to checkpoint: a JSON object for pass 1, the text otherwise.
    public static func checkpoint(for pass: Pass, answer: String) throws(Invalid) -> JSONValue {
        switch pass {
        case .initial: return try initialAnalysis(answer)
        case .psychopedagogique: return .string(try psychopedagogicalAnalysis(answer))
        case .terrain: return .string(try finalReportDraft(answer))
        }
    }

    static func initialAnalysis(_ answer: String) throws(Invalid) -> JSONValue {
        guard let json = try? JSONParser.parse(stripCodeFence(answer)), json.objectValue != nil else {
            throw Invalid(description: "pass 1 answer is not a JSON object")
        }
        try InitialAnalysis.validate(json)
        return json
    }

    /// Plain paragraphs and lists of a sensible length: no heading (pass 3
    /// owns the report's structure) and no HTML.
    static func psychopedagogicalAnalysis(_ answer: String) throws(Invalid) -> String {
        let text = stripCodeFence(answer).trimmingSpaces()
        let words = text.split(whereSeparator: \.isWhitespace).filter { $0.contains { $0.isLetter } }.count
        guard analysisWords.contains(words) else {
            throw Invalid(description: "pass 2 answer has \(words) words, expected \(analysisWords.lowerBound)–\(analysisWords.upperBound)")
        }
        if text.split(whereSeparator: \.isNewline).contains(where: { $0.trimmingSpaces().hasPrefix("#") }) {
            throw Invalid(description: "pass 2 answer has a heading")
        }
        guard ReportCheck.htmlTags(in: text).isEmpty else { throw Invalid(description: "pass 2 answer holds HTML") }
        return text
    }

    /// The report as written; the report check decides what happens to it.
    static func finalReportDraft(_ answer: String) throws(Invalid) -> String {
        let report = stripCodeFence(answer).trimmingSpaces()
        guard !report.isEmpty else { throw Invalid(description: "empty report") }
        return report
    }

    /// Models sometimes wrap answers in ```json fences despite instructions.
    static func stripCodeFence(_ text: String) -> String {
        let trimmed = text.trimmingSpaces()
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0 == "`" }) { return "" }
        var lines = trimmed.split(separator: "\n", omittingEmptySubsequences: false)
        // One line (```` ``` ```` alone, or ```` ```json {…}``` ````) is not a fence around anything.
        guard trimmed.hasPrefix("```"), trimmed.hasSuffix("```"), lines.count >= 2 else { return trimmed }
        lines.removeFirst()
        lines.removeLast()
        return lines.joined(separator: "\n")
    }
}
