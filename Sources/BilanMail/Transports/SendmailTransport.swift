#if canImport(Glibc)
import Glibc
#endif

/// `sendmail -t -i`: the host's MTA takes the message (recipients from the
/// headers, no dot terminator). Exit 0 means queued, not delivered.
public struct SendmailTransport: MailTransport {
    let path: String

    public init(path: String) { self.path = path }

    public func send(_ message: [UInt8], envelopeFrom: String, recipient: String) throws {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw failure("pipe: \(errnoText())") }
        // Our end must not leak into the child, or it would never see EOF.
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        let arguments: [String] = [path, "-t", "-i", "-f", envelopeFrom]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipeEnds[0])
        guard rc == 0 else {
            close(pipeEnds[1])
            throw failure("cannot start \(path): \(String(cString: strerror(rc)))")
        }
        // Unix MTAs expect LF on stdin and add the CRs on the wire.
        let lf = message.filter { $0 != 0x0D }
        var written = 0
        while written < lf.count {
            let count = lf.withUnsafeBytes { write(pipeEnds[1], $0.baseAddress! + written, lf.count - written) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            written += count
        }
        close(pipeEnds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7F == 0
        let code = (status >> 8) & 0xFF
        guard exited, code == 0, written == lf.count else {
            throw failure("\(path) exited with status \(exited ? code : -1)")
        }
    }

    private func failure(_ detail: String) -> MailError { MailError(transport: "sendmail", detail: detail) }
    private func errnoText() -> String { String(cString: strerror(errno)) }
}
