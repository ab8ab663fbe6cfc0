#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file as UTF-8 text; nil when it cannot be read.
public func readTextFile(_ path: String) -> String? {
    guard let bytes = readFileBytes(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// Reads a whole file; nil when it cannot be opened or read.
public func readFileBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { return result }
        result.append(contentsOf: chunk[0..<count])
    }
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename), so a
/// reader never sees half a file. Throws the errno text on failure.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o640) throws(SystemError) {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw SystemError.current("open \(temporary)") }
    var written = 0
    while written < bytes.count {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if count < 0 {
            if errno == EINTR { continue }
            let failure = SystemError.current("write \(temporary)")
            close(fd)
            unlink(temporary)
            throw failure
        }
        written += count
    }
    fsync(fd)
    close(fd)
    guard rename(temporary, path) == 0 else {
        let failure = SystemError.current("rename \(path)")
        unlink(temporary)
        throw failure
    }
}

/// A failed system call, with the errno text.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var code: Int32

    public static func current(_ operation: String) -> SystemError { SystemError(operation: operation, code: errno) }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
