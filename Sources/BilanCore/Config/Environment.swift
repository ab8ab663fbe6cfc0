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

    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            cursor += 1
        }
        return result
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
    public func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
