/// A small Mustache subset for the page, mail and prompt templates that sites
/// edit without rebuilding: `{{name}}` (escaped), `{{{name}}}` (raw),
/// `{{#name}}…{{/name}}` (shown if truthy, repeated for a list),
/// `{{^name}}…{{/name}}` (shown if falsy), `{{! comment }}`, dotted names.
///
/// Written here rather than taken from swift-mustache, which imports all of
/// Foundation: the generator and CGI-mode handlers start faster without it.
public struct Template: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case variable(String, escaped: Bool)
        case section(String, inverted: Bool, [Node])
    }

    public struct SyntaxError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let nodes: [Node]

    public init(_ source: String) throws(SyntaxError) {
        var parser = TemplateParser(source: source)
        nodes = try parser.parse()
    }

    /// Renders with `escape` applied to `{{name}}` values (HTML escaping for
    /// pages and mails, none for prompts and plain text).
    public func render(_ context: TemplateValue, escape: (String) -> String = HTMLEscaping.escape) -> String {
        var out = ""
        Self.render(nodes, stack: [context], escape: escape, into: &out)
        return out
    }

    private static func render(_ nodes: [Node], stack: [TemplateValue], escape: (String) -> String, into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .variable(let name, let escaped):
                let text = lookup(name, in: stack)?.text ?? ""
                out += escaped ? escape(text) : text
            case .section(let name, let inverted, let children):
                let value = lookup(name, in: stack)
                let truthy = value?.isTruthy ?? false
                if inverted {
                    if !truthy { render(children, stack: stack, escape: escape, into: &out) }
                } else if truthy, let value {
                    if case .list(let items) = value {
                        for item in items { render(children, stack: stack + [item], escape: escape, into: &out) }
                    } else {
                        render(children, stack: stack + [value], escape: escape, into: &out)
                    }
                }
            }
        }
    }

    /// Mustache lookup: `.` is the current item; the first part of a dotted
    /// name is searched from the innermost context outwards.
    private static func lookup(_ name: String, in stack: [TemplateValue]) -> TemplateValue? {
        if name == "." { return stack.last }
        let parts = name.split(separator: ".").map(String.init)
        for context in stack.reversed() {
            guard var value = context.member(parts[0]) else { continue }
            for part in parts.dropFirst() {
                guard let next = value.member(part) else { return nil }
                value = next
            }
            return value
        }
        return nil
    }
}

/// The values a template reads.
public enum TemplateValue: Sendable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral
{
    case text(String)
    case bool(Bool)
    case list([TemplateValue])
    case object([String: TemplateValue])

    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }

    var text: String {
        switch self {
        case .text(let s): return s
        case .bool(let b): return b ? "true" : ""
        case .list, .object: return ""
        }
    }

    var isTruthy: Bool {
        switch self {
        case .text(let s): return !s.isEmpty
        case .bool(let b): return b
        case .list(let items): return !items.isEmpty
        case .object: return true
        }
    }

    func member(_ name: String) -> TemplateValue? {
        if case .object(let members) = self { return members[name] }
        return nil
    }
}

struct TemplateParser {
    let source: String
    var index: String.Index

    init(source: String) {
        self.source = source
        self.index = source.startIndex
    }

    mutating func parse() throws(Template.SyntaxError) -> [Template.Node] {
        let (nodes, closing) = try parseNodes()
        if let closing { throw Template.SyntaxError(description: "{{/\(closing)}} sans section ouverte") }
        return nodes
    }

    /// When only spaces surround the tag that starts at `tagStart` and ends at
    /// `index` on its line, the position just after that line's end.
    private func standaloneLineEnd(tagStart: String.Index) -> String.Index? {
        var before = tagStart
        while before > source.startIndex {
            let previous = source.index(before: before)
            if source[previous] == "\n" { break }
            guard source[previous] == " " || source[previous] == "\t" else { return nil }
            before = previous
        }
        var after = index
        while after < source.endIndex, source[after] == " " || source[after] == "\t" || source[after] == "\r" {
            after = source.index(after: after)
        }
        if after == source.endIndex { return after }
        guard source[after] == "\n" else { return nil }
        return source.index(after: after)
    }

    /// Parses until the end or a closing tag, which it returns.
    private mutating func parseNodes() throws(Template.SyntaxError) -> ([Template.Node], String?) {
        var nodes: [Template.Node] = []
        while index < source.endIndex {
            guard let open = source[index...].firstRange(of: "{{") else {
                nodes.append(.text(String(source[index...])))
                index = source.endIndex
                break
            }
            if open.lowerBound > index { nodes.append(.text(String(source[index..<open.lowerBound]))) }
            let triple = source[open.upperBound...].hasPrefix("{")
            let closer = triple ? "}}}" : "}}"
            let start = triple ? source.index(after: open.upperBound) : open.upperBound
            guard let close = source[start...].firstRange(of: closer) else {
                throw Template.SyntaxError(description: "balise {{ non fermée")
            }
            let tag = source[start..<close.lowerBound].trimmingSpaces()
            index = close.upperBound
            if triple { nodes.append(.variable(tag, escaped: false)); continue }
            // Mustache's "standalone" rule: a section or comment tag alone on its
            // line takes the whole line with it, so lists render without blank lines.
            if let first = tag.first, "#^/!".contains(first), let lineEnd = standaloneLineEnd(tagStart: open.lowerBound) {
                if case .text(let text)? = nodes.last {
                    nodes[nodes.count - 1] = .text(String(text.reversed().drop { $0 == " " || $0 == "\t" }.reversed()))
                }
                index = lineEnd
            }
            switch tag.first {
            case "!": continue
            case "#", "^":
                let name = String(tag.dropFirst()).trimmingSpaces()
                let (children, closing) = try parseNodes()
                guard closing == name else {
                    throw Template.SyntaxError(description: "section {{#\(name)}} non fermée")
                }
                nodes.append(.section(name, inverted: tag.first == "^", children))
            case "/":
                return (nodes, String(tag.dropFirst()).trimmingSpaces())
            case "&":
                nodes.append(.variable(String(tag.dropFirst()).trimmingSpaces(), escaped: false))
            default:
                nodes.append(.variable(tag, escaped: true))
            }
        }
        return (nodes, nil)
    }
}

/// Escaping for HTML text and attribute values.
public enum HTMLEscaping {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
