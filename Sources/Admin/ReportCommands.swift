import ArgumentParser
import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// `bilan-admin check-report FILE.md [--questionnaire Q.json]`: the report
/// check of SPEC §12 on a file, as the generator runs it before storing.
struct CheckReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-report",
        abstract: "Run the report check on a Markdown file; exit 1 when a hard rule fails.")
    @Argument(help: "The report (Markdown).") var file: String
    @Option(help: "The questionnaire (JSON) the report answers, for the free-text rule.") var questionnaire: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let passed = try guarded { () -> Bool in
            guard let report = readTextFile(file) else { throw AdminFailure("cannot read \(file)") }
            var answers: JSONValue?
            if let questionnaire {
                guard let bytes = readFileBytes(questionnaire) else { throw AdminFailure("cannot read \(questionnaire)") }
                guard let parsed = try? JSONParser.parse(bytes), parsed.objectValue != nil else {
                    throw AdminFailure("\(questionnaire): not a JSON object")
                }
                answers = parsed
            }
            let environment = try Environment.current()
            let hosts = try Configuration.linkHosts(environment)
            let templates = environment["TEMPLATES_DIR"] ?? ExecutablePath.directory() + "/../share/bilan/templates"
            let facts: DatedFacts
            do { facts = try DatedFacts.load(templatesDirectory: templates) } catch { throw AdminFailure("\(error)") }
            let verdict = ReportCheck(linkHosts: hosts, facts: facts.valid(on: ParisCalendar.today()))
                .verify(report, questionnaire: answers)
            emit(output, text: ReportVerdictText.lines(verdict.json).joined(separator: "\n"), json: verdict.json)
            return verdict.passed
        }
        if !passed { throw ExitCode(1) }
    }
}

/// A stored or fresh verdict as text lines, one rule a line.
enum ReportVerdictText {
    static func lines(_ verdict: JSONValue) -> [String] {
        var lines = [
            "reportCheck    " + (verdict["passed"]?.boolValue == true ? "passed" : "FAILED")
                + (verdict["repaired"]?.boolValue == true ? ", repaired" : "")
                + ", \(Int(verdict["words"]?.numberValue ?? 0)) words"
                + ((verdict["linksNeutralised"]?.numberValue ?? 0) > 0
                    ? ", \(Int(verdict["linksNeutralised"]?.numberValue ?? 0)) link(s) turned into text" : ""),
        ]
        for rule in verdict["rules"]?.arrayValue ?? [] {
            let ok = rule["ok"]?.boolValue == true
            let kind = rule["hard"]?.boolValue == true ? "hard" : "soft"
            lines.append(
                "  \(ok ? "ok  " : "FAIL") \(kind) \((rule["id"]?.stringValue ?? "?").padded(11)) \(rule["detail"]?.stringValue ?? "")")
        }
        return lines
    }
}
