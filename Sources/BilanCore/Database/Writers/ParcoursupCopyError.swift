/// PostgreSQL's COPY errors in the sysadmin's terms: which line, and what
/// probably happened to the file.
enum ParcoursupCopyError {
    static func explained(_ error: any Error, file: String, columns: Int) -> any Error {
        guard let error = error as? DatabaseError, error.kind == .queryFailed else { return error }
        let message = error.message
        let line = lineNumber(in: message).map { "line \($0)" } ?? "a line"
        let problem: String
        if message.contains("missing data for column") {
            problem = "\(line) has fewer fields than the header's \(columns): the file is cut short or a line is broken (an interrupted download?)"
        } else if message.contains("extra data after last expected column") {
            problem = "\(line) has more fields than the header's \(columns): a « ; » in an unquoted value, or rows of another export"
        } else if message.contains("unterminated CSV quoted field") {
            problem = "the file ends inside a quoted value (\(line)): it is cut short (an interrupted download?)"
        } else if message.contains("invalid byte sequence") {
            problem = "\(line) is not UTF-8: export the file again as UTF-8 CSV"
        } else {
            problem = "PostgreSQL refused \(line): \(message)"
        }
        return ParcoursupImportError("\(file): \(problem): nothing imported")
    }

    /// COPY's context names the line: `COPY parcoursup_staging, line 302, column c5: …`.
    static func lineNumber(in message: String) -> Int? {
        guard let range = message.firstRange(of: ", line ") else { return nil }
        let digits = message[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }
}
