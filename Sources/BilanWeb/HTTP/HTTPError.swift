public import BilanCore

/// An answer that is not a success: a stable code for programs, an HTTP
/// status, a French sentence for the student, and (for logs only) the cause.
/// Handlers throw these; `ErrorResponder` is the one place that turns them
/// into responses.
public struct HTTPError: Error, Sendable {
    public var status: Int
    public var code: String
    public var message: String
    public var field: String?
    public var extra: [(String, JSONValue)]
    public var headers: [(String, String)]
    /// Technical detail for the log line; never sent to the client.
    public var cause: String?

    public init(
        _ status: Int, _ code: String, _ message: String, field: String? = nil,
        extra: [(String, JSONValue)] = [], headers: [(String, String)] = [], cause: String? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra
        self.headers = headers
        self.cause = cause
    }

    /// `{"error": code, "message": …, "field"?: …}` plus any extra members.
    public var body: JSONValue {
        var members: [(String, JSONValue)] = [("error", .string(code)), ("message", .string(message))]
        if let field { members.append(("field", .string(field))) }
        return .object(members + extra)
    }

    public static let unauthenticated = HTTPError(401, "unauthenticated", "Vous devez être connecté(e) pour continuer.")
    public static let notFound = HTTPError(404, "not_found", "Ce bilan est introuvable.")
    public static let forbiddenOrigin = HTTPError(
        403, "forbidden_origin", "Cette requête ne provient pas du site : elle a été refusée.")
    public static let unavailable = HTTPError(
        503, "unavailable", "Le service est momentanément indisponible. Réessayez dans quelques instants.",
        headers: [("Retry-After", "5")])
    public static let internalError = HTTPError(
        500, "internal", "Une erreur inattendue s'est produite. Réessayez plus tard.")

    public static func methodNotAllowed(_ allowed: [String]) -> HTTPError {
        HTTPError(
            405, "method_not_allowed", "Méthode non autorisée pour cette adresse.",
            headers: [("Allow", allowed.joined(separator: ", "))])
    }

    public static func routeNotFound() -> HTTPError {
        HTTPError(404, "not_found", "Cette adresse n'existe pas.")
    }
}
