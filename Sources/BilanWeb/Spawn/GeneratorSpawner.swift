public import BilanCore
internal import CSpawn
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Starts `<generator> run <bilanId>` detached: own session, stdin on
/// /dev/null, output to the generator log, no other inherited descriptor (the
/// FastCGI socket above all). Configuration travels in the environment, never
/// in argv, so no secret shows in `ps`; only the settings of `SettingNames`
/// pass, never the request's variables (CGI mode puts them in the environment).
public struct GeneratorSpawner {
    let executable: String
    let logPath: String
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.executable = configuration.generatorPath
        self.logPath = configuration.generatorLog
        self.logger = logger
    }

    /// Returns false when the spawn failed: the bilan stays PENDING and
    /// `bilan-generator recover` picks it up.
    @discardableResult
    public func spawn(arguments: [String], bilanId: String?) -> Bool {
        // Children are reaped automatically: handlers never wait for them.
        signal(SIGCHLD, SIG_IGN)
        var pid = start(arguments: arguments, log: logPath)
        if pid < 0, pid != -ENOENT, pid != -EACCES || access(executable, X_OK) == 0 {
            // The log file may be unwritable; a generator without a log beats none.
            pid = start(arguments: arguments, log: nil)
        }
        var metadata: Logger.Metadata = ["generator": "\(executable)"]
        if let bilanId { metadata["bilan"] = "\(bilanId)" }
        if pid < 0 {
            metadata["cause"] = "\(String(cString: strerror(-pid)))"
            logger.error("generator spawn failed; recovery will pick the bilan up", metadata: metadata)
            return false
        }
        metadata["pid"] = "\(pid)"
        logger.info("generator spawned", metadata: metadata)
        return true
    }

    private func start(arguments: [String], log: String?) -> pid_t {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = SettingNames.inheritable(from: Environment.processEnvironment()).map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        return argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                cspawn_detached(executable, args.baseAddress, env.baseAddress, log)
            }
        }
    }
}

/// What the routes ask of the spawner, once their answer has left: a
/// protocol so that the tests record the call instead of starting a process.
protocol GeneratorStarter {
    @discardableResult
    func spawn(arguments: [String], bilanId: String?) -> Bool
}

extension GeneratorSpawner: GeneratorStarter {}
