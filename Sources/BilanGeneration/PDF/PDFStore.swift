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
