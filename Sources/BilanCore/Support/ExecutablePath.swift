#if canImport(Glibc)
import Glibc
#endif

/// Where the running executable lives, so sibling programs (the generator) and
/// installed data (templates) are found without extra settings.
public enum ExecutablePath {
    public static func directory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "." }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
