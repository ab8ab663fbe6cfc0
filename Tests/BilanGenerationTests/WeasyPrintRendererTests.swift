import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration
#if canImport(Glibc)
import Glibc
#endif

/// How the generator runs WeasyPrint, with shell scripts standing in for it:
/// the arguments and environment it gets (no secret, proxies on a closed
/// port), a missing program, an error exit with its message, a crash, no PDF
/// written, and the time limit killing the whole process group.
@Suite("WeasyPrint as a bounded child process")
struct WeasyPrintRendererTests {
    /// A fake `weasyprint` in `folder`: `body` runs with the real arguments
    /// (`--base-url DIR/ --encoding utf-8 INPUT OUTPUT`).
    static func fake(_ folder: TemporaryDirectory, _ body: String) throws -> String {
        try folder.write("weasyprint", "#!/bin/sh\n" + body + "\n")
        let path = folder.path + "/weasyprint"
        chmod(path, 0o755)
        return path
    }

    static func renderer(_ executable: String, timeout: Int = 10, searchPath: String? = "/usr/bin:/bin") -> WeasyPrintRenderer {
        WeasyPrintRenderer(
            executable: executable, baseDirectory: TestSupport.templatesDirectory + "/pdf", timeoutSeconds: timeout,
            searchPath: searchPath)
    }

    @Test func thePDFItWritesComesBackWithTheArgumentsAndEnvironmentItGot() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let script = try Self.fake(folder, """
            printf '%s\\n' "$@" > "\(folder.path)/arguments"
            env > "\(folder.path)/environment"
            cp "$5" "\(folder.path)/input.html"
            printf '%%PDF-1.7 faux\\n' > "$6"
            """)
        let pdf = try Self.renderer(script).render("<p>Bonjour é</p>")
        #expect(pdf.bytes == Array("%PDF-1.7 faux\n".utf8))
        #expect(pdf.peakRSSKiB > 0 && pdf.cpuSeconds >= 0 && pdf.seconds > 0, "the child's usage, from wait4")
        let arguments = try #require(readTextFile(folder.path + "/arguments")).split(separator: "\n").map(String.init)
        #expect(Array(arguments.prefix(4)) == ["--base-url", TestSupport.templatesDirectory + "/pdf/", "--encoding", "utf-8"])
        #expect(readTextFile(folder.path + "/input.html") == "<p>Bonjour é</p>")
        let environment = try #require(readTextFile(folder.path + "/environment"))
        #expect(environment.contains("https_proxy=http://127.0.0.1:9") && environment.contains("http_proxy=http://127.0.0.1:9"))
        #expect(!environment.contains("DATABASE_URL") && !environment.contains("GEMINI_API_KEY"))
        // The scratch folder (HOME, the input, the output) is gone afterwards.
        let home = environment.split(separator: "\n").first { $0.hasPrefix("HOME=") }.map { String($0.dropFirst(5)) }
        #expect(home != nil && access(home!, F_OK) != 0)
    }

    @Test func aProgramThatIsNotThereIsMissing() throws {
        for executable in ["/nonexistent/weasyprint", "weasyprint-absent-here"] {
            #expect(throws: PDFRenderError.self) { try Self.renderer(executable).render("<p/>") }
            do {
                _ = try Self.renderer(executable).render("<p/>")
            } catch {
                #expect(error.kind == .missing, "\(executable): \(error)")
            }
        }
    }

    @Test func anErrorExitFailsWithItsLastLine() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let script = try Self.fake(folder, "echo 'Traceback (most recent call last):'; echo 'OSError: cannot load library pango' >&2; exit 1")
        do {
            _ = try Self.renderer(script).render("<p/>")
            Issue.record("no error")
        } catch {
            #expect(error.kind == .failed)
            #expect(error.detail == "exit status 1: OSError: cannot load library pango")
        }
    }

    @Test func aCrashOrNoPDFFails() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for (body, expected) in [("kill -SEGV $$", "killed by signal 11"), ("printf 'pas un pdf' > \"$6\"", "no PDF written")] {
            let script = try Self.fake(folder, body)
            do {
                _ = try Self.renderer(script).render("<p/>")
                Issue.record("no error for \(body)")
            } catch {
                #expect(error.kind == .failed && error.detail.hasPrefix(expected), "\(error)")
            }
        }
    }

    /// Past PDF_TIMEOUT the program and what it started are killed: the
    /// generator goes on to the mail within a second of the limit.
    @Test func pastTheTimeLimitTheWholeProcessGroupIsKilled() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let script = try Self.fake(folder, "sleep 30 & echo $! > \"\(folder.path)/helper\"; sleep 30")
        let started = UTCTime.monotonicSeconds()
        do {
            _ = try Self.renderer(script, timeout: 1).render("<p/>")
            Issue.record("no timeout")
        } catch {
            #expect(error.kind == .timedOut)
        }
        #expect(UTCTime.monotonicSeconds() - started < 5)
        let helper = try #require(readTextFile(folder.path + "/helper").flatMap { pid_t($0.trimmingSpaces()) })
        // Killed with its group; reaped by init once orphaned, so it may linger a moment as a zombie.
        var gone = false
        for _ in 0..<100 where !gone {
            let state = readTextFile("/proc/\(helper)/stat")?.split(separator: " ").dropFirst(2).first
            gone = state == nil || state == "Z"
            if !gone { usleep(20_000) }
        }
        #expect(gone, "the helper the program started is still running")
    }

    @Test func theVersionLineProvesTheProgramStarts() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(try Self.renderer(try Self.fake(folder, "echo 'WeasyPrint version 57.2'")).version() == "WeasyPrint version 57.2")
        #expect(throws: PDFRenderError.self) { try Self.renderer("/nonexistent/weasyprint").version() }
    }
}
