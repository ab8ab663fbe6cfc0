import ArgumentParser
import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// Options every subcommand takes.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Answer in JSON (for scripts).") var json = false
}

/// Configuration and a direct database connection, or one line and exit 1.
struct AdminContext {
    let configuration: Configuration
    let connection: PGConnection
    let environment: Environment

    static func open() throws -> AdminContext {
        do {
            let env = try Environment.current()
            KeyValueLogHandler.bootstrap(program: "bilan-admin", env: env)
            let configuration = try Configuration.load(env)
            let connection = try PGConnection(url: configuration.directURL, applicationName: "bilan-admin")
            return AdminContext(configuration: configuration, connection: connection, environment: env)
        } catch let error as ConfigurationError {
            throw AdminFailure(error.description)
        } catch let error as DatabaseError {
            throw AdminFailure("cannot reach the database (DIRECT_URL/DATABASE_URL): \(error.message)")
        }
    }

    func run(_ statement: SQLStatement, _ parameters: [String?]) throws -> PGResult {
        do {
            return try connection.query(statement.sql, parameters)
        } catch {
            throw AdminFailure("database error: \(error.message)")
        }
    }

    func userId(email: String) throws -> String {
        guard let id = try run(AdminQueries.userByEmail, [email]).string(0, 0) else {
            throw AdminFailure("no user with e-mail \(email)")
        }
        return id
    }
}

/// An error printed as one line on stderr, exit status 1.
struct AdminFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ParsableCommand {
    /// Prints the answer in text or JSON form.
    func emit(_ options: OutputOptions, text: String, json: JSONValue) {
        print(options.json ? json.serialized : text)
    }

    /// Runs `body`, turning failures into one line on stderr and exit status 1.
    @discardableResult
    func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConfigurationError {
            LogSink.writeToStandardError("bilan-admin: \(error)")
            throw ExitCode(1)
        } catch let failure as AdminFailure {
            LogSink.writeToStandardError("bilan-admin: \(failure.description)")
            throw ExitCode(1)
        }
    }
}
