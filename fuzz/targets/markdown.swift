import BilanCore
import BilanWeb

/// MarkdownRenderer.render (cmark-gfm plus our tree cleaning) over an
/// arbitrary report: the LLM's output is untrusted, it repeats student text.
///
/// Properties of the HTML: every `<` opens a tag cmark writes for Markdown
/// (a fixed list of elements and attributes, double-quoted values), there is no
/// stray `>`; explicitly no `<script`, no `<img`, no `href="javascript:` and no
/// `on…=` attribute; every link target is https to a host of the allow-list
/// (SPEC §12) as a browser would read it. The table of contents lists exactly the
/// `<h2 id="section-N">` headings, numbered from 1.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let markdown = String(decoding: inputBytes(data, size), as: UTF8.self)
    let report = MarkdownRenderer.render(markdown, linkHosts: linkHosts)
    let html = report.html

    let lower = html.lowercased()
    require(!lower.contains("<script"), "<script in \(html.debugDescription)")
    require(!lower.contains("<img"), "<img in \(html.debugDescription)")
    require(!lower.contains("href=\"javascript:"), "javascript: link in \(html.debugDescription)")

    let anchors = scanTags(Array(html.utf8), html: html)
    require(
        anchors == report.sections.map(\.anchor),
        "h2 ids \(anchors) but sections \(report.sections.map(\.anchor)) in \(html.debugDescription)")
    for (index, section) in report.sections.enumerated() {
        require(section.anchor == "section-\(index + 1)", "section anchor \(section.anchor) at \(index)")
    }
    return 0
}

private let linkHosts = Set(ReportOutline.defaultLinkHosts)

/// Elements cmark-gfm writes for CommonMark and the table/strikethrough/autolink extensions.
private let allowedElements: Set<String> = [
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "code", "pre", "blockquote", "ul", "ol", "li",
    "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "del",
]
private let allowedAttributes: Set<String> = ["href", "title", "id", "start", "class", "align", "lang"]

/// Walks the HTML tag by tag, checks each one, and returns the `id`s of the `<h2>`s.
private func scanTags(_ bytes: [UInt8], html: String) -> [String] {
    var anchors: [String] = []
    var i = 0
    func fail(_ what: String) -> Never {
        let from = max(0, i - 40)
        let context = String(decoding: bytes[from..<min(bytes.count, i + 40)], as: UTF8.self)
        fatalError("fuzz property violated: \(what) at byte \(i): …\(context.debugDescription)…\nhtml: \(String(html.prefix(2000)).debugDescription)")
    }
    func isLetterOrDigit(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }

    while i < bytes.count {
        if bytes[i] == UInt8(ascii: ">") { fail("stray >") }
        guard bytes[i] == UInt8(ascii: "<") else { i += 1; continue }
        i += 1
        let closing = i < bytes.count && bytes[i] == UInt8(ascii: "/")
        if closing { i += 1 }
        let nameStart = i
        while i < bytes.count, isLetterOrDigit(bytes[i]) { i += 1 }
        let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
        guard allowedElements.contains(name) else { fail("element <\(closing ? "/" : "")\(name)> not allowed") }
        var attributes: [(String, String)] = []
        while true {
            while i < bytes.count, bytes[i] == 0x20 { i += 1 }
            guard i < bytes.count else { fail("unterminated tag") }
            if bytes[i] == UInt8(ascii: ">") { i += 1; break }
            if bytes[i] == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") { i += 2; break }
            guard !closing else { fail("attribute on a closing tag") }
            let attributeStart = i
            while i < bytes.count, isLetterOrDigit(bytes[i]) || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let attribute = String(decoding: bytes[attributeStart..<i], as: UTF8.self)
            if attribute.hasPrefix("on") && attribute.count > 2 { fail("event-handler attribute \(attribute)") }
            guard allowedAttributes.contains(attribute) else { fail("attribute \(attribute.debugDescription) not allowed") }
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "="), bytes[i + 1] == UInt8(ascii: "\"") else {
                fail("attribute \(attribute) without a double-quoted value")
            }
            i += 2
            let valueStart = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "<") || bytes[i] == UInt8(ascii: ">") { fail("unescaped < or > in \(attribute)") }
                i += 1
            }
            guard i < bytes.count else { fail("unterminated attribute value") }
            attributes.append((attribute, String(decoding: bytes[valueStart..<i], as: UTF8.self)))
            i += 1
        }
        for (attribute, value) in attributes where attribute == "href" {
            if let problem = unsafeLinkTarget(value) { fail("href=\"\(value)\": \(problem)") }
        }
        if name == "h2", !closing {
            guard let id = attributes.first(where: { $0.0 == "id" })?.1 else { fail("<h2> without id") }
            anchors.append(id)
        }
    }
    return anchors
}

/// Why a browser could follow `href` somewhere other than an https URL of an
/// allowed host; nil when it cannot. Reads the target as the URL parser does:
/// character references decoded (once), leading C0/space stripped, tabs and
/// line breaks removed.
private func unsafeLinkTarget(_ attributeValue: String) -> String? {
    guard let value = decodeReferences(attributeValue) else { return "unexpected character reference" }
    var scalars = Array(value.unicodeScalars.drop { $0.value <= 0x20 })
    scalars.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" }
    let url = String(String.UnicodeScalarView(scalars)).lowercased()
    if url.hasPrefix("//") || url.hasPrefix("/\\") || url.hasPrefix("\\") { return "leaves the site" }
    // A scheme is letters, digits, + - . up to the first `:`, starting with a letter.
    guard let colon = url.firstIndex(of: ":") else { return "relative link" }
    let scheme = url[..<colon]
    guard let first = scheme.first, first.isASCII, first.isLetter,
        scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
    else { return "no scheme" }
    guard scheme == "https" else { return "scheme \(scheme)" }
    var host = url.dropFirst("https://".count).prefix { !"/?#\\".contains($0) }
    if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
    if let port = host.firstIndex(of: ":") { host = host[..<port] }
    return linkHosts.contains(String(host)) ? nil : "host \(host) not allowed"
}

/// The references cmark writes in attributes, decoded in one pass as a browser
/// would; nil for any other `&…;` (cmark should never write one).
private func decodeReferences(_ text: String) -> String? {
    let known = ["amp": "&", "quot": "\"", "lt": "<", "gt": ">", "#x27": "'", "#39": "'"]
    var out = ""
    var rest = text[...]
    while let amp = rest.firstIndex(of: "&") {
        out += rest[..<amp]
        let afterAmp = rest.index(after: amp)
        guard let semicolon = rest[afterAmp...].prefix(8).firstIndex(of: ";"),
            let decoded = known[String(rest[afterAmp..<semicolon])]
        else { return nil }
        out += decoded
        rest = rest[rest.index(after: semicolon)...]
    }
    return out + rest
}
