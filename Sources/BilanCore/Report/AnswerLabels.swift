/// `templates/labels.txt`: the French words for the questionnaire's keys and
/// codes (`specialites.PHYSIQUE_CHIMIE = physique-chimie`). One file serves
/// the prompts and the pages, so what the model reads is what the student reads.
public struct AnswerLabels: Sendable {
    public static let fileName = TemplateNames.labels
    var labels: [String: String]

    public init(_ labels: [String: String]) { self.labels = labels }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> AnswerLabels {
        let path = templatesDirectory + "/" + fileName
        var labels: [String: String] = [:]
        for (number, line) in try TemplateFileError.contentLines(of: path) {
            guard let equals = line.firstRange(of: " = ") else {
                throw TemplateFileError(path: path, line: number, problem: "expected group.CODE = libellé")
            }
            let key = line[..<equals.lowerBound].trimmingSpaces()
            let label = line[equals.upperBound...].trimmingSpaces()
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !key.contains(" ") else {
                throw TemplateFileError(path: path, line: number, problem: "\"\(key)\" is not group.CODE")
            }
            guard !label.isEmpty else { throw TemplateFileError(path: path, line: number, problem: "empty label for \(key)") }
            guard labels[key] == nil else {
                throw TemplateFileError(path: path, line: number, problem: "\(key) is labelled twice")
            }
            labels[key] = label
        }
        let result = AnswerLabels(labels)
        if let missing = result.missingCodes().first {
            throw TemplateFileError(path: path, problem: "no label for \(missing)")
        }
        return result
    }

    /// The label of a questionnaire key (`champ.<key>`).
    public func field(_ key: String) -> String { labels["champ." + key] ?? key }

    /// The label of one code of a coded field; a code without one is shown
    /// as words (`BAC_5` → `bac 5`), never as the code itself.
    public func value(_ code: String, of field: String) -> String {
        labels[field + "." + code] ?? Self.asWords(code)
    }

    /// A grade key (`physique_chimie`).
    public func subject(_ key: String) -> String { labels["matiere." + key] ?? Self.asWords(key) }

    static func asWords(_ code: String) -> String {
        code.lowercased().split(separator: "_").joined(separator: " ")
    }

    /// Every (group, code) of SPEC §5 that the file must label.
    public func missingCodes() -> [String] {
        var missing: [String] = []
        for key in QuestionnaireSchema.keys where labels["champ." + key] == nil { missing.append("champ.\(key)") }
        for (field, codes) in QuestionnaireSchema.codedFields {
            for code in codes where labels[field + "." + code] == nil { missing.append("\(field).\(code)") }
        }
        return missing
    }
}
