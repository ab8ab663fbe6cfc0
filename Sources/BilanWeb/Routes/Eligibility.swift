import BilanCore

/// `GET /api/orientation/eligibility`.
public struct EligibilityRoute: RequestHandler {
    let context: WebContext
    let auth: SessionAuth

    public init(context: WebContext) {
        self.context = context
        self.auth = SessionAuth(cookieName: context.configuration.sessionCookie, database: context.database)
    }

    public func handle(_ request: Request) throws -> Response {
        guard request.path == "/api/orientation/eligibility" else { throw HTTPError.routeNotFound() }
        guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
        let user = try auth.requireUser(request)
        let facts = try EligibilityLookup.facts(for: user) { statement, parameters in
            try context.database.run(statement, parameters)
        }
        return Response.json(200, Eligibility.decide(facts).json)
    }
}
