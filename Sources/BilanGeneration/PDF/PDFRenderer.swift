import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// Turns a print document (HTML whose relative URLs resolve in the print
/// template's folder) into a PDF. A protocol so the maker, recovery and the
/// notifier are tested without WeasyPrint.
public protocol PDFRendering {
    func render(_ html: String) throws(PDFRenderError) -> RenderedPDF
}

public struct RenderedPDF: Sendable {
    public var bytes: [UInt8]
    public var seconds: Double
    /// The renderer's peak resident set and CPU time (WeasyPrint's, not the generator's).
    public var peakRSSKiB: Int
    public var cpuSeconds: Double

    public init(bytes: [UInt8], seconds: Double, peakRSSKiB: Int, cpuSeconds: Double) {
        self.bytes = bytes
        self.seconds = seconds
        self.peakRSSKiB = peakRSSKiB
        self.cpuSeconds = cpuSeconds
    }
}

/// Why no PDF came out; never shown to a student, logged with the bilan id.
public struct PDFRenderError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Not installed, or not where WEASYPRINT_PATH says.
        case missing
        /// Ran and failed: an error exit, a crash, no PDF written.
        case failed
        /// Still running at PDF_TIMEOUT, killed.
        case timedOut = "timed out"
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "WeasyPrint \(kind.rawValue): \(detail)" }
}

/// WeasyPrint (Debian's `weasyprint`) run as a child process with a time
/// limit: the HTML goes in a scratch folder, the PDF comes back from it.
///
/// Nothing is fetched from the network: the print template names files of
/// its own folder only (`--base-url`), the report HTML is the sanitised one
/// (images dropped, no raw HTML), and the child's proxy settings point at a
/// closed local port, so a URL that slipped through fails at once instead of
/// leaving the machine.
public struct WeasyPrintRenderer: PDFRendering {
    /// WEASYPRINT_PATH: a path, or a name looked up in `PATH`.
    public let executable: String
    /// The print template's folder (`templates/pdf`), where relative URLs resolve.
    let baseDirectory: String
    let timeoutSeconds: Int
    let searchPath: String?

    public init(executable: String, baseDirectory: String, timeoutSeconds: Int, searchPath: String?) {
        self.executable = executable
        self.baseDirectory = baseDirectory
        self.timeoutSeconds = timeoutSeconds
        self.searchPath = searchPath
    }

    public init(configuration: Configuration) {
        self.init(
            executable: configuration.weasyprintPath,
            baseDirectory: configuration.templatesDirectory + "/" + ReportPrintDocument.folder,
            timeoutSeconds: configuration.pdfTimeoutSeconds,
            searchPath: Environment.processEnvironment()["PATH"])
    }

    public func render(_ html: String) throws(PDFRenderError) -> RenderedPDF {
        let program = try resolvedExecutable()
        let folder = try scratchFolder()
        defer { folder.remove() }
        let input = folder.path + "/report.html"
        let output = folder.path + "/report.pdf"
        do {
            try writeFileAtomically(input, Array(html.utf8), mode: 0o600)
        } catch {
            throw PDFRenderError(.failed, "cannot write the print document: \(error)")
        }
        let run = BoundedProcess(
            executable: program,
            arguments: ["--base-url", baseDirectory + "/", "--encoding", "utf-8", input, output],
            environment: childEnvironment(scratch: folder.path), timeoutSeconds: timeoutSeconds
        ).run(outputPath: folder.path + "/weasyprint.log")
        let log = { Self.lastLine(of: folder.path + "/weasyprint.log") }
        switch run.outcome {
        case .notStarted(let code):
            throw PDFRenderError(code == ENOENT ? .missing : .failed, "\(program): \(String(cString: strerror(code)))")
        case .timedOut:
            throw PDFRenderError(.timedOut, "killed after \(timeoutSeconds) s (PDF_TIMEOUT)")
        case .killedBySignal(let number):
            throw PDFRenderError(.failed, "killed by signal \(number)\(log())")
        case .exited(let status) where status != 0:
            throw PDFRenderError(.failed, "exit status \(status)\(log())")
        case .exited:
            break
        }
        guard let bytes = readFileBytes(output), bytes.starts(with: Array("%PDF-".utf8)) else {
            throw PDFRenderError(.failed, "no PDF written\(log())")
        }
        return RenderedPDF(bytes: bytes, seconds: run.elapsedSeconds, peakRSSKiB: run.peakRSSKiB, cpuSeconds: run.cpuSeconds)
    }

    /// `WeasyPrint version 57.2`: proves the program starts (`bilan-admin check`).
    public func version() throws(PDFRenderError) -> String {
        let program = try resolvedExecutable()
        let folder = try scratchFolder()
        defer { folder.remove() }
        let log = folder.path + "/version.txt"
        let run = BoundedProcess(
            executable: program, arguments: ["--version"], environment: childEnvironment(scratch: folder.path),
            timeoutSeconds: min(timeoutSeconds, 30)
        ).run(outputPath: log)
        guard run.outcome == .exited(status: 0), let text = readTextFile(log)?.trimmingSpaces(), !text.isEmpty else {
            if case .notStarted(let code) = run.outcome, code == ENOENT {
                throw PDFRenderError(.missing, "\(program): \(String(cString: strerror(code)))")
            }
            throw PDFRenderError(.failed, "\(program) --version: \(run.outcome)\(Self.lastLine(of: log))")
        }
        return text
    }

    /// Where one run's input, output, log and WeasyPrint's HOME live; removed after it.
    private func scratchFolder() throws(PDFRenderError) -> ScratchDirectory {
        do {
            return try ScratchDirectory(prefix: "bilan-pdf-")
        } catch {
            throw PDFRenderError(.failed, "no scratch folder: \(error)")
        }
    }

    private func resolvedExecutable() throws(PDFRenderError) -> String {
        guard let path = BoundedProcess.resolve(executable, searchPath: searchPath) else {
            throw PDFRenderError(.missing, "\(executable) not found in PATH (install weasyprint or set WEASYPRINT_PATH)")
        }
        return path
    }

    /// A clean environment: no secret of ours (the database URL, the Gemini
    /// key) reaches a program that parses untrusted text; HOME and the caches
    /// in the scratch folder (the service user may have no writable home);
    /// every proxy on a closed port (see the type's comment).
    func childEnvironment(scratch: String) -> [String] {
        let closed = "http://127.0.0.1:9"
        return [
            "PATH=\(searchPath ?? "/usr/local/bin:/usr/bin:/bin")", "LANG=C.UTF-8", "HOME=\(scratch)",
            "XDG_CACHE_HOME=\(scratch)", "PYTHONDONTWRITEBYTECODE=1",
            "http_proxy=\(closed)", "https_proxy=\(closed)", "ftp_proxy=\(closed)", "all_proxy=\(closed)",
            "HTTP_PROXY=\(closed)", "HTTPS_PROXY=\(closed)", "ALL_PROXY=\(closed)",
        ]
    }

    /// `: <last non-blank line of the program's output>` (a Python
    /// exception's message), short enough for one log line.
    static func lastLine(of path: String) -> String {
        guard let text = readTextFile(path),
            let line = text.split(separator: "\n").last(where: { !$0.trimmingSpaces().isEmpty })
        else { return "" }
        let trimmed = line.trimmingSpaces()
        return ": " + (trimmed.count > 300 ? String(trimmed.prefix(300)) + "…" : trimmed)
    }
}
