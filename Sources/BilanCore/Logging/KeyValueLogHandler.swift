#if canImport(Glibc)
import Glibc
#endif
public import Logging

/// Where log lines go. Handlers point it at the FastCGI error stream while a
/// request is served (so lines reach nginx's error log even under spawn-fcgi,
/// which sends stderr to /dev/null); everything else writes to stderr.
public enum LogSink {
    nonisolated(unsafe) public static var write: (String) -> Void = writeToStandardError

    public static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// One line per event: `ts=… level=info program=bilan-create event="…" bilan=… key=value`.
/// Values with spaces or quotes are quoted, so `grep bilan=<id>` and log
/// parsers both work.
public struct KeyValueLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let program: String

    public init(program: String, level: Logger.Level) {
        self.program = program
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "ts=\(UTCTime.iso8601(UTCTime.nowMicroseconds() / 1000)) level=\(event.level) program=\(program)"
        line += " event=" + Self.quoted(event.message.description)
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() {
            line += " \(key)=" + Self.quoted(merged[key]!.description)
        }
        LogSink.write(line)
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        var out = "\""
        for character in value {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n", "\r\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// Installs the handler for the whole process, at `LOG_LEVEL` (default info).
    public static func bootstrap(program: String, env: Environment) {
        let level = env["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        LoggingSystem.bootstrap { _ in KeyValueLogHandler(program: program, level: level) }
    }
}
