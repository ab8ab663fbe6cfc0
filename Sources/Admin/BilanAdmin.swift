// bilan-admin: the sysadmin's and scripts' tool (SPEC §10). Plain text by
// default, `--json` for scripts; one clear line and a non-zero exit on error.
import ArgumentParser

@main
struct BilanAdmin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bilan-admin",
        abstract: "Administer the bilan d'orientation service.",
        discussion: """
            Settings come from the environment, or from the KEY=value file named by BILAN_CONFIG
            (DATABASE_URL, DIRECT_URL, PUBLIC_URL, …; see README.md).
            """,
        subcommands: [
            Migrate.self, UserCommand.self, PaymentCommand.self, SessionCommand.self, ListCommand.self,
            ShowCommand.self, RetryCommand.self, ResendEmailCommand.self, CheckCommand.self,
            CheckReportCommand.self, ImportParcoursupCommand.self, RenderPDFCommand.self, VapidKeysCommand.self,
        ])
}
