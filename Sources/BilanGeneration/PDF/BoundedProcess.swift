import BilanCore
internal import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// A helper program run to completion within a time limit (WeasyPrint): its
/// own process group, killed whole when the limit passes, its output in a file
/// for the log. The C side (`cspawn_child`, `cspawn_wait`) holds the
/// posix_spawn attributes and the wait; nothing here calls fork or exec.
struct BoundedProcess {
    enum Outcome: Equatable {
        /// The program ran and exited (`status` as `exit()` gave it).
        case exited(status: Int32)
        /// Killed by a signal it did not ask for (a crash, the OOM killer).
        case killedBySignal(Int32)
        /// Still running at the limit: killed with its process group.
        case timedOut
        /// Never started: `errno` of posix_spawn (ENOENT, EACCES…).
        case notStarted(errno: Int32)
    }

    struct Run {
        var outcome: Outcome
        var elapsedSeconds: Double
        /// The child's peak resident set and CPU time (0 when it never started).
        var peakRSSKiB: Int
        var cpuSeconds: Double
    }

    let executable: String
    let arguments: [String]
    let environment: [String]
    let timeoutSeconds: Int

    /// Runs the program with stdout and stderr in `outputPath`.
    func run(outputPath: String) -> Run {
        // A caller that ignores SIGCHLD (the handlers do, for their detached
        // generators) would have its children reaped before we read their status.
        signal(SIGCHLD, SIG_DFL)
        let started = UTCTime.monotonicSeconds()
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let pid = argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                cspawn_child(executable, args.baseAddress, env.baseAddress, outputPath)
            }
        }
        guard pid > 0 else {
            return Run(outcome: .notStarted(errno: -pid), elapsedSeconds: 0, peakRSSKiB: 0, cpuSeconds: 0)
        }
        var status: Int32 = 0
        var peak = 0
        var cpu = 0
        let waited = cspawn_wait(pid, Int32(clamping: timeoutSeconds * 1000), &status, &peak, &cpu)
        let elapsed = UTCTime.monotonicSeconds() - started
        let outcome: Outcome
        switch waited {
        case 1:
            let signalNumber = status & 0x7F
            outcome = signalNumber == 0 ? .exited(status: (status >> 8) & 0xFF) : .killedBySignal(signalNumber)
        case 0:
            outcome = .timedOut
        default:
            outcome = .notStarted(errno: -waited)
        }
        return Run(outcome: outcome, elapsedSeconds: elapsed, peakRSSKiB: peak, cpuSeconds: Double(cpu) / 1000)
    }

    /// `name` as posix_spawn needs it: a path as given, a bare name looked
    /// up in `searchPath` (the `PATH` of the process), nil when not found.
    static func resolve(_ name: String, searchPath: String?) -> String? {
        if name.contains("/") { return name }
        for folder in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
