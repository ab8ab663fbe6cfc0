/// The links of a Markdown report, found the way cmark-gfm will see them:
/// inline targets `[text](url)`, autolinks `<url>`, bare `scheme://…` and
/// bare `www.…` (the autolink extension links those).
public struct ReportLink: Equatable, Sendable {
    public enum Form: Sendable { case inline, autolink, bare }
    public var url: String
    public var form: Form
    /// Where the whole link (text and target for an inline link) sits.
    public var range: Range<String.Index>
    /// For an inline link, its text.
    public var text: String?
}

public enum ReportLinks {
    /// Lower-cased host of an absolute URL or of a bare `www.` address.
    public static func host(of url: String) -> String? {
        var rest = url[...]
        if let scheme = rest.firstRange(of: "://") {
            rest = rest[scheme.upperBound...]
        } else if !rest.lowercased().hasPrefix("www.") {
            return nil
        }
        if let at = rest.firstIndex(where: { "/?#".contains($0) }) { rest = rest[..<at] }
        if let userinfo = rest.lastIndex(of: "@") { rest = rest[rest.index(after: userinfo)...] }
        if let colon = rest.firstIndex(of: ":") { rest = rest[..<colon] }
        var host = rest.lowercased()
        while host.hasSuffix(".") { host.removeLast() }
        return host.isEmpty ? nil : host
    }

    /// Whether a link may stay: `https` to a listed host, or a bare `www.`
    /// address of a listed host (the renderer upgrades it to https).
    public static func isAllowed(_ link: ReportLink, hosts: Set<String>) -> Bool {
        guard let host = host(of: link.url), hosts.contains(host) else { return false }
        let lower = link.url.lowercased()
        return lower.hasPrefix("https://") || (link.form == .bare && lower.hasPrefix("www."))
    }

    public static func find(in text: String) -> [ReportLink] {
        var links: [ReportLink] = []
        var index = text.startIndex
        while index < text.endIndex {
            if let link = inlineLink(in: text, at: index) ?? autolink(in: text, at: index) ?? bareLink(in: text, at: index) {
                links.append(link)
                index = link.range.upperBound
            } else {
                index = text.index(after: index)
            }
        }
        return links
    }

    /// `[text](target)` starting at `index`; images `![…](…)` count too.
    /// Brackets nest in the text and parentheses in the target, as in cmark.
    private static func inlineLink(in text: String, at index: String.Index) -> ReportLink? {
        guard text[index] == "[", let close = matching(in: text, from: index, open: "[", close: "]") else { return nil }
        let afterClose = text.index(after: close)
        guard afterClose < text.endIndex, text[afterClose] == "(",
            let end = matching(in: text, from: afterClose, open: "(", close: ")")
        else { return nil }
        let inside = text[text.index(after: afterClose)..<end].trimmingSpaces()
        let target = String(inside.split(separator: " ", maxSplits: 1).first ?? "")
        let label = String(text[text.index(after: index)..<close])
        guard !label.contains("\n") else { return nil }
        return ReportLink(url: target.trimmingAngles(), form: .inline, range: index..<text.index(after: end), text: label)
    }

    /// The index of the `close` that balances the `open` at `start`, on the same line.
    private static func matching(in text: String, from start: String.Index, open: Character, close: Character) -> String.Index? {
        var depth = 0
        var index = start
        while index < text.endIndex {
            let character = text[index]
            if character.isNewline { return nil }
            if character == "\\" {
                index = text.index(after: index)
                if index < text.endIndex { index = text.index(after: index) }
                continue
            }
            if character == open { depth += 1 }
            if character == close {
                depth -= 1
                if depth == 0 { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// `<scheme:…>`.
    private static func autolink(in text: String, at index: String.Index) -> ReportLink? {
        guard text[index] == "<", let end = text[index...].firstIndex(of: ">") else { return nil }
        let inside = text[text.index(after: index)..<end]
        guard let colon = inside.firstIndex(of: ":"), inside[..<colon].allSatisfy({ $0.isLetter }),
            !inside[..<colon].isEmpty, !inside.contains(where: { $0 == " " || $0 == "\n" })
        else { return nil }
        return ReportLink(url: String(inside), form: .autolink, range: index..<text.index(after: end), text: nil)
    }

    /// `http://…`, `https://…`, `ftp://…` or `www.…` at a word start.
    private static func bareLink(in text: String, at index: String.Index) -> ReportLink? {
        if index > text.startIndex {
            let before = text[text.index(before: index)]
            if before.isLetter || before.isNumber || before == "/" || before == "." { return nil }
        }
        let rest = text[index...].prefix(8).lowercased()
        guard rest.hasPrefix("http://") || rest.hasPrefix("https://") || rest.hasPrefix("ftp://") || rest.hasPrefix("www.")
        else { return nil }
        var end = text[index...].firstIndex(where: { $0.isWhitespace || "<>\"'`|".contains($0) }) ?? text.endIndex
        // Trailing punctuation ends the sentence, not the address (as in cmark-gfm).
        while end > index, ".,;:!?*_~)]".contains(text[text.index(before: end)]) { end = text.index(before: end) }
        guard end > text.index(index, offsetBy: 4, limitedBy: end) ?? end else { return nil }
        return ReportLink(url: String(text[index..<end]), form: .bare, range: index..<end, text: nil)
    }

    /// The report with every link that is not allowed turned into plain text
    /// that no renderer links again: an inline link keeps its text, an
    /// address loses its scheme (`https://example.com/x` → `example.com/x`).
    /// Repeated until nothing is left to neutralise, since a link's text may
    /// itself be an address (`[https://x.example](https://x.example)`); the
    /// count is of the report's own links.
    public static func neutraliseOffList(_ report: String, hosts: Set<String>) -> (report: String, count: Int) {
        var (text, count) = neutraliseOnce(report, hosts: hosts)
        for _ in 0..<8 {
            let (next, more) = neutraliseOnce(text, hosts: hosts)
            guard more > 0 else { break }
            text = next
        }
        return (text, count)
    }

    private static func neutraliseOnce(_ report: String, hosts: Set<String>) -> (report: String, count: Int) {
        var out = ""
        var last = report.startIndex
        var count = 0
        for link in find(in: report) where !isAllowed(link, hosts: hosts) {
            out += report[last..<link.range.lowerBound]
            out += link.text ?? plainAddress(link.url)
            last = link.range.upperBound
            count += 1
        }
        out += report[last...]
        return (out, count)
    }

    private static func plainAddress(_ url: String) -> String {
        var rest = url[...]
        if let scheme = rest.firstRange(of: "://") {
            rest = rest[scheme.upperBound...]
        } else if let colon = rest.firstIndex(of: ":") {
            rest = rest[rest.index(after: colon)...]
        }
        // Without `www.` and a scheme, cmark-gfm's autolinker leaves it alone.
        if rest.lowercased().hasPrefix("www.") { rest = rest.dropFirst(4) }
        return String(rest)
    }
}

extension String {
    fileprivate func trimmingAngles() -> String {
        hasPrefix("<") && hasSuffix(">") && count >= 2 ? String(dropFirst().dropLast()) : self
    }
}
