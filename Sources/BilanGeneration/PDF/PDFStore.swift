import BilanCore

/// What the PDF mechanism reads and writes: the completed bilan to print,
/// the PDF once made, the tries that made none, and the PDF to attach to the
/// notification. A protocol so the maker, recovery and the notifier are
/// tested in memory (`Tests/BilanGenerationTests/ReportPDFTests.swift`).
public protocol PDFStore: ReportPDFAttachments {
    /// The bilan as the print template needs it; nil unless it is COMPLETED.
    func printSource(_ id: String) throws -> PrintSource?
    /// Stores the PDF; the database derives its ETag and size from the bytes.
    func savePDF(_ id: String, _ pdf: [UInt8]) throws
    /// Notes a try that made no PDF, so recovery spaces out the next ones.
    func recordPDFFailure(_ id: String, detail: String) throws
    /// Completed bilans without a PDF whose next try is due, newest first.
    func bilansMissingPDF(limit: Int) throws -> [String]
}

/// The notifier's one need: the PDF to attach, when there is one.
public protocol ReportPDFAttachments {
    func pdfAttachment(_ id: String) throws -> StoredPDF?
}

/// A completed bilan as the print template reads it.
public struct PrintSource: Sendable {
    public var id: String
    /// The report's Markdown, rendered here only when no HTML was stored
    /// (reports completed before the generator stored its rendering).
    public var report: String
    /// The sanitised HTML and table of contents stored at completion.
    public var reportHTML: String?
    public var reportTOC: String?
    /// The validated answers (JSON text), for the level and the profile line.
    public var questionnaire: String?
    public var completedAtMs: Int64
    public var distressFlag: Bool

    public init(
        id: String, report: String, reportHTML: String?, reportTOC: String?, questionnaire: String?,
        completedAtMs: Int64, distressFlag: Bool
    ) {
        self.id = id
        self.report = report
        self.reportHTML = reportHTML
        self.reportTOC = reportTOC
        self.questionnaire = questionnaire
        self.completedAtMs = completedAtMs
        self.distressFlag = distressFlag
    }
}

/// A stored PDF with the name it travels under.
public struct StoredPDF: Sendable, Equatable {
    public var bytes: [UInt8]
    /// `bilan-orientation-<YYYY-MM-DD>.pdf` (`ReportPDFName`).
    public var fileName: String

    public init(bytes: [UInt8], fileName: String) {
        self.bytes = bytes
        self.fileName = fileName
    }
}

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
