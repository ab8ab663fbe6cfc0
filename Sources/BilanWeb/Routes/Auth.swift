import BilanCore
import BilanMail
import Logging

/// Magic-link login: `POST /auth/login`, `GET /auth/callback?token=…`,
/// `POST /auth/logout`.
public struct AuthRoutes: RequestHandler {
    static let loginTokenLifetime = 15 * 60
    static let sessionLifetime = 30 * 86_400
    /// Links sent to one address per 15 minutes, beyond which requests are silently dropped.
    static let loginLinksPerWindow = 5
    static let neutralAnswer = "Si un compte existe pour cette adresse, un lien de connexion vient d'y être envoyé. Il est valable 15 minutes."

    let context: WebContext
    let mailer: Mailer

    public init(context: WebContext) {
        self.context = context
        self.mailer = Mailer(
            configuration: context.configuration, transport: MailTransports.make(context.configuration),
            templates: TemplateLibrary(directory: context.configuration.templatesDirectory))
    }

    public func handle(_ request: Request) throws -> Response {
        switch request.path {
        case "/auth/login":
            guard request.method == "POST" else { throw HTTPError.methodNotAllowed(["POST"]) }
            return try login(request)
        case "/auth/callback":
            guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
            return try callback(request)
        case "/auth/logout":
            guard request.method == "POST" else { throw HTTPError.methodNotAllowed(["POST"]) }
            return try logout(request)
        default:
            throw HTTPError.routeNotFound()
        }
    }

    /// Same answer whether or not the address exists, and the mail leaves
    /// after the answer: neither content nor timing tells them apart.
    private func login(_ request: Request) throws -> Response {
        try OriginCheck.verify(request, publicURL: context.configuration.publicURL, requirePresence: false)
        let fields = try LoginForm.fields(request)
        let email = (fields["email"] ?? "").trimmingSpaces()
        guard MailAddress.isPlausible(email) else {
            throw HTTPError(400, "invalid_email", "Saisissez une adresse e-mail valide.", field: "email")
        }
        let returnTo = ReturnPath.sanitize(fields["returnTo"])
        var response =
            fields.isForm
            ? Response.redirect(303, to: "/auth/check-inbox.html")
            : Response.json(200, ["ok": true, "message": .string(Self.neutralAnswer)])

        guard let (user, token) = try issueLoginToken(email: email, returnTo: returnTo) else { return response }
        let link = context.configuration.publicURL.link("/auth/callback?token=" + token)
        let mailer = self.mailer
        let logger = context.logger
        response.afterFinish.append {
            do {
                try mailer.send(
                    template: "login", to: email, subject: "Votre lien de connexion",
                    values: ["link": .text(link), "minutes": "15"])
                logger.info("login link sent", metadata: ["user": "\(user)"])
            } catch {
                logger.error("login link not sent", metadata: ["user": "\(user)", "cause": "\(error)"])
            }
        }
        return response
    }

    /// A new one-time token for a known address under its rate limit, or nil
    /// (unknown address, or limit reached: the answer stays the same).
    private func issueLoginToken(email: String, returnTo: String) throws -> (user: String, token: String)? {
        try context.database.transaction { connection in
            try connection.query(SessionQueries.lockAddressForLogin.sql, [email])
            let candidate = try connection.query(SessionQueries.loginCandidate.sql, [email])
            guard let user = candidate.string(0, 0) else {
                context.logger.info("login requested for unknown address")
                return nil
            }
            guard (candidate.int(0, 1) ?? 0) < Self.loginLinksPerWindow else {
                context.logger.warning("login link rate limit reached", metadata: ["user": "\(user)"])
                return nil
            }
            let token = SessionToken.generate()
            try connection.query(
                SessionQueries.createLoginToken.sql, [token, user, email, returnTo, String(Self.loginTokenLifetime)])
            return (user, token)
        }
    }

    private func callback(_ request: Request) throws -> Response {
        guard let token = request.queryParameter("token"), SessionToken.isWellFormed(token) else {
            return invalidLinkPage()
        }
        let consumed = try context.database.run(SessionQueries.consumeLoginToken, [token])
        guard let user = consumed.string(0, 0) else { return invalidLinkPage() }
        let session = SessionToken.generate()
        try context.database.run(SessionQueries.createSession, [session, user, String(Self.sessionLifetime)])
        context.logger.info("session opened", metadata: ["user": "\(user)"])
        let cookie = Cookies.session(
            name: context.configuration.sessionCookie, token: session, maxAgeSeconds: Self.sessionLifetime,
            secure: context.configuration.publicURL.isHTTPS)
        return Response.redirect(
            303, to: ReturnPath.sanitize(consumed.string(0, 1)), headers: [("Set-Cookie", cookie)])
    }

    private func logout(_ request: Request) throws -> Response {
        try OriginCheck.verify(request, publicURL: context.configuration.publicURL)
        let auth = SessionAuth(cookieName: context.configuration.sessionCookie, database: context.database)
        if let token = auth.token(in: request) { try context.database.run(SessionQueries.deleteSession, [token]) }
        let cookie = Cookies.expired(name: context.configuration.sessionCookie, secure: context.configuration.publicURL.isHTTPS)
        if request.mediaType == "application/x-www-form-urlencoded" || request.acceptsHTML {
            return Response.redirect(303, to: context.configuration.loginPath, headers: [("Set-Cookie", cookie)])
        }
        return Response.json(200, ["ok": true], headers: [("Set-Cookie", cookie)])
    }

    private func invalidLinkPage() -> Response {
        Response.html(
            400,
            SimplePage.render(
                title: "Lien invalide ou expiré",
                message: "Ce lien de connexion n'est plus valable : il a déjà servi ou a expiré (15 minutes). Demandez-en un nouveau.",
                linkText: "Recevoir un nouveau lien", linkHref: context.configuration.loginPath))
    }
}

/// The login body: form-encoded or JSON `{"email", "returnTo"}`.
struct LoginForm {
    var values: [String: String]
    var isForm: Bool

    subscript(key: String) -> String? { values[key] }

    static func fields(_ request: Request) throws -> LoginForm {
        guard !request.bodyTooLarge else {
            throw HTTPError(413, "payload_too_large", "Requête trop volumineuse.")
        }
        switch request.mediaType {
        case "application/x-www-form-urlencoded":
            guard let pairs = try? FormDecoding.pairs(request.body) else {
                throw HTTPError(400, "invalid_form", "Le formulaire envoyé est mal encodé.")
            }
            var values: [String: String] = [:]
            for (key, value) in pairs where values[key] == nil { values[key] = value }
            return LoginForm(values: values, isForm: true)
        case "application/json":
            guard let object = try? JSONParser.parse(request.body).objectValue else {
                throw HTTPError(400, "invalid_json", "La requête n'est pas un JSON valide.")
            }
            var values: [String: String] = [:]
            for (key, value) in object {
                guard let text = value.stringValue else {
                    throw HTTPError(400, "invalid_field", "Le champ « \(key) » doit être un texte.", field: key)
                }
                values[key] = text
            }
            return LoginForm(values: values, isForm: false)
        default:
            throw HTTPError(415, "unsupported_media_type", "Format non pris en charge : JSON ou formulaire attendu.")
        }
    }
}
