/// Finds the free texts that show distress, from the editable phrase list
/// `templates/safety/detresse.txt`. A match flags the bilan and puts the
/// « Besoin d'en parler ? » card first on the page and in the mail (SPEC §12).
/// Matching ignores case, accents and apostrophe style, on word boundaries,
/// so « J’en peux plus » matches the phrase « j'en peux plus ».
public struct DistressDetector: Sendable {
    public static let fileName = TemplateNames.distressPhrases
    let phrases: [String]

    public init(phrases: [String]) {
        // A phrase of one or two letters (« a », « je ») would match nearly every text.
        self.phrases = phrases.filter { TextFolding.words($0).joined().count >= 3 }.map { TextFolding.spaced($0) }
    }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> DistressDetector {
        let path = templatesDirectory + "/" + fileName
        let lines = try TemplateFileError.contentLines(of: path)
        guard !lines.isEmpty else { throw TemplateFileError(path: path, problem: "no phrase in the file") }
        return DistressDetector(phrases: lines.map(\.text))
    }

    /// Whether any free text of the questionnaire shows distress.
    public func showsDistress(_ questionnaire: JSONValue) -> Bool {
        let texts = QuestionnaireSchema.freeTextFields.compactMap { questionnaire[$0]?.stringValue }
        return texts.contains { matches($0) }
    }

    public func matches(_ text: String) -> Bool {
        let spaced = TextFolding.spaced(text)
        return phrases.contains { spaced.contains($0) }
    }
}
