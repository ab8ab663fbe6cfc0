import ArgumentParser
import BilanCore
import BilanGeneration

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and reach the database, Gemini, the mail server and WeasyPrint; one line per check.")
    @OptionGroup var output: OutputOptions

    func run() throws {
        let environment: Environment
        let configuration: Configuration
        do {
            environment = try Environment.current()
            configuration = try Configuration.load(environment, needs: [.gemini, .mail])
        } catch {
            emit(output, text: "FAIL configuration     \(error)", json: ["ok": false, "checks": [["name": "configuration", "ok": false, "detail": .string("\(error)")]]])
            throw ExitCode(1)
        }
        let migrations = environment["MIGRATIONS_DIR"] ?? ExecutablePath.directory() + "/../share/bilan/migrations"
        let results = [ServiceChecks.Result(name: "configuration", ok: true, detail: "all settings valid")]
            + ServiceChecks(configuration: configuration, migrationsDirectory: migrations).runAll()
        let text = results.map { "\($0.ok ? ($0.warning ? "warn" : "ok  ") : "FAIL") \($0.name.padded(16)) \($0.detail)" }
            .joined(separator: "\n")
        let allOK = results.allSatisfy { $0.ok }
        emit(
            output, text: text,
            json: [
                "ok": .bool(allOK),
                "checks": .array(results.map { result -> JSONValue in
                    ["name": .string(result.name), "ok": .bool(result.ok), "warning": .bool(result.warning), "detail": .string(result.detail)]
                }),
            ])
        if !allOK { throw ExitCode(1) }
    }
}
