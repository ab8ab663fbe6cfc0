import Logging
import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// A site whose routes are fed in-process: its settings (https, the
/// repository's templates), in-memory stores and a spawner that starts
/// nothing. Requests are built as nginx's `fastcgi_params` pass them, and
/// answered by the same function the FastCGI server calls, errors included.
final class InMemorySite {
    static let origin = "https://bilan.example.org"
    static let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    let configuration: Configuration
    let store = MemoryRouteStore()
    let spawner = RecordingSpawner()

    /// `settings` adds to or replaces the defaults (VAPID keys for Web Push…).
    init(settings: [String: String] = [:]) throws {
        configuration = try Configuration.load(
            Environment([
                "DATABASE_URL": "postgresql:///unused", "PUBLIC_URL": Self.origin,
                "TEMPLATES_DIR": TestSupport.templatesDirectory, "GENERATOR_PATH": "/nonexistent/bilan-generator",
            ].merging(settings) { $1 }))
    }

    var eligibilityRoute: EligibilityRoute {
        EligibilityRoute(configuration: configuration, sessions: store, eligibility: store)
    }
    var createRoute: CreateRoute {
        CreateRoute(configuration: configuration, logger: Self.logger, sessions: store, store: store, spawner: spawner)
    }
    var statusRoutes: StatusRoutes {
        StatusRoutes(configuration: configuration, logger: Self.logger, sessions: store, bilans: store, monitoring: store)
    }
    var pageRoute: PageRoute {
        PageRoute(
            configuration: configuration, logger: Self.logger, sessions: store, bilans: store, eligibility: store,
            pdfs: store)
    }
    var pushRoute: PushSubscriptionRoute {
        PushSubscriptionRoute(configuration: configuration, logger: Self.logger, sessions: store, store: store)
    }
    var authRoutes: AuthRoutes {
        AuthRoutes(configuration: configuration, logger: Self.logger, store: store, spawner: spawner)
    }

    /// A user with an open session, and a paid subscription unless told otherwise.
    func signIn(_ user: String = "7d1c5a8e-4b8f-4f31-9c7e-2f1e0a6b9d40", plan: String? = "ANNUAL") -> (user: String, session: String) {
        let session = SessionToken.generate()
        store.sessions[session] = user
        if let plan { store.payments[user] = [.init(plan: plan, status: "SUCCEEDED")] }
        return (user, session)
    }

    /// A bilan of a signed-in user, and that user's session.
    func signedInBilan(_ status: BilanStatus = .pending, step: Int = 0, report: String? = nil) -> (id: String, session: String) {
        let (user, session) = signIn()
        return (store.addBilan(of: user, status: status, step: step, report: report), session)
    }

    /// `uri` may carry a query string; `session` becomes the session cookie.
    func request(
        _ method: String, _ uri: String, session: String? = nil, headers: [String: String] = [:],
        contentType: String? = nil, body: [UInt8] = [], bodyTooLarge: Bool = false, declaredLength: Int? = nil
    ) -> Request {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var params = cgiParameters(headers: headers)
        params["REQUEST_METHOD"] = method
        params["REQUEST_URI"] = uri
        params["DOCUMENT_URI"] = String(parts[0])
        params["QUERY_STRING"] = parts.count > 1 ? String(parts[1]) : ""
        if let contentType { params["CONTENT_TYPE"] = contentType }
        if let length = declaredLength ?? (body.isEmpty ? nil : body.count) { params["CONTENT_LENGTH"] = String(length) }
        if let session { params["HTTP_COOKIE"] = "theme=dark; \(configuration.sessionCookie)=\(session)" }
        return Request(params: params, body: body, bodyTooLarge: bodyTooLarge)
    }

    /// A state-changing request from the site's own pages.
    func post(_ uri: String, session: String? = nil, contentType: String, body: String, headers: [String: String] = [:]) -> Request {
        request(
            "POST", uri, session: session, headers: ["Origin": Self.origin].merging(headers) { $1 },
            contentType: contentType, body: Array(body.utf8))
    }

    func send(_ route: some RequestHandler, _ request: Request) -> Response {
        route.response(to: request, logger: Self.logger)
    }
}

/// Request headers as CGI meta-variables (`If-None-Match` → `HTTP_IF_NONE_MATCH`).
func cgiParameters(headers: [String: String]) -> [String: String] {
    var params: [String: String] = [:]
    for (name, value) in headers { params["HTTP_" + name.uppercased().replacing("-", with: "_")] = value }
    return params
}

/// The JSON 503 every route answers while PostgreSQL is unreachable.
func expectDatabaseUnavailable(_ response: Response, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == 503, sourceLocation: sourceLocation)
    #expect(response.header("Retry-After") == "5", sourceLocation: sourceLocation)
    #expect(try response.json()["error"] == "unavailable", sourceLocation: sourceLocation)
}

func expectMethodNotAllowed(_ response: Response, allow: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == 405, sourceLocation: sourceLocation)
    #expect(response.header("Allow") == allow, sourceLocation: sourceLocation)
}

extension Response {
    /// The first header of that name, compared without case.
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> JSONValue { try JSONParser.parse(body) }
}
