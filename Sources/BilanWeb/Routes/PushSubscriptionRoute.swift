import BilanCore
import Logging

/// `POST /api/orientation/push` stores the signed-in student's browser
/// subscription, `DELETE` with `{"endpoint"}` removes it (SPEC §14). Same
/// checks, in the same order, as create: auth, origin, media type (JSON
/// only), size, syntax; then the subscription itself (400 naming the field).
/// Without VAPID settings the feature is off: 404 `push_disabled`.
public struct PushSubscriptionRoute: RequestHandler {
    static let path = "/api/orientation/push"
    let configuration: Configuration
    let logger: Logger
    let auth: SessionAuth
    let store: any PushSubscriptionStore

    init(configuration: Configuration, logger: Logger, sessions: any SessionStore, store: any PushSubscriptionStore) {
        self.configuration = configuration
        self.logger = logger
        self.auth = SessionAuth(cookieName: configuration.sessionCookie, sessions: sessions)
        self.store = store
    }

    public func handle(_ request: Request) throws -> Response {
        guard request.path == Self.path else { throw HTTPError.routeNotFound() }
        guard request.method == "POST" || request.method == "DELETE" else {
            throw HTTPError.methodNotAllowed(["POST", "DELETE"])
        }
        guard configuration.push != nil else {
            throw HTTPError(404, "push_disabled", "Les notifications ne sont pas activées sur ce site.")
        }
        let user = try auth.requireUser(request)
        try OriginCheck.verify(request, publicURL: configuration.publicURL)
        guard request.mediaType == "application/json" else {
            throw HTTPError(415, "unsupported_media_type", "Format non pris en charge : envoyez du JSON (application/json).")
        }
        try request.requireBodyWithinLimit("L'abonnement envoyé est trop volumineux (64 Kio au plus).")
        let body = try request.jsonBody("L'abonnement envoyé n'est pas un JSON valide.")
        do {
            if request.method == "POST" {
                try store.saveSubscription(
                    try PushSubscription.validated(body, policy: configuration.pushEndpointPolicy), ofUser: user)
                logger.info("push subscription saved", metadata: ["user": "\(user)"])
                return Response.json(201, ["subscribed": true])
            }
            try store.deleteSubscription(
                endpoint: try PushSubscription.validatedEndpoint(body, policy: configuration.pushEndpointPolicy),
                ofUser: user)
            logger.info("push subscription removed", metadata: ["user": "\(user)"])
            return Response(status: 204, headers: [("Cache-Control", "no-store")])
        } catch let error as PushSubscriptionError {
            throw HTTPError(400, "invalid_subscription", error.message, field: error.field)
        }
    }
}
