/// `bilan-admin import-parcoursup`: one export file into
/// `parcoursup_formations`, in one transaction, so the table holds either
/// the session as it was or the session as the file says, never half (SPEC
/// §13). The file goes to PostgreSQL through COPY into a staging table shaped
/// from its header; the checks and the typed upsert run there.
public struct ParcoursupImporter {
    /// A file is refused whole when more of its rows are refused than kept:
    /// it is the wrong file, or a format we do not read.
    static let maxRefusedShare = 0.5

    let connection: PGConnection
    /// Bytes sent so far and the file's size, after each chunk.
    let progress: (Int64, Int64) -> Void

    public init(connection: PGConnection, progress: @escaping (Int64, Int64) -> Void = { _, _ in }) {
        self.connection = connection
        self.progress = progress
    }

    /// Imports `path`; `session` (`--session`) keeps only that session's
    /// rows, or names the session of a file without the column.
    public func importFile(_ path: String, session forced: Int?) throws -> ParcoursupImportSummary {
        let file = try ParcoursupFile(path: path)
        defer { file.close() }
        let first = try file.nextChunk()
        let header = try ParcoursupHeader.read(try file.headerLine(of: first), file: path, sessionGiven: forced != nil)
        try run("BEGIN")
        do {
            let summary = try load(file, first: first, header: header, forced: forced)
            try run("COMMIT")
            // Fresh statistics and visibility map, so the selection's plan fits
            // the new rows at once rather than after autovacuum gets round to it.
            _ = try? run(ParcoursupQueries.vacuumTable.sql)
            return summary
        } catch {
            _ = try? connection.query("ROLLBACK")
            throw error
        }
    }

    private func load(_ file: ParcoursupFile, first: [UInt8], header: ParcoursupHeader, forced: Int?) throws
        -> ParcoursupImportSummary
    {
        try run(LockTimeout.statement)
        try run(ParcoursupQueries.lockImports.sql)
        try run(ParcoursupQueries.createStaging(columnCount: header.names.count).sql)
        let rowsInFile = try copy(file, first: first, header: header)
        try run(ParcoursupQueries.analyzeStaging(header).sql)
        var summary = ParcoursupImportSummary(file: file.path, style: header.style, rowsInFile: rowsInFile)
        if let forced, header.columns[.session] != nil {
            summary.otherSessions = try run(ParcoursupQueries.dropOtherSessions(header).sql, [String(forced)]).int(0, 0) ?? 0
        }
        try run(ParcoursupQueries.refuseBadRows(header).sql, [forced.map { String($0) }])
        let counts = try run(ParcoursupQueries.counts.sql)
        summary.kept = counts.int(0, 0) ?? 0
        let refusals = try run(ParcoursupQueries.refusals.sql)
        summary.refusals = (0..<refusals.rowCount).map { row in
            .init(reason: refusals.string(row, 0) ?? "", rows: refusals.int(row, 1) ?? 0, lines: refusals.string(row, 2) ?? "")
        }
        try refuseUnusable(summary, refused: counts.int(0, 1) ?? 0)
        try refuseDuplicates(header, file: file.path)
        let session = try forced ?? singleSession(header, file: file.path)
        summary.session = session
        let previous = try run(ParcoursupQueries.loadedSession.sql, [String(session)])
        if previous.rowCount == 1 {
            summary.previous = .init(rows: previous.int(0, 0) ?? 0, importedAt: previous.string(0, 1) ?? "", file: previous.string(0, 2) ?? "")
        }
        summary.removed = try run(ParcoursupQueries.removeAbsent(header).sql, [String(session)]).int(0, 0) ?? 0
        let written = try run(ParcoursupQueries.upsert(header).sql, [String(session)])
        summary.inserted = written.int(0, 0) ?? 0
        summary.updated = written.int(0, 1) ?? 0
        try run(
            ParcoursupQueries.recordSession.sql,
            [String(session), file.path, String(summary.kept), String(summary.refusals.reduce(0) { $0 + $1.rows })])
        return summary
    }

    /// Streams the whole file (its header line is skipped by COPY). Line
    /// breaks at the very end are sent as one, in the file's own style: a
    /// trailing blank line would otherwise be a row of one empty field.
    private func copy(_ file: ParcoursupFile, first: [UInt8], header: ParcoursupHeader) throws -> Int {
        let lineEnd: [UInt8] = first.firstIndex(of: 0x0A).map { $0 > 0 && first[$0 - 1] == 0x0D } == true ? [0x0D, 0x0A] : [0x0A]
        try connection.beginCopy(ParcoursupQueries.copyIntoStaging(columnCount: header.names.count))
        do {
            var chunk = first
            var held: [UInt8] = []
            var sent: Int64 = 0
            while !chunk.isEmpty {
                sent += Int64(chunk.count)
                if let last = chunk.lastIndex(where: { $0 != 0x0A && $0 != 0x0D }) {
                    try send(held)
                    try send(chunk[...last])
                    held = Array(chunk[(last + 1)...])
                } else {
                    held += chunk
                }
                progress(sent, file.size)
                chunk = try file.nextChunk()
            }
            try send(lineEnd)
        } catch {
            _ = try? connection.endCopy(abortReason: "import stopped: \(error)")
            throw error
        }
        do {
            return try connection.endCopy()
        } catch {
            throw ParcoursupCopyError.explained(error, file: file.path, columns: header.names.count)
        }
    }

    private func send(_ bytes: some Collection<UInt8>) throws {
        try Array(bytes).withUnsafeBytes { try connection.sendCopyData($0) }
    }

    private func refuseUnusable(_ summary: ParcoursupImportSummary, refused: Int) throws {
        let reasons = summary.refusalLines.joined(separator: "; ")
        if summary.kept == 0 {
            throw ParcoursupImportError("\(summary.file): no row can be imported\(reasons.isEmpty ? "" : " (\(reasons))"): nothing imported")
        }
        if Double(refused) > Double(summary.kept + refused) * Self.maxRefusedShare {
            throw ParcoursupImportError(
                "\(summary.file): \(refused) of \(summary.kept + refused) rows refused (\(reasons)): "
                    + "not imported, the file is probably not the ministry's export")
        }
    }

    private func refuseDuplicates(_ header: ParcoursupHeader, file: String) throws {
        let duplicates = try run(ParcoursupQueries.duplicates(header).sql)
        guard duplicates.rowCount > 0 else { return }
        let list = (0..<duplicates.rowCount).map { "\(duplicates.string($0, 0) ?? "?") (lines \(duplicates.string($0, 1) ?? "?"))" }
        throw ParcoursupImportError(
            "\(file): the same cod_aff_form on several rows: " + list.joined(separator: ", ")
                + "; which one is right cannot be told: nothing imported")
    }

    private func singleSession(_ header: ParcoursupHeader, file: String) throws -> Int {
        let sessions = try run(ParcoursupQueries.sessions(header).sql)
        let found = (0..<sessions.rowCount).compactMap { sessions.int($0, 0) }
        guard found.count == 1 else {
            throw ParcoursupImportError(
                "\(file): rows of sessions \(found.map(String.init).joined(separator: ", ")): "
                    + "import one session at a time (--session YEAR keeps one): nothing imported")
        }
        return found[0]
    }

    @discardableResult
    private func run(_ sql: String, _ parameters: [String?] = []) throws -> PGResult {
        try connection.query(sql, parameters)
    }
}
