/// A line-oriented file under `templates/` (facts, labels, distress phrases)
/// that cannot be used: names the file and the line, so the fix is obvious.
public struct TemplateFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int?
    public var problem: String

    public init(path: String, line: Int? = nil, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String {
        "\(path)\(line.map { " line \($0)" } ?? ""): \(problem)"
    }

    /// The file's meaningful lines with their numbers: `#` comments and blank
    /// lines are skipped. A missing file is an error naming it.
    static func contentLines(of path: String) throws(TemplateFileError) -> [(number: Int, text: String)] {
        guard let text = readTextFile(path) else { throw TemplateFileError(path: path, problem: "missing or unreadable") }
        var lines: [(Int, String)] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = String(raw).trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            lines.append((index + 1, line))
        }
        return lines
    }
}
