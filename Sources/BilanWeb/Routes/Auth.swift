import BilanCore
import Logging

/// Magic-link login (SPEC §3, §16): `POST /auth/login` queues a link,
/// `GET /auth/callback?token=…` shows a confirmation page that consumes
/// nothing, `POST /auth/callback` (same origin) consumes the token and opens
/// the session, `POST /auth/logout`.
public struct AuthRoutes: RequestHandler {
    static let loginTokenLifetime = 15 * 60
    static let sessionLifetime = 30 * 86_400
    /// Links sent to one address per 15 minutes and per day (SPEC §16); beyond
    /// them requests are dropped with the same answer.
    static let loginLinkLimits = LoginLinkLimits(perQuarterHour: 5, perDay: 20)
    static let neutralAnswer = "Si un compte existe pour cette adresse, un lien de connexion vient d'y être envoyé. Il est valable 15 minutes."

    let configuration: Configuration
    let logger: Logger
    let store: any LoginStore
    let templates: TemplateLibrary
    let spawner: any GeneratorStarter

    public init(context: WebContext) {
        self.init(
            configuration: context.configuration, logger: context.logger,
            store: PostgresRouteStore(database: context.database),
            spawner: GeneratorSpawner(configuration: context.configuration, logger: context.logger))
    }

    init(configuration: Configuration, logger: Logger, store: any LoginStore, spawner: any GeneratorStarter) {
        self.configuration = configuration
        self.logger = logger
        self.store = store
        self.templates = TemplateLibrary(directory: configuration.templatesDirectory)
        self.spawner = spawner
    }

    public func handle(_ request: Request) throws -> Response {
        switch (request.path, request.method) {
        case ("/auth/login", "POST"): return try login(request)
        case ("/auth/callback", "GET"), ("/auth/callback", "HEAD"): return try confirmationPage(request)
        case ("/auth/callback", "POST"): return try openSession(request)
        case ("/auth/logout", "POST"): return try logout(request)
        case ("/auth/login", _), ("/auth/logout", _): throw HTTPError.methodNotAllowed(["POST"])
        case ("/auth/callback", _): throw HTTPError.methodNotAllowed(["GET", "HEAD", "POST"])
        default: throw HTTPError.routeNotFound()
        }
    }

    /// The answer leaves before anything about the address is looked up: it
    /// is the same for every address, and so is its timing (SPEC §16). The
    /// link is then queued and sent by a detached process spawned after the
    /// answer, so a slow mail server never holds this worker.
    private func login(_ request: Request) throws -> Response {
        try OriginCheck.verify(request, publicURL: configuration.publicURL)
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
        let routes = self
        response.afterFinish.append { routes.sendLoginLink(email: email, returnTo: returnTo) }
        return response
    }

    /// After the answer: queue the link if the address may have one, and
    /// start the sender. A failure here is logged; the student asks again.
    private func sendLoginLink(email: String, returnTo: String) {
        do {
            if try queueLoginLink(email: email, returnTo: returnTo) {
                spawner.spawn(arguments: ["send-mail"], bilanId: nil)
            }
        } catch {
            logger.error("login link not queued", metadata: ["cause": "\(error)"])
        }
    }

    /// Queues a new one-time link for a known address under its limits; false
    /// (unknown address, or a limit reached) leaves the answer unchanged.
    private func queueLoginLink(email: String, returnTo: String) throws -> Bool {
        let token = SessionToken.generate()
        let url = configuration.publicURL.link("/auth/callback?token=" + token)
        let mail = QueuedMail(
            kind: "login", subject: "Votre lien de connexion", template: TemplateNames.loginMail,
            values: ["link": .string(url), "minutes": "15"])
        let link = LoginLink(
            token: token, email: email, returnTo: returnTo, lifetimeSeconds: Self.loginTokenLifetime, mail: mail)
        switch try store.queueLoginLink(link, limits: Self.loginLinkLimits) {
        case .unknownAddress:
            logger.info("login requested for unknown address")
            return false
        case .limitReached(let user):
            logger.warning("login link rate limit reached", metadata: ["user": "\(user)"])
            return false
        case .queued(let user):
            logger.info("login link queued", metadata: ["user": "\(user)"])
            return true
        }
    }

    /// The link's page: it names the (masked) address and asks for a click.
    /// GET and HEAD consume nothing, so a mail scanner opening the link or an
    /// attacker sending a victim to their own link logs no one in.
    private func confirmationPage(_ request: Request) throws -> Response {
        guard let token = request.queryParameter("token"), SessionToken.isWellFormed(token) else {
            return invalidLinkPage()
        }
        guard let email = try store.address(ofUsableLoginToken: token) else {
            return invalidLinkPage()
        }
        let page = try templates.template(TemplateNames.loginConfirmPage).render([
            "maskedEmail": .text(MailAddress.masked(email)), "token": .text(token),
        ])
        var response = Response.html(200, page, headers: Self.privateHeaders)
        if request.method == "HEAD" { response.body = [] }
        return response
    }

    /// The confirmation's POST: only here is the token consumed. The user's
    /// other sessions and unused links end with this login.
    private func openSession(_ request: Request) throws -> Response {
        try OriginCheck.verify(request, publicURL: configuration.publicURL)
        guard request.mediaType == "application/x-www-form-urlencoded", !request.bodyTooLarge,
            let pairs = try? FormDecoding.pairs(request.body),
            let token = pairs.first(where: { $0.0 == "token" })?.1, SessionToken.isWellFormed(token)
        else { return invalidLinkPage() }
        let session = SessionToken.generate()
        guard let opened = try store.openSession(session, lifetimeSeconds: Self.sessionLifetime, consuming: token) else {
            return invalidLinkPage()
        }
        logger.info("session opened", metadata: ["user": "\(opened.user)"])
        let cookie = Cookies.session(
            name: configuration.sessionCookie, token: session, maxAgeSeconds: Self.sessionLifetime,
            secure: configuration.publicURL.isHTTPS)
        return Response.redirect(303, to: ReturnPath.sanitize(opened.returnTo), headers: [("Set-Cookie", cookie)])
    }

    private func logout(_ request: Request) throws -> Response {
        try OriginCheck.verify(request, publicURL: configuration.publicURL)
        if let token = SessionAuth.token(in: request, cookieName: configuration.sessionCookie) {
            try store.endSession(token)
        }
        let cookie = Cookies.expired(name: configuration.sessionCookie, secure: configuration.publicURL.isHTTPS)
        if request.mediaType == "application/x-www-form-urlencoded" || request.acceptsHTML {
            return Response.redirect(303, to: configuration.loginPath, headers: [("Set-Cookie", cookie)])
        }
        return Response.json(200, ["ok": true], headers: [("Set-Cookie", cookie)])
    }

    /// A page reached with a token in its address: the token must not leak
    /// through the Referer of the next request (the origin alone is sent), nor
    /// be cached. Not `no-referrer`: browsers then send `Origin: null` with the
    /// confirmation's POST, which the origin check refuses.
    static let privateHeaders = [("Referrer-Policy", "strict-origin"), ("Cache-Control", "no-store")]

    private func invalidLinkPage() -> Response {
        Response.html(
            400,
            SimplePage.render(
                title: "Lien invalide ou expiré",
                message: "Ce lien de connexion n'est plus valable : il a déjà servi ou a expiré (15 minutes). Demandez-en un nouveau.",
                linkText: "Recevoir un nouveau lien", linkHref: configuration.loginPath),
            headers: Self.privateHeaders)
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
