import Logging
import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// SPEC §3: every error is `{"error","message"[,"field"]}` with the JSON headers; nothing technical leaks.
@Suite("JSON error responses")
struct ErrorResponseTests {
    static let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })
    // Computed: a `Request` may point into libfcgi's memory, so it is not `Sendable`.
    static var request: Request { Request(params: ["REQUEST_METHOD": "POST", "DOCUMENT_URI": "/api/orientation/create"]) }

    func expectJSONHeaders(_ response: Response) {
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("X-Content-Type-Options") == "nosniff")
    }

    @Test func bodyShape() {
        let plain = HTTPError(400, "invalid_json", "Le corps de la requête n'est pas du JSON valide.")
        #expect(plain.body.serialized == #"{"error":"invalid_json","message":"Le corps de la requête n'est pas du JSON valide."}"#)
        #expect(plain.body["field"] == nil)

        let withField = HTTPError(400, "invalid_questionnaire", "Indiquez votre niveau.", field: "niveau")
        #expect(withField.body.objectValue?.map(\.0) == ["error", "message", "field"])
        #expect(withField.body["field"] == "niveau")

        let withExtras = HTTPError(
            403, "not_eligible", "Vous avez déjà un bilan cette année.",
            extra: [("reason", "ALREADY_USED"), ("nextEligibleAt", "2025-02-28T12:34:56.789Z")],
            cause: "secret cause")
        #expect(withExtras.body["reason"] == "ALREADY_USED")
        #expect(withExtras.body["nextEligibleAt"] == "2025-02-28T12:34:56.789Z")
        #expect(!withExtras.body.serialized.contains("secret cause"))
    }

    @Test func httpErrorBecomesItsResponse() throws {
        var error = HTTPError(400, "invalid_questionnaire", "Valeur non reconnue pour le niveau.", field: "niveau")
        error.cause = "SELECT password FROM users"
        let response = ErrorResponder.response(for: error, request: Self.request, logger: Self.logger)
        #expect(response.status == 400)
        expectJSONHeaders(response)
        let json = try response.json()
        #expect(json["error"] == "invalid_questionnaire")
        #expect(json["field"] == "niveau")
        #expect(!String(decoding: response.body, as: UTF8.self).contains("SELECT"))
    }

    @Test func methodNotAllowedKeepsAllow() {
        let response = ErrorResponder.response(
            for: HTTPError.methodNotAllowed(["GET", "HEAD"]), request: Self.request, logger: Self.logger)
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
        expectJSONHeaders(response)
    }

    @Test func lostDatabaseIs503() throws {
        let error = DatabaseError(
            kind: .connectionLost, message: "could not connect to server at 10.0.0.5 password=hunter2", sqlState: nil)
        let response = ErrorResponder.response(for: error, request: Self.request, logger: Self.logger)
        #expect(response.status == 503)
        expectJSONHeaders(response)
        #expect(response.header("Retry-After") == "5")
        let json = try response.json()
        #expect(json["error"] == "unavailable")
        #expect(json["message"]?.stringValue?.isEmpty == false)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(!text.contains("hunter2") && !text.contains("10.0.0.5"))
    }

    struct Boom: Error, CustomStringConvertible {
        var description: String { "PQexec failed: ERROR: relation \"users\" at /srv/bilan/Sources/x.swift:12 key=AIzaSecret" }
    }

    @Test func otherErrorsAre500WithoutDetail() throws {
        let failures: [any Error] = [
            Boom(),
            DatabaseError(kind: .queryFailed, message: "duplicate key value violates unique constraint key=AIzaSecret", sqlState: "23505"),
        ]
        for failure in failures {
            let response = ErrorResponder.response(for: failure, request: Self.request, logger: Self.logger)
            #expect(response.status == 500)
            expectJSONHeaders(response)
            let json = try response.json()
            #expect(json["error"] == "internal")
            #expect(json.objectValue?.map(\.0) == ["error", "message"])
            let text = String(decoding: response.body, as: UTF8.self)
            for secret in ["AIzaSecret", "PQexec", "relation", "duplicate", "23505", ".swift"] {
                #expect(!text.contains(secret), "\(secret)")
            }
        }
    }
}
