import ArgumentParser
import BilanCore
import BilanGeneration

/// `bilan-admin render-pdf ID`: the report PDF of a completed bilan made
/// now, with the current print template and WeasyPrint, into a file; with
/// `--store` it also replaces the stored one (after a template fix, or to
/// not wait for recovery). Says how long WeasyPrint took and its peak
/// memory: the figures `make bench` and docs/PERFORMANCE.md quote.
struct RenderPDFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-pdf",
        abstract: "Make a COMPLETED bilan's PDF now into a file (and store it with --store); print WeasyPrint's time and peak memory.")
    @Argument(help: "Bilan id (UUID).") var id: String
    @Option(help: "Where to write the PDF (default: bilan-orientation-<day>.pdf here).") var output: String?
    @Flag(help: "Also store it as the bilan's PDF (the page and later mails use it).") var store = false
    @OptionGroup var format: OutputOptions

    func run() throws {
        try guarded {
            guard let bilan = BilanID.parse(id) else { throw AdminFailure("not a bilan id: \(id)") }
            let context = try AdminContext.open()
            let pdfs = PostgresPDFStore(connection: context.connection)
            guard let source = try databaseAnswer({ try pdfs.printSource(bilan) }) else {
                throw AdminFailure("no COMPLETED bilan \(bilan)")
            }
            let directory = context.configuration.templatesDirectory
            let labels: AnswerLabels
            do {
                labels = try AnswerLabels.load(templatesDirectory: directory)
            } catch {
                throw AdminFailure("\(error)")
            }
            let document = ReportPrintDocument(
                templates: TemplateLibrary(directory: directory), wording: AnswerWording(labels: labels),
                linkHosts: context.configuration.reportLinkHosts)
            let pdf: RenderedPDF
            do {
                pdf = try WeasyPrintRenderer(configuration: context.configuration).render(try document.html(for: source))
            } catch {
                throw AdminFailure("\(error)")
            }
            let path = output ?? ReportPDFName.fileName(completedAtMs: source.completedAtMs)
            do {
                try writeFileAtomically(path, pdf.bytes, mode: 0o644)
            } catch {
                throw AdminFailure("\(error)")
            }
            if store { try databaseAnswer { try pdfs.savePDF(bilan, pdf.bytes) } }
            let milliseconds = Int(pdf.seconds * 1000)
            let cpu = Int(pdf.cpuSeconds * 1000)
            emit(
                format,
                text: "\(path): \(pdf.bytes.count) bytes in \(milliseconds) ms (WeasyPrint: \(cpu) ms CPU, peak RSS "
                    + "\(pdf.peakRSSKiB) KiB)" + (store ? "; stored" : ""),
                json: [
                    "file": .string(path), "bytes": .number(Double(pdf.bytes.count)), "ms": .number(Double(milliseconds)),
                    "cpuMs": .number(Double(cpu)), "peakRssKiB": .number(Double(pdf.peakRSSKiB)), "stored": .bool(store),
                ])
        }
    }

    private func databaseAnswer<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw AdminFailure("database error: \(error.message)")
        }
    }
}
