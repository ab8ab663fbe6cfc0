import BilanCore

/// The body rules every JSON-posting route shares with create (SPEC §3):
/// at most 64 KiB (413), then syntax (400 `invalid_json`).
extension Request {
    /// 413 when the body was cut at the reading limit or announces more.
    func requireBodyWithinLimit(_ message: String) throws {
        guard !bodyTooLarge, (declaredContentLength ?? 0) <= FastCGIServer.bodyLimit else {
            throw HTTPError(413, "payload_too_large", message)
        }
    }

    /// The body as JSON, or 400 `invalid_json` with the parser's reason in the log.
    func jsonBody(_ message: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw HTTPError(400, "invalid_json", message, cause: "\(error.reason) at byte \(error.offset)")
        }
    }
}
