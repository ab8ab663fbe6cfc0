/// What an executable serves: one route family (SPEC §10).
public protocol RequestHandler {
    /// Answers one request, or throws an `HTTPError` (or a `DatabaseError`,
    /// which becomes 503) for `ErrorResponder` to turn into a response.
    func handle(_ request: Request) throws -> Response
}
