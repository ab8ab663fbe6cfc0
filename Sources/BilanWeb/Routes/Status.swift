import BilanCore

/// `GET /api/orientation/bilan/<id>` (polled every 5 s by waiting pages) and
/// `GET /api/orientation/bilans` (history).
public struct StatusRoutes: RequestHandler {
    static let bilanPrefix = "/api/orientation/bilan/"
    let context: WebContext
    let auth: SessionAuth
    let monitoring: MonitoringRoutes
    /// The history shows each bilan's profile in the labels file's words.
    let wording: AnswerWording?

    public init(context: WebContext) {
        self.context = context
        self.auth = SessionAuth(cookieName: context.configuration.sessionCookie, database: context.database)
        self.monitoring = MonitoringRoutes(context: context)
        self.wording = AnswerWording.loadForPages(context)
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
        let row = try context.database.run(BilanQueries.lookupForSession, [token, id])
        guard row.string(0, 0) != nil else { throw HTTPError.unauthenticated }
        guard row.string(0, 1) != nil, let snapshot = BilanSnapshot(row: row, offset: 1) else { throw HTTPError.notFound }

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
        let rows = try context.database.run(BilanQueries.historyForUser, [user])
        var bilans: [JSONValue] = []
        for index in 0..<rows.rowCount {
            guard let snapshot = BilanSnapshot(summaryRow: rows, index: index) else { continue }
            var json = snapshot.json
            if let profile = snapshot.profile(wording), case .object(let members) = json {
                json = .object(members + [("profil", .string(profile))])
            }
            bilans.append(json)
        }
        return Response.json(200, ["bilans": .array(bilans)])
    }
}
