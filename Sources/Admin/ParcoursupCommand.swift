import ArgumentParser
import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// `bilan-admin import-parcoursup FILE.csv [--session YEAR]` (SPEC §13).
struct ImportParcoursupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-parcoursup",
        abstract: "Load the ministry's Parcoursup open data (fr-esr-parcoursup, CSV) for the terrain pass.",
        discussion: """
            The file is the portal's CSV export: « ; »-separated, UTF-8 with or without BOM, headers either
            the technical names (session, cod_aff_form, taux_acces_ens…) or the French labels. One session per
            file; a session already loaded is replaced by the file, in one transaction (the same file twice
            changes nothing). Rows that cannot be read are refused with their reason; a file with a missing
            column, a broken line or a cod_aff_form given twice is refused whole. See docs/PARCOURSUP.md.
            """)
    @Argument(help: "The CSV export (fr-esr-parcoursup).") var file: String
    @Option(help: "The session (year) to import: keeps only its rows, or names the session of a file without the column.")
    var session: Int?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            if let session, !(2018...2100).contains(session) {
                throw AdminFailure("--session \(session): a Parcoursup session is a year, 2018 or later")
            }
            let context = try AdminContext.open()
            let line = ProgressLine(file: file)
            let summary: ParcoursupImportSummary
            do {
                summary = try ParcoursupImporter(connection: context.connection, progress: line.show)
                    .importFile(file, session: session)
            } catch let error as ParcoursupImportError {
                line.finish()
                throw AdminFailure(error.description)
            } catch let error as DatabaseError {
                line.finish()
                throw AdminFailure("database error, nothing imported: \(error.message)")
            }
            line.finish()
            emit(output, text: summary.text, json: summary.json)
        }
    }
}

/// « reading FILE: 12 of 30 MiB (40 %) » on stderr: rewritten in place on a
/// terminal, a line every quarter otherwise (logs, scripts).
final class ProgressLine {
    let file: String
    let terminal = isatty(2) == 1
    private var shownQuarter = -1
    private var drawn = false

    init(file: String) { self.file = file }

    func show(_ sent: Int64, _ total: Int64) {
        let percent = total > 0 ? Int(sent * 100 / total) : 100
        let text = "reading \(file): \(Self.mebibytes(sent)) of \(Self.mebibytes(total)) MiB (\(percent) %)"
        if terminal {
            write("\r" + text)
            drawn = true
        } else if percent / 25 > shownQuarter {
            shownQuarter = percent / 25
            write(text + "\n")
        }
    }

    /// `12.5`: one decimal, so a small file does not read « 0 of 0 MiB ».
    static func mebibytes(_ bytes: Int64) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10)"
    }

    func finish() {
        if drawn { write("\n") }
        drawn = false
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
