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

/// A bilan as the JSON routes show it.
struct BilanSnapshot {
    var id: String
    var status: BilanStatus
    var step: Int
    var createdAtMs: Int64
    var updatedAtMs: Int64
    var completedAtMs: Int64?
    var report: String?
    var errorMessage: String?
    var distressFlag = false
    var failureKind: String?
    var questionnaire: String?
    /// The report as rendered at completion, and its table of contents (JSON).
    var reportHTML: String?
    var reportTOC: String?

    /// The « Besoin d'en parler ? » card comes first: a free text showed
    /// distress, or Gemini refused the content (never « reformulez »).
    var showsHelpCard: Bool { distressFlag || failureKind == FailureKind.contentRefused.rawValue }

    /// From `lookupForSession`'s columns starting at `offset`.
    init?(row: PGResult, offset: Int) {
        guard let id = row.string(0, offset), let status = row.string(0, offset + 1).flatMap(BilanStatus.init(rawValue:))
        else { return nil }
        self.id = id
        self.status = status
        step = row.int(0, offset + 2) ?? 0
        createdAtMs = row.int64(0, offset + 3) ?? 0
        updatedAtMs = row.int64(0, offset + 4) ?? 0
        completedAtMs = row.int64(0, offset + 5)
        report = row.string(0, offset + 6)
        errorMessage = row.string(0, offset + 7)
        distressFlag = row.bool(0, offset + 8) == true
        failureKind = row.string(0, offset + 9)
        questionnaire = row.string(0, offset + 10)
        reportHTML = row.string(0, offset + 11)
        reportTOC = row.string(0, offset + 12)
    }

    /// From `historyForUser`'s columns (no report, no message).
    init?(summaryRow rows: PGResult, index: Int) {
        guard let id = rows.string(index, 0), let status = rows.string(index, 1).flatMap(BilanStatus.init(rawValue:))
        else { return nil }
        self.id = id
        self.status = status
        step = rows.int(index, 2) ?? 0
        createdAtMs = rows.int64(index, 3) ?? 0
        updatedAtMs = rows.int64(index, 4) ?? 0
        completedAtMs = rows.int64(index, 5)
        questionnaire = rows.string(index, 6)
    }

    /// `Terminale, voie générale — mathématiques, physique-chimie`, from the labels file.
    func profile(_ wording: AnswerWording?) -> String? {
        guard let wording, let text = questionnaire, let answers = try? JSONParser.parse(text) else { return nil }
        let summary = wording.profileSummary(answers)
        return summary.isEmpty ? nil : summary
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            ("status", .string(status.rawValue)),
            ("createdAt", .string(UTCTime.iso8601(createdAtMs))),
            ("updatedAt", .string(UTCTime.iso8601(updatedAtMs))),
            ("completedAt", completedAtMs.map { .string(UTCTime.iso8601($0)) } ?? .null),
            ("progress", BilanProgress.json(status: status, step: step)),
        ]
        if status == .completed, let report {
            members.append(("resultat", .string(report)))
            members.append(("sections", .array(MarkdownSections.headings(report).map { .string($0) })))
        }
        if status == .failed {
            members.append(("errorMessage", .string(errorMessage ?? BilanMessages.genericFailure)))
        }
        if showsHelpCard { members.append(("aide", .bool(true))) }
        return .object(members)
    }
}

/// Strong validators over the exact bytes sent.
enum ETag {
    /// FNV-1a, 64 bits: cheap, and any change of the body changes it.
    static func of(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    static func matches(_ header: String?, _ etag: String) -> Bool {
        guard let header else { return false }
        if header.trimmingSpaces() == "*" { return true }
        return header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingSpaces()
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            return tag == etag
        }
    }
}
