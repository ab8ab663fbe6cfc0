/// One dated fact of `templates/facts.txt`: what passes 2 and 3 may state as
/// current (calendar milestones, exam dates, reforms, official addresses).
public struct DatedFact: Sendable, Equatable {
    /// `2026-2027`, or nil for a fact not tied to a school year (`*`).
    public var schoolYear: String?
    /// The last day the fact may be sent, inclusive (Europe/Paris).
    public var validUntil: CivilDate
    public var source: String
    public var text: String

    public init(schoolYear: String?, validUntil: CivilDate, source: String, text: String) {
        self.schoolYear = schoolYear
        self.validUntil = validUntil
        self.source = source
        self.text = text
    }

    /// The line the prompts show.
    public var promptLine: String {
        "- \(text) (source : \(source) ; valable jusqu'au \(validUntil.frenchNumeric))"
    }
}

/// `templates/facts.txt`: `SCHOOL_YEAR | VALID_UNTIL | SOURCE | TEXT` a line.
public struct DatedFacts: Sendable {
    public static let fileName = TemplateNames.facts
    public var all: [DatedFact]

    public init(_ all: [DatedFact]) { self.all = all }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> DatedFacts {
        let path = templatesDirectory + "/" + fileName
        return try parse(TemplateFileError.contentLines(of: path), path: path)
    }

    static func parse(_ lines: [(number: Int, text: String)], path: String) throws(TemplateFileError) -> DatedFacts {
        var facts: [DatedFact] = []
        for (number, line) in lines {
            func refuse(_ problem: String) -> TemplateFileError { TemplateFileError(path: path, line: number, problem: problem) }
            let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            guard fields.count == 4 else {
                throw refuse("expected SCHOOL_YEAR | VALID_UNTIL | SOURCE | TEXT, found \(fields.count) field(s)")
            }
            guard fields[0] == "*" || isSchoolYear(fields[0]) else {
                throw refuse("school year \"\(fields[0])\" is neither YYYY-YYYY (consecutive years) nor *")
            }
            guard let until = CivilDate(iso: fields[1][...]) else {
                throw refuse("valid-until \"\(fields[1])\" is not a YYYY-MM-DD date")
            }
            guard fields[2].hasPrefix("https://"), fields[2].count > 8, !fields[2].contains(" ") else {
                throw refuse("source \"\(fields[2])\" is not an https:// URL")
            }
            guard !fields[3].isEmpty else { throw refuse("the fact's text is empty") }
            facts.append(
                DatedFact(
                    schoolYear: fields[0] == "*" ? nil : fields[0], validUntil: until, source: fields[2], text: fields[3]))
        }
        return DatedFacts(facts)
    }

    /// The facts that may still be sent on `today`.
    public func valid(on today: CivilDate) -> [DatedFact] {
        all.filter { $0.validUntil >= today }
    }

    /// Whether a fact still valid on `today` is tagged with today's school
    /// year: if not, the file has not been updated for this year.
    public func coversSchoolYear(of today: CivilDate) -> Bool {
        valid(on: today).contains { $0.schoolYear == today.schoolYear }
    }

    private static func isSchoolYear(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, let first = Int(parts[0]), let second = Int(parts[1]) else {
            return false
        }
        return second == first + 1
    }
}
