/// The editable files the report engine reads besides the prompt templates:
/// labels, dated facts, one instruction file per niveau, distress phrases,
/// and the Parcoursup mapping (families, départements).
/// Loaded once when a generator starts; a missing file or a malformed line
/// stops it there, naming the file and line, so no bilan is ever written
/// without them.
public struct ReportMaterials: Sendable {
    public var labels: AnswerLabels
    public var facts: DatedFacts
    public var distress: DistressDetector
    /// Niveau code (`TERMINALE`) → its instructions.
    public var levelInstructions: [String: String]
    public var parcoursup: ParcoursupMapping

    public init(
        labels: AnswerLabels, facts: DatedFacts, distress: DistressDetector, levelInstructions: [String: String],
        parcoursup: ParcoursupMapping
    ) {
        self.labels = labels
        self.facts = facts
        self.distress = distress
        self.levelInstructions = levelInstructions
        self.parcoursup = parcoursup
    }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> ReportMaterials {
        var levels: [String: String] = [:]
        for niveau in QuestionnaireSchema.niveaux.sorted() {
            let path = templatesDirectory + "/" + levelFile(niveau)
            guard let text = readTextFile(path) else { throw TemplateFileError(path: path, problem: "missing or unreadable") }
            guard !text.trimmingSpaces().isEmpty else { throw TemplateFileError(path: path, problem: "empty") }
            levels[niveau] = text.trimmingSpaces()
        }
        return ReportMaterials(
            labels: try AnswerLabels.load(templatesDirectory: templatesDirectory),
            facts: try DatedFacts.load(templatesDirectory: templatesDirectory),
            distress: try DistressDetector.load(templatesDirectory: templatesDirectory),
            levelInstructions: levels, parcoursup: try ParcoursupMapping.load(templatesDirectory: templatesDirectory))
    }

    /// `prompts/niveaux/terminale.txt` for `TERMINALE`.
    public static func levelFile(_ niveau: String) -> String {
        "\(TemplateNames.levelsFolder)/\(niveau.lowercased()).txt"
    }
}
