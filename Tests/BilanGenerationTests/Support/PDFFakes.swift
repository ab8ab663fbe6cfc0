import Logging
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration

/// `orientation_bilan_pdfs` in memory: the completed bilans to print (all
/// of them unless `isCompleted` says otherwise), the PDFs made and the
/// failed tries. Due-ness of retries is PostgreSQL's (`PDFQueries.missing`):
/// here every bilan without a PDF is due.
final class MemoryPDFStore: PDFStore {
    var isCompleted: (String) -> Bool = { _ in true }
    /// Completion instants (ms); a bilan not listed completed on 2026-12-02 at 11:00 Paris.
    var completedAt: [String: Int64] = [:]
    var distressed: Set<String> = []
    var pdfs: [String: [UInt8]] = [:]
    var failures: [String: [String]] = [:]
    /// Every bilan this store was asked about, in order (listing for recovery).
    var known: [String] = []

    static let completedAtMs: Int64 = 1_796_205_600_000  // 2026-12-02T10:00:00Z

    func printSource(_ id: String) -> PrintSource? {
        guard isCompleted(id) else { return nil }
        return PrintSource(
            id: id, report: PassRunnerTests.goodReport, reportHTML: nil, reportTOC: nil,
            questionnaire: (try? ReportFixtures.questionnaire())?.serialized,
            completedAtMs: completedAt[id] ?? Self.completedAtMs, distressFlag: distressed.contains(id))
    }

    func savePDF(_ id: String, _ pdf: [UInt8]) { pdfs[id] = pdf }

    func recordPDFFailure(_ id: String, detail: String) { failures[id, default: []].append(detail) }

    func bilansMissingPDF(limit: Int) -> [String] {
        Array(known.filter { isCompleted($0) && pdfs[$0] == nil }.prefix(limit))
    }

    func pdfAttachment(_ id: String) -> StoredPDF? {
        pdfs[id].map { StoredPDF(bytes: $0, fileName: ReportPDFName.fileName(completedAtMs: completedAt[id] ?? Self.completedAtMs)) }
    }
}

/// A renderer that records the documents it gets and answers a small PDF,
/// or fails as WeasyPrint would.
final class ScriptedRenderer: PDFRendering {
    var failure: PDFRenderError?
    var documents: [String] = []

    func render(_ html: String) throws(PDFRenderError) -> RenderedPDF {
        documents.append(html)
        if let failure { throw failure }
        return RenderedPDF(bytes: Array("%PDF-1.7 rendu \(documents.count)\n".utf8), seconds: 0.01, peakRSSKiB: 1024, cpuSeconds: 0.01)
    }
}

enum PDFFakes {
    static let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func document() throws -> ReportPrintDocument {
        ReportPrintDocument(
            templates: TemplateLibrary(directory: TestSupport.templatesDirectory),
            wording: AnswerWording(labels: try TestSupport.materials().labels), linkHosts: ReportOutline.defaultLinkHosts)
    }

    static func maker(_ store: MemoryPDFStore, _ renderer: ScriptedRenderer) throws -> ReportPDFMaker {
        ReportPDFMaker(store: store, renderer: renderer, document: try document(), logger: logger)
    }
}
