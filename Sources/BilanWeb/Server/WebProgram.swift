public import BilanCore
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What every handler executable shares: read the configuration (stopping with
/// one line naming a bad setting), set up logging, open the database lazily,
/// then serve.
public struct WebContext {
    public let configuration: Configuration
    public let database: Database
    public let logger: Logger
}

public enum WebProgram {
    public static func run(
        program: String, needs: Configuration.Needs = [], makeHandler: (WebContext) -> any RequestHandler
    ) -> Never {
        let context = startUp(program: program, needs: needs)
        FastCGIServer(handler: makeHandler(context), logger: context.logger).run()
        exit(0)
    }

    public static func startUp(program: String, needs: Configuration.Needs = []) -> WebContext {
        do {
            let env = try Environment.current()
            KeyValueLogHandler.bootstrap(program: program, env: env)
            let configuration = try Configuration.load(env, needs: needs)
            let database = Database(
                url: configuration.databaseURL, applicationName: program,
                usePreparedStatements: configuration.usePreparedStatements)
            return WebContext(configuration: configuration, database: database, logger: Logger(label: program))
        } catch {
            LogSink.writeToStandardError("\(program): \(error)")
            exit(78)  // EX_CONFIG
        }
    }
}
