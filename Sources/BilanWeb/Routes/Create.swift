import BilanCore
import Logging

/// `POST /api/orientation/create`: checks in SPEC §3's order (auth, origin,
/// media type, size, syntax, questionnaire, eligibility), stores the bilan
/// PENDING and spawns the generator once the answer has left.
public struct CreateRoute: RequestHandler {
    let configuration: Configuration
    let logger: Logger
    let auth: SessionAuth
    let store: any CreateStore
    let spawner: any GeneratorStarter
    /// Nil when the phrase file is unusable: the bilan is still created, and
    /// the generator (which refuses to start without the file) flags it later.
    let distress: DistressDetector?

    public init(context: WebContext) {
        let store = PostgresRouteStore(database: context.database)
        self.init(
            configuration: context.configuration, logger: context.logger, sessions: store, store: store,
            spawner: GeneratorSpawner(configuration: context.configuration, logger: context.logger))
    }

    init(
        configuration: Configuration, logger: Logger, sessions: any SessionStore, store: any CreateStore,
        spawner: any GeneratorStarter
    ) {
        self.configuration = configuration
        self.logger = logger
        self.auth = SessionAuth(cookieName: configuration.sessionCookie, sessions: sessions)
        self.store = store
        self.spawner = spawner
        do {
            self.distress = try DistressDetector.load(templatesDirectory: configuration.templatesDirectory)
        } catch {
            logger.error("distress phrases unusable", metadata: ["cause": "\(error)"])
            self.distress = nil
        }
    }

    public func handle(_ request: Request) throws -> Response {
        guard request.path == "/api/orientation/create" else { throw HTTPError.routeNotFound() }
        guard request.method == "POST" else { throw HTTPError.methodNotAllowed(["POST"]) }
        let user = try auth.requireUser(request)
        try OriginCheck.verify(request, publicURL: configuration.publicURL)
        let isForm = try checkMediaType(request)
        try request.requireBodyWithinLimit("Le questionnaire envoyé est trop volumineux (64 Kio au plus).")
        let questionnaire = try QuestionnaireInput.validated(request, isForm: isForm)
        let flagged = distress?.showsDistress(questionnaire) ?? false
        let bilanId = try insertIfEligible(user: user, questionnaire: questionnaire, flagged: flagged)
        logger.info("bilan created", metadata: ["bilan": "\(bilanId)", "user": "\(user)", "flagged": "\(flagged)"])

        let resultURL = "/orientation/resultat/\(bilanId)"
        var response: Response
        if isForm {
            response = Response.redirect(303, to: resultURL)
        } else {
            response = Response.json(
                202, ["bilanId": .string(bilanId), "status": "PENDING", "resultUrl": .string(resultURL)],
                headers: [("Location", resultURL)])
        }
        let spawner = self.spawner
        response.afterFinish.append { spawner.spawn(arguments: ["run", bilanId], bilanId: bilanId) }
        return response
    }

    /// True for the no-JS form, false for JSON; anything else is 415.
    private func checkMediaType(_ request: Request) throws -> Bool {
        switch request.mediaType {
        case "application/json": return false
        case "application/x-www-form-urlencoded": return true
        default:
            throw HTTPError(
                415, "unsupported_media_type",
                "Format non pris en charge : envoyez du JSON (application/json) ou un formulaire.")
        }
    }

    /// One transaction per create, serialised per user by an advisory lock:
    /// N simultaneous creates yield one bilan and N-1 `not_eligible`.
    private func insertIfEligible(user: String, questionnaire: JSONValue, flagged: Bool) throws -> String {
        let outcome = try store.insertPendingIfEligible(
            NewBilan(user: user, questionnaire: questionnaire, distressFlag: flagged))
        switch outcome {
        case .created(let id): return id
        case .refused(let refusal): throw Self.notEligible(refusal)
        }
    }

    /// 403 with the decision's reason and dates, in the student's words.
    static func notEligible(_ refusal: EligibilityDecision) -> HTTPError {
        var members: [(String, JSONValue)] = []
        for (key, value) in refusal.json.objectValue ?? [] where key != "eligible" { members.append((key, value)) }
        let message: String
        switch refusal {
        case .noSubscription: message = "Le bilan d'orientation est réservé aux abonnés."
        case .tooManyRefusals:
            message = "Plusieurs bilans n'ont pas pu être rédigés ces dernières semaines : contactez le support, qui pourra vous aider."
        default: message = "Vous avez déjà un bilan d'orientation cette année."
        }
        return HTTPError(403, "not_eligible", message, extra: members)
    }
}

/// Parses and validates a create body, JSON or form-encoded.
enum QuestionnaireInput {
    static func validated(_ request: Request, isForm: Bool) throws -> JSONValue {
        let body = request.body
        let raw: JSONValue
        if isForm {
            guard let pairs = try? FormDecoding.pairs(body) else {
                throw HTTPError(400, "invalid_form", "Le formulaire envoyé est mal encodé.")
            }
            do { raw = try QuestionnaireForm.json(from: pairs) } catch { throw refusal(error) }
        } else {
            raw = try request.jsonBody("Le questionnaire envoyé n'est pas un JSON valide.")
        }
        do { return try QuestionnaireValidator.validate(raw) } catch { throw refusal(error) }
    }

    private static func refusal(_ error: QuestionnaireError) -> HTTPError {
        HTTPError(400, "invalid_questionnaire", error.message, field: error.field)
    }
}
