import ArgumentParser
import BilanCore
import BilanMail
import BilanWeb

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations (MIGRATIONS_DIR) and say which.")
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            let context = try AdminContext.open()
            let directory = context.environment["MIGRATIONS_DIR"] ?? ExecutablePath.directory() + "/../share/bilan/migrations"
            let applied: [String]
            do {
                applied = try Migrator(connection: context.connection, directory: directory).applyPending()
            } catch let error as DatabaseError {
                throw AdminFailure("migration failed: \(error.message)")
            } catch let error as ConfigurationError {
                throw AdminFailure(error.description)
            }
            let text = applied.isEmpty ? "database is up to date" : applied.map { "applied \($0)" }.joined(separator: "\n")
            emit(output, text: text, json: ["applied": .array(applied.map { .string($0) })])
        }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (idempotent: an existing address is kept).")
        @Argument(help: "E-mail address.") var email: String
        @Option(help: "Display name.") var name: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try guarded {
                guard MailAddress.isPlausible(email) else { throw AdminFailure("invalid e-mail address: \(email)") }
                let context = try AdminContext.open()
                guard let id = try context.run(AdminQueries.upsertUser, [email, name]).string(0, 0) else {
                    throw AdminFailure("could not create user \(email)")
                }
                emit(output, text: "user \(email) id=\(id)", json: ["id": .string(id), "email": .string(email)])
            }
        }
    }
}

struct PaymentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "payment", abstract: "Record payments.", subcommands: [Add.self])

    enum Plan: String, ExpressibleByArgument, CaseIterable { case MONTHLY, ANNUAL }
    enum Status: String, ExpressibleByArgument, CaseIterable { case SUCCEEDED, REFUNDED, FAILED }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a payment for a user.")
        @Argument(help: "E-mail address of the user.") var email: String
        @Option(help: "MONTHLY or ANNUAL.") var plan: Plan
        @Option(help: "SUCCEEDED (default), REFUNDED or FAILED.") var status: Status = .SUCCEEDED
        @OptionGroup var output: OutputOptions

        func run() throws {
            try guarded {
                let context = try AdminContext.open()
                let user = try context.userId(email: email)
                let id = try context.run(AdminQueries.insertPayment, [user, plan.rawValue, status.rawValue]).string(0, 0) ?? ""
                emit(
                    output, text: "payment \(id) \(plan.rawValue) \(status.rawValue) for \(email)",
                    json: ["id": .string(id), "plan": .string(plan.rawValue), "status": .string(status.rawValue)])
            }
        }
    }
}

struct SessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Print a new session token for a user (scripts and tests).")
    @Argument(help: "E-mail address of the user.") var email: String
    @Option(help: "Lifetime in days.") var days: Int = 30
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            let context = try AdminContext.open()
            let user = try context.userId(email: email)
            let token = SessionToken.generate()
            _ = try context.run(SessionQueries.createSession, [token, user, String(days * 86_400)])
            emit(
                output, text: token,
                json: ["token": .string(token), "cookie": .string(context.configuration.sessionCookie)])
        }
    }
}

