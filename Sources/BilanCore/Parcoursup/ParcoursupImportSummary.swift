/// What an import did, for the admin's summary line and `--json`.
public struct ParcoursupImportSummary: Sendable {
    public struct Refusal: Sendable {
        public var reason: String
        public var rows: Int
        /// The first few lines, « 12, 40, 41 ».
        public var lines: String
    }

    public struct Previous: Sendable {
        public var rows: Int
        public var importedAt: String
        public var file: String
    }

    public var file: String
    public var style: ParcoursupHeader.Style
    public var rowsInFile: Int
    public var session = 0
    /// Rows of other sessions left out (`--session`).
    public var otherSessions = 0
    public var kept = 0
    public var refusals: [Refusal] = []
    /// The session as it was before, when it was already loaded.
    public var previous: Previous?
    public var inserted = 0
    public var updated = 0
    public var removed = 0

    public var refused: Int { refusals.reduce(0) { $0 + $1.rows } }
    public var unchanged: Int { kept - inserted - updated }

    /// « taux_acces_ens 'abc' is not a number: 1 row (line 7) ».
    public var refusalLines: [String] {
        refusals.map { "\($0.reason): \($0.rows) row\($0.rows == 1 ? "" : "s") (line\($0.rows == 1 ? "" : "s") \($0.lines)\($0.rows > 5 ? ", …" : ""))" }
    }

    public var text: String {
        var lines = ["session \(session): \(kept) programmes loaded from \(file) (\(style.rawValue)), \(refused) refused"]
        if let previous {
            lines.append(
                "session \(session) was already loaded (\(previous.rows) rows, imported \(previous.importedAt)): replaced "
                    + "by this file, \(inserted) added, \(updated) changed, \(removed) removed, \(unchanged) unchanged")
        } else {
            lines.append("new session: \(inserted) added")
        }
        if otherSessions > 0 { lines.append("\(otherSessions) rows of other sessions left out (--session \(session))") }
        lines += refusalLines.map { "refused: " + $0 }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        .object([
            ("session", .number(Double(session))), ("file", .string(file)), ("header", .string(style.rawValue)),
            ("rowsInFile", .number(Double(rowsInFile))), ("loaded", .number(Double(kept))),
            ("refused", .number(Double(refused))), ("otherSessions", .number(Double(otherSessions))),
            ("alreadyLoaded", .bool(previous != nil)), ("added", .number(Double(inserted))),
            ("changed", .number(Double(updated))), ("removed", .number(Double(removed))),
            ("unchanged", .number(Double(unchanged))),
            ("refusals", .array(refusals.map { ["reason": .string($0.reason), "rows": .number(Double($0.rows)), "lines": .string($0.lines)] })),
        ])
    }
}
