import BilanCore
import Logging

/// `GET /api/orientation/bilan/<id>` (polled every 5 s by waiting pages) and
/// `GET /api/orientation/bilans` (history).
public struct StatusRoutes: RequestHandler {
    static let bilanPrefix = "/api/orientation/bilan/"
    let auth: SessionAuth
    let bilans: any BilanLookup
    let monitoring: MonitoringRoutes
    /// The history shows each bilan's profile in the labels file's words.
    let wording: AnswerWording?

    public init(context: WebContext) {
        let store = PostgresRouteStore(database: context.database)
        self.init(
            configuration: context.configuration, logger: context.logger, sessions: store, bilans: store,
            monitoring: store)
    }

    init(
        configuration: Configuration, logger: Logger, sessions: any SessionStore, bilans: any BilanLookup,
        monitoring: any MonitoringStore
    ) {
        self.auth = SessionAuth(cookieName: configuration.sessionCookie, sessions: sessions)
        self.bilans = bilans
        self.monitoring = MonitoringRoutes(store: monitoring)
        self.wording = AnswerWording.loadForPages(configuration, logger: logger)
    }

    public func handle(_ request: Request) throws -> Response {
        let path = request.path
        if MonitoringRoutes.handles(path) { return try monitoring.handle(request) }
        guard path.hasPrefix(Self.bilanPrefix) || path == "/api/orientation/bilans" else {
            throw HTTPError.routeNotFound()
        }
        guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
        if path == "/api/orientation/bilans" { return try history(request) }
        return try lookup(request, idText: path.dropFirst(Self.bilanPrefix.count))
    }

    /// One round trip resolves the session and the bilan; malformed, unknown
    /// and foreign ids all end in the same 404.
    private func lookup(_ request: Request, idText: Substring) throws -> Response {
        guard let token = auth.token(in: request) else { throw HTTPError.unauthenticated }
        let id = BilanID.parse(idText)
        let snapshot: BilanSnapshot
        switch try bilans.bilan(id: id, forSession: token) {
        case .noSession: throw HTTPError.unauthenticated
        case .notFound: throw HTTPError.notFound
        case .found(_, let bilan): snapshot = bilan
        }

        let body = snapshot.json.serializedBytes
        let etag = ETag.of(body)
        var headers = [("ETag", etag)]
        if snapshot.status == .pending { headers.append(("Retry-After", "5")) }
        if ETag.matches(request.header("If-None-Match"), etag) {
            return Response(status: 304, headers: headers + [("Cache-Control", "no-store")])
        }
        var response = Response(status: 200, headers: Response.jsonHeaders + headers, body: body)
        if request.method == "HEAD" { response.body = [] }
        return response
    }

    private func history(_ request: Request) throws -> Response {
        let user = try auth.requireUser(request)
        var history: [JSONValue] = []
        for snapshot in try bilans.history(ofUser: user) {
            var json = snapshot.json
            if let profile = snapshot.profile(wording), case .object(let members) = json {
                json = .object(members + [("profil", .string(profile))])
            }
            history.append(json)
        }
        return Response.json(200, ["bilans": .array(history)])
    }
}
