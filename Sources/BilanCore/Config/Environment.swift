#if canImport(Glibc)
import Glibc
#endif

/// The settings a program sees: its environment, over the `KEY=value` file named
/// by `BILAN_CONFIG` (systemd's `EnvironmentFile` format), so an explicit
/// variable always wins over the file.
public struct Environment: Sendable {
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    public subscript(key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// The process environment merged over `BILAN_CONFIG`'s file.
    public static func current() throws(ConfigurationError) -> Environment {
        let process = processEnvironment()
        guard let path = process["BILAN_CONFIG"], !path.isEmpty else { return Environment(process) }
        guard let text = readTextFile(path) else {
            throw ConfigurationError(setting: "BILAN_CONFIG", problem: "cannot read \(path)")
        }
        var merged = try parseEnvironmentFile(text, path: path)
        merged.merge(process) { _, fromProcess in fromProcess }
        return Environment(merged)
    }

    public static func processEnvironment() -> [String: String] { variables(environ) }

    /// `NAME=value` strings, as in `environ` or a FastCGI request's
    /// parameters, split at the first `=`; the first of a repeated name wins,
    /// as with getenv(3). Works on the bytes: this runs for every request.
    public static func variables(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var result: [String: String] = [:]
        result.reserveCapacity(40)
        guard var cursor = list else { return result }
        while let entry = cursor.pointee {
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<equals]), as: UTF8.self)
                if result[name] == nil {
                    result[name] = String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self)
                }
            }
            cursor += 1
        }
        return result
    }

    /// The value of `name` in the same `NAME=value` array, found without
    /// copying the others (FastCGI parameters are read on demand): the first
    /// of a repeated name wins, as in `variables(_:)`.
    public static func value(named name: String, in list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> String? {
        guard var cursor = list else { return nil }
        while let entry = cursor.pointee {
            let bytes = UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self)
            var offset = 0
            // A shorter entry ends with NUL, which no name byte equals: the
            // walk stops there and never reads past the string.
            var matches = true
            for byte in name.utf8 {
                guard bytes[offset] == byte else {
                    matches = false
                    break
                }
                offset += 1
            }
            if matches, bytes[offset] == UInt8(ascii: "=") {
                let value = UnsafeBufferPointer(start: bytes + offset + 1, count: strlen(entry) - offset - 1)
                return String(decoding: value, as: UTF8.self)
            }
            cursor += 1
        }
        return nil
    }

    /// Parses `KEY=value` lines: `#` comments, blank lines, optional single or
    /// double quotes around the value, an optional leading `export `.
    public static func parseEnvironmentFile(_ text: String, path: String) throws(ConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingSpaces() }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                throw ConfigurationError(setting: "BILAN_CONFIG", problem: "\(path):\(number + 1): ligne sans KEY=value")
            }
            let key = String(line[..<equals]).trimmingSpaces()
            var value = String(line[line.index(after: equals)...]).trimmingSpaces()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            result[key] = value
        }
        return result
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and carriage returns.
    /// On the UTF-8 bytes (the four are ASCII), as it runs on every request's cookies.
    public func trimmingSpaces() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        let text = Substring(self)
        guard let start = text.utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
        // The last non-space byte ends its character: the index after it is a boundary.
        let end = text.utf8.index(after: text.utf8.lastIndex(where: { !isSpace($0) })!)
        return String(text[start..<end])
    }
}
