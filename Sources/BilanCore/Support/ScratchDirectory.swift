#if canImport(Glibc)
import Glibc
#endif

/// A private folder (mode 0700, made by `mkdtemp`) for files a helper
/// program reads and writes, removed with everything in it.
public struct ScratchDirectory: Sendable {
    public let path: String

    /// A new folder `<parent>/<prefix>XXXXXX`; the parent defaults to
    /// `TMPDIR`, else /tmp (private per service under systemd's PrivateTmp).
    public init(prefix: String, in parent: String? = nil) throws(SystemError) {
        let folder = parent ?? Environment.processEnvironment()["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(folder)/\(prefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw SystemError.current("mkdtemp \(folder)/\(prefix)XXXXXX") }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    public func remove() { Self.removeTree(path) }

    /// Deletes `path` and, for a folder, everything under it; symbolic links
    /// are removed, never followed.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in DirectoryListing.names(in: path) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
