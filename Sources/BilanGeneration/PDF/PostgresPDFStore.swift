import BilanCore

/// `PDFStore` on the generator's connection; every statement is a named
/// query of `PDFQueries`.
public struct PostgresPDFStore: PDFStore {
    let connection: PGConnection

    public init(connection: PGConnection) { self.connection = connection }

    public func printSource(_ id: String) throws -> PrintSource? {
        let row = try connection.query(PDFQueries.printSource.sql, [id])
        guard row.rowCount == 1, let completedAt = row.int64(0, 4) else { return nil }
        return PrintSource(
            id: id, report: row.string(0, 0) ?? "", reportHTML: row.string(0, 1), reportTOC: row.string(0, 2),
            questionnaire: row.string(0, 3), completedAtMs: completedAt, distressFlag: row.bool(0, 5) == true)
    }

    public func savePDF(_ id: String, _ pdf: [UInt8]) throws {
        try connection.query(PDFQueries.save.sql, [id, Bytea.parameter(pdf)])
    }

    public func recordPDFFailure(_ id: String, detail: String) throws {
        try connection.query(PDFQueries.recordFailure.sql, [id, detail])
    }

    public func bilansMissingPDF(limit: Int) throws -> [String] {
        let rows = try connection.query(PDFQueries.missing.sql, [String(limit)])
        return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
    }

    public func pdfAttachment(_ id: String) throws -> StoredPDF? {
        let row = try connection.query(PDFQueries.attachment.sql, [id])
        guard let bytes = row.bytes(0, 0), let completedAt = row.int64(0, 1) else { return nil }
        return StoredPDF(bytes: bytes, fileName: ReportPDFName.fileName(completedAtMs: completedAt))
    }
}
