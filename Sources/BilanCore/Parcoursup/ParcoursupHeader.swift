/// Why a file is refused whole: one sentence for the sysadmin that names the
/// file and what to do. Nothing was written when one is thrown.
public struct ParcoursupImportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The first line of an export: which column holds each field we keep. Read
/// by name, never by position, since columns come and go between sessions
/// (SPEC §13); the file's own names never reach SQL (the staging table's
/// columns are numbered).
public struct ParcoursupHeader: Sendable, Equatable {
    public enum Style: String, Sendable { case technical = "technical names", frenchLabels = "French labels" }

    /// The names as written, without the BOM.
    public let names: [String]
    /// 1-based column number of each field the file has.
    public let columns: [ParcoursupField: Int]
    public let style: Style

    public static let separator: UInt8 = 0x3B  // ;
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Reads the header line (without its line break). `sessionGiven`: the
    /// session comes from `--session`, so the column may be absent.
    public static func read(_ line: ArraySlice<UInt8>, file: String, sessionGiven: Bool) throws(ParcoursupImportError)
        -> ParcoursupHeader
    {
        var bytes = line
        if bytes.starts(with: byteOrderMark) { bytes = bytes.dropFirst(3) }
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ParcoursupImportError("\(file): the first line is not UTF-8 text: export the file again as UTF-8 CSV")
        }
        let names = splitFields(text, separator: ";")
        let header = mapped(names)
        if names.count < 2 || header.columns.count < 2 {
            throw wrongShape(text, file: file)
        }
        let missing = ParcoursupField.allCases.filter { field in
            field.isRequired && header.columns[field] == nil && !(field == .session && sessionGiven)
        }
        if !missing.isEmpty {
            throw ParcoursupImportError(
                "\(file): the header has no column " + missing.map(\.acceptedNames).joined(separator: "; no column ")
                    + (missing.contains(.session) ? " (or give the session with --session YEAR)" : "")
                    + ": nothing imported")
        }
        return header
    }

    /// Each name mapped to its field: technical names first, then French
    /// labels by occurrence. The style is whichever kind matched more.
    static func mapped(_ names: [String]) -> ParcoursupHeader {
        var technical: [ParcoursupField: Int] = [:]
        var french: [ParcoursupField: Int] = [:]
        var seenLabels: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            let key = ParcoursupField.comparable(name)
            seenLabels[key, default: 0] += 1
            for field in ParcoursupField.allCases {
                if technical[field] == nil, field.technicalNames.contains(key) { technical[field] = index + 1 }
                let isLabel = field.frenchLabels.contains {
                    ParcoursupField.comparable($0.label) == key && $0.occurrence == seenLabels[key]
                }
                if french[field] == nil, isLabel { french[field] = index + 1 }
            }
        }
        let style: Style = technical.count >= french.count ? .technical : .frenchLabels
        return ParcoursupHeader(names: names, columns: style == .technical ? technical : french, style: style)
    }

    /// Not our export: say whether it is another separator or not CSV at all.
    static func wrongShape(_ text: String, file: String) -> ParcoursupImportError {
        for (separator, name) in [(Character(","), "commas"), (Character("\t"), "tabs"), (Character("|"), "« | »")] {
            let names = splitFields(text, separator: separator)
            if names.count > 1, mapped(names).columns.count >= 2 {
                return ParcoursupImportError(
                    "\(file): columns are separated by \(name), not « ; » as in the ministry's export: "
                        + "export it again with « ; » (the portal's default): nothing imported")
            }
        }
        let start = text.prefix(60).map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " ") ? $0 : "." }
        return ParcoursupImportError(
            "\(file): not the Parcoursup CSV export: its first line (\"\(String(start))…\") has no « ; »-separated "
                + "Parcoursup column names: nothing imported")
    }

    /// The fields of one CSV line, honouring double quotes.
    static func splitFields(_ line: String, separator: Character) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var previous: Character?
        for character in line {
            if character == "\"" {
                if !quoted, previous == "\"" { current.append("\"") }  // "" inside a quoted field
                quoted.toggle()
            } else if character == separator, !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        fields.append(current)
        return fields.map { $0.trimmingSpaces() }
    }
}
