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
        program: String, routes: [String], needs: Configuration.Needs = [],
        makeHandler: (WebContext) -> any RequestHandler
    ) -> Never {
        // Under CGI, a query string without "=" may arrive as argv (RFC 3875 §4.4):
        // --help is honoured only outside a web server.
        if getenv("GATEWAY_INTERFACE") == nil,
            CommandLine.arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" })
        {
            print(help(program: program, routes: routes))
            exit(0)
        }
        let context = startUp(program: program, needs: needs)
        FastCGIServer(
            handler: makeHandler(context), logger: context.logger,
            commonHeaders: securityHeaders(context.configuration)
        ).run()
        exit(0)
    }

    static func help(program: String, routes: [String]) -> String {
        """
        NAME
            \(program) - bilan d'orientation route handler

        SYNOPSIS
            \(program)              (FastCGI: listening socket on fd 0; CGI otherwise)

        ROUTES
        \(routes.map { "    " + $0 }.joined(separator: "\n"))

        DESCRIPTION
            A FastCGI responder when started with a listening socket on standard input
            (systemd socket activation, spawn-fcgi); a CGI program otherwise (fcgiwrap,
            any web server's CGI). SIGTERM finishes the current request, then exits.

        ENVIRONMENT
            Settings come from the environment, or from the KEY=value file named by
            BILAN_CONFIG: DATABASE_URL and PUBLIC_URL (required), SESSION_COOKIE,
            TEMPLATES_DIR, GENERATOR_PATH, MAIL_* … (see README.md). A missing or
            malformed setting stops the program with one line naming it (exit 78).

        LOGS
            One key=value line per event: to the FastCGI error stream (nginx's error
            log) while a request is served, to standard error otherwise.
        """
    }

    /// HSTS on every HTML and JSON answer when the site is https (SPEC §16):
    /// nginx's own `add_header` does not reach answers it passes through
    /// from FastCGI in locations that set headers of their own.
    static func securityHeaders(_ configuration: Configuration) -> [(String, String)] {
        configuration.publicURL.isHTTPS ? [("Strict-Transport-Security", "max-age=31536000")] : []
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
