import BilanCore
import Logging

/// Makes a completed bilan's PDF and stores it (SPEC §14): after COMPLETED
/// and before the mail, so the mail can attach it; again from recovery for
/// bilans left without one. A PDF that cannot be made (WeasyPrint missing,
/// crashed, past PDF_TIMEOUT, the print template broken) never stops the
/// bilan nor its mail: one log line with the bilan id, the try noted for
/// recovery, and the caller goes on.
public struct ReportPDFMaker {
    let store: any PDFStore
    let renderer: any PDFRendering
    let document: ReportPrintDocument
    let logger: Logger

    public init(store: any PDFStore, renderer: any PDFRendering, document: ReportPrintDocument, logger: Logger) {
        self.store = store
        self.renderer = renderer
        self.document = document
        self.logger = logger
    }

    /// True when a PDF was made and stored. Throws only the database's
    /// errors: those stop the generator as any other would, and recovery
    /// takes the bilan (and its mail) up again.
    @discardableResult
    public func makePDF(for id: String) throws -> Bool {
        guard let source = try store.printSource(id) else { return false }
        let pdf: RenderedPDF
        do {
            pdf = try renderer.render(try document.html(for: source))
        } catch {
            logger.error(
                "pdf not made; the mail goes without it and recovery retries",
                metadata: ["bilan": "\(id)", "cause": "\(error)"])
            try store.recordPDFFailure(id, detail: "\(error)")
            return false
        }
        try store.savePDF(id, pdf.bytes)
        logger.info(
            "pdf made",
            metadata: [
                "bilan": "\(id)", "bytes": "\(pdf.bytes.count)", "ms": "\(Int(pdf.seconds * 1000))",
                "cpu_ms": "\(Int(pdf.cpuSeconds * 1000))", "peak_rss_kib": "\(pdf.peakRSSKiB)",
            ])
        return true
    }

}
