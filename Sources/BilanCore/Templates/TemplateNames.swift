/// Every file the programs read under `TEMPLATES_DIR`, named once: the code
/// uses these constants, `bilan-admin check` loads them all, and the Python
/// test servers read this file (`testservers/swift_constants.py`) for the
/// ones they need, so a rename cannot leave a second copy behind.
public enum TemplateNames {
    // Data files, each with its own loader and line-numbered errors.
    public static let labels = "labels.txt"
    public static let facts = "facts.txt"
    public static let distressPhrases = "safety/detresse.txt"
    public static let studyFamilies = "parcoursup/familles.txt"
    public static let departements = "parcoursup/departements.txt"
    /// One instruction file per level: `prompts/niveaux/<niveau>.txt`.
    public static let levelsFolder = "prompts/niveaux"

    // Prompts (Mustache, not HTML-escaped).
    public static let systemPrompt = "prompts/system.txt"
    public static let initialSchema = "prompts/1-initial-schema.json"
    public static let repairPrompt = "prompts/repair.txt"
    /// A pass's instructions: `prompts/<number>-<key>.txt`.
    public static func passPrompt(number: Int, key: String) -> String { "prompts/\(number)-\(key).txt" }

    // Mails: a text and an HTML part per kind.
    public static let readyMail = "bilan-ready"
    public static let loginMail = "login"
    public static func mailText(_ kind: String) -> String { "mail/\(kind).txt" }
    public static func mailHTML(_ kind: String) -> String { "mail/\(kind).html" }

    // Pages the handlers render, and the report's print document.
    public static let resultPage = "pages/result.html"
    public static let historyPage = "pages/history.html"
    public static let notFoundPage = "pages/not-found.html"
    public static let loginConfirmPage = "pages/login-confirm.html"
    public static let printFolder = "pdf"
    public static let printDocument = "pdf/report.html"

    /// The Mustache templates every installation must have, for `check`.
    public static func mustacheTemplates(passes: [(number: Int, key: String)]) -> [String] {
        [systemPrompt, initialSchema, repairPrompt] + passes.map { passPrompt(number: $0.number, key: $0.key) }
            + [readyMail, loginMail].flatMap { [mailText($0), mailHTML($0)] }
            + [resultPage, historyPage, notFoundPage, loginConfirmPage, printDocument]
    }
}
