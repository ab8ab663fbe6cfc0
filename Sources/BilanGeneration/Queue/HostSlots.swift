import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// At most `MAX_GENERATORS` generators per host: each holds an exclusive
/// `flock` on one of N files in `RUNTIME_DIR`. The kernel drops the lock when
/// the process dies, however it dies, so a slot is never lost.
public struct HostSlots {
    let directory: String
    let count: Int

    public init(directory: String, count: Int) {
        self.directory = directory
        self.count = count
    }

    /// A held slot; released when the process exits or on `release()`.
    public struct Slot {
        public let number: Int
        let fd: Int32
        public func release() { close(fd) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case directoryUnusable(String)
        public var description: String {
            switch self {
            case .directoryUnusable(let detail): return "RUNTIME_DIR unusable: \(detail)"
            }
        }
    }

    /// A free slot, or nil when all `count` are taken.
    public func acquire() throws(Failure) -> Slot? {
        mkdir(directory, 0o750)
        for number in 0..<count {
            let path = "\(directory)/generator-slot-\(number).lock"
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw .directoryUnusable("\(path): \(String(cString: strerror(errno)))") }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return Slot(number: number, fd: fd) }
            close(fd)
        }
        return nil
    }
}
