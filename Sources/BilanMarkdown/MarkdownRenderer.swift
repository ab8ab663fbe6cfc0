import BilanCore
internal import CCmark
#if canImport(Glibc)
import Glibc
#endif

/// A report rendered for the page: safe HTML and its table of contents.
public struct RenderedReport: Sendable {
    public struct Section: Sendable, Equatable {
        public var anchor: String
        public var title: String
    }

    public var html: String
    public var sections: [Section]
    /// Link targets cmark saw and the renderer turned into text (off the
    /// allow-list): the generator refuses a report whose links the report
    /// check, which reads the Markdown itself, did not see.
    public var droppedLinks: [String] = []

    /// The biggest rendering stored with a bilan: a report passes the check
    /// at 64 KiB of Markdown, and its HTML is a little larger.
    public static let maxStoredBytes = 256 * 1024

    public init(html: String, sections: [Section]) {
        self.html = html
        self.sections = sections
    }

    /// The table of contents as stored beside the HTML.
    public var tocJSON: JSONValue {
        .array(sections.map { .object([("anchor", .string($0.anchor)), ("title", .string($0.title))]) })
    }

    /// A stored rendering, or nil when the table of contents is unreadable.
    public init?(html: String, tocJSON: String?) {
        guard let text = tocJSON, let items = (try? JSONParser.parse(text))?.arrayValue else { return nil }
        var sections: [Section] = []
        for item in items {
            guard let anchor = item["anchor"]?.stringValue, let title = item["title"]?.stringValue else { return nil }
            sections.append(Section(anchor: anchor, title: title))
        }
        self.init(html: html, sections: sections)
    }
}

/// Renders the report's Markdown with cmark-gfm (tables, strikethrough,
/// autolinks). The report is untrusted (an LLM fed with student text), so
/// the syntax tree is cleaned before rendering: raw HTML becomes visible
/// text, a link stays a link only when it goes to a host of
/// `REPORT_LINK_HOSTS` over https (the rule the report check applied before
/// storing, applied again to reports stored before it or by hand) and
/// becomes its plain text otherwise, images are dropped (no external
/// fetches from a student's page), and cmark's safe mode stays on.
public enum MarkdownRenderer {
    private static let extensions = ["table", "strikethrough", "autolink", "tagfilter"]

    public static func render(_ markdown: String, linkHosts: Set<String>) -> RenderedReport {
        cmark_gfm_core_extensions_ensure_registered()
        let options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8
        guard let parser = cmark_parser_new(options) else { return RenderedReport(html: "", sections: []) }
        defer { cmark_parser_free(parser) }
        for name in extensions {
            if let syntax = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, syntax) }
        }
        cmark_parser_feed(parser, markdown, markdown.utf8.count)
        guard let document = cmark_parser_finish(parser) else { return RenderedReport(html: "", sections: []) }
        defer { cmark_node_free(document) }

        let (sections, dropped) = sanitize(document, linkHosts: linkHosts)
        guard let rendered = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else {
            return RenderedReport(html: "", sections: sections)
        }
        defer { free(rendered) }
        var report = RenderedReport(html: numberSectionHeadings(String(cString: rendered)), sections: sections)
        report.droppedLinks = dropped
        return report
    }

    /// Rewrites the unsafe nodes and returns the level-2 headings in order.
    private static func sanitize(_ document: OpaquePointer, linkHosts: Set<String>)
        -> (sections: [RenderedReport.Section], droppedLinks: [String])
    {
        var dropped: [String] = []
        var toReplace: [OpaquePointer] = []
        var toRemove: [OpaquePointer] = []
        var toUnwrap: [OpaquePointer] = []
        var sections: [RenderedReport.Section] = []
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(node) {
            case CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE:
                toReplace.append(node)
            case CMARK_NODE_IMAGE:
                toRemove.append(node)
            case CMARK_NODE_LINK:
                let url = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
                if let allowed = allowedTarget(url, hosts: linkHosts) {
                    cmark_node_set_url(node, allowed)
                } else {
                    toUnwrap.append(node)
                    dropped.append(url)
                }
            case CMARK_NODE_HEADING where cmark_node_get_heading_level(node) == 2:
                sections.append(.init(anchor: "section-\(sections.count + 1)", title: plainText(of: node)))
            default:
                break
            }
        }
        for node in toReplace { replaceWithText(node) }
        for node in toUnwrap { unwrap(node) }
        // Innermost first: an image's description may hold another image,
        // which freeing the outer one frees too (`![a ![b](/c)](/d)`).
        for node in toRemove.reversed() {
            cmark_node_unlink(node)
            cmark_node_free(node)
        }
        return (sections, dropped)
    }

    /// Raw HTML is shown as the text it is, never interpreted.
    private static func replaceWithText(_ node: OpaquePointer) {
        let literal = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
        let isBlock = cmark_node_get_type(node) == CMARK_NODE_HTML_BLOCK
        guard let text = cmark_node_new(CMARK_NODE_TEXT) else { return }
        cmark_node_set_literal(text, isBlock ? literal.trimmingSpaces() : literal)
        if isBlock, let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH) {
            cmark_node_append_child(paragraph, text)
            cmark_node_replace(node, paragraph)
        } else {
            cmark_node_replace(node, text)
        }
        cmark_node_free(node)
    }

    /// The target to keep, or nil when the link must become text: https to
    /// a listed host; plain http to a listed host (a bare `www.` address,
    /// which cmark-gfm links as http) is upgraded to https.
    static func allowedTarget(_ url: String, hosts: Set<String>) -> String? {
        let trimmed = url.trimmingSpaces()
        let lower = trimmed.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"),
            let host = ReportLinks.host(of: trimmed), hosts.contains(host)
        else { return nil }
        return lower.hasPrefix("https://") ? trimmed : "https://" + trimmed.dropFirst("http://".count)
    }

    /// A link's text stays where the link was; the link itself goes.
    private static func unwrap(_ node: OpaquePointer) {
        while let child = cmark_node_first_child(node) {
            cmark_node_unlink(child)
            cmark_node_insert_before(node, child)
        }
        cmark_node_unlink(node)
        cmark_node_free(node)
    }

    private static func plainText(of node: OpaquePointer) -> String {
        var text = ""
        let iterator = cmark_iter_new(node)
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let child = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(child)
            if type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE, let literal = cmark_node_get_literal(child) {
                text += String(cString: literal)
            }
        }
        return text.trimmingSpaces()
    }

    /// `<h2>` → `<h2 id="section-N">`: anchors for the table of contents. Only
    /// cmark writes tags here (raw HTML was turned into escaped text). Found
    /// on the UTF-8 bytes: as Characters, a combining mark right after `>`
    /// would hide the tag (`<h2>` + U+05A1 is one grapheme cluster).
    private static func numberSectionHeadings(_ html: String) -> String {
        let tag = Array("<h2>".utf8)
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var number = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == tag[0], index + tag.count <= bytes.count, Array(bytes[index..<index + tag.count]) == tag {
                number += 1
                out += Array("<h2 id=\"section-\(number)\">".utf8)
                index += tag.count
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
