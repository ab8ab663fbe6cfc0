public import Logging

/// What an executable serves: one route family (SPEC §10).
public protocol RequestHandler {
    /// Answers one request, or throws an `HTTPError` (or a `DatabaseError`,
    /// which becomes 503) for `ErrorResponder` to turn into a response.
    func handle(_ request: Request) throws -> Response
}

extension RequestHandler {
    /// The answer to `request`, errors included: what the server sends, and
    /// what tests feed in-process (a request in, a response out, no nginx).
    public func response(to request: Request, logger: Logger) -> Response {
        do {
            return try handle(request)
        } catch {
            return ErrorResponder.response(for: error, request: request, logger: logger)
        }
    }
}
