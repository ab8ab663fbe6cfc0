import BilanCore

/// `GET /api/orientation/eligibility`.
public struct EligibilityRoute: RequestHandler {
    let auth: SessionAuth
    let eligibility: any EligibilityStore

    public init(context: WebContext) {
        let store = PostgresRouteStore(database: context.database)
        self.init(configuration: context.configuration, sessions: store, eligibility: store)
    }

    init(configuration: Configuration, sessions: any SessionStore, eligibility: any EligibilityStore) {
        self.auth = SessionAuth(cookieName: configuration.sessionCookie, sessions: sessions)
        self.eligibility = eligibility
    }

    public func handle(_ request: Request) throws -> Response {
        guard request.path == "/api/orientation/eligibility" else { throw HTTPError.routeNotFound() }
        guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
        let user = try auth.requireUser(request)
        return Response.json(200, Eligibility.decide(try eligibility.eligibilityFacts(ofUser: user)).json)
    }
}
