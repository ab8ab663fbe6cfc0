/// The `##` headings of a report: the page's table of contents, the JSON's
/// `sections` and the list in the notification mail.
public enum MarkdownSections {
    public static func headings(_ markdown: String) -> [String] {
        var result: [String] = []
        var inFence = false
        // `isNewline`: "\r\n" is one Character in Swift, and cmark ends lines at \r, \n and \r\n alike.
        for line in markdown.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingSpaces()
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle() }
            guard !inFence, trimmed.hasPrefix("## ") else { continue }
            var title = String(trimmed.dropFirst(3)).trimmingSpaces()
            while title.hasSuffix("#") { title.removeLast() }
            title = title.trimmingSpaces()
            if !title.isEmpty { result.append(title) }
        }
        return result
    }
}
