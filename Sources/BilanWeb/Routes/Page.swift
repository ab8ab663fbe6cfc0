import BilanCore
import BilanMarkdown
import Logging

/// `GET /orientation/resultat/<id>`: the result page in its three states,
/// rendered from `templates/pages/result.html` (SPEC §6).
public struct PageRoute: RequestHandler {
    static let prefix = "/orientation/resultat/"
    let configuration: Configuration
    let logger: Logger
    let bilans: any BilanLookup
    let eligibility: any EligibilityStore
    let templates: TemplateLibrary
    let wording: AnswerWording?
    let linkHosts: Set<String>

    public init(context: WebContext) {
        let store = PostgresRouteStore(database: context.database)
        self.init(configuration: context.configuration, logger: context.logger, bilans: store, eligibility: store)
    }

    init(configuration: Configuration, logger: Logger, bilans: any BilanLookup, eligibility: any EligibilityStore) {
        self.configuration = configuration
        self.logger = logger
        self.bilans = bilans
        self.eligibility = eligibility
        self.templates = TemplateLibrary(directory: configuration.templatesDirectory)
        self.wording = AnswerWording.loadForPages(configuration, logger: logger)
        self.linkHosts = Set(configuration.reportLinkHosts)
    }

    public func handle(_ request: Request) throws -> Response {
        guard request.path.hasPrefix(Self.prefix) else { return try notFoundPage() }
        guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
        guard let token = SessionAuth.token(in: request, cookieName: configuration.sessionCookie) else {
            return redirectToLogin(request)
        }
        let id = BilanID.parse(request.path.dropFirst(Self.prefix.count))
        guard let found = try lookup(id: id, token: token) else { return unavailablePage() }
        switch found {
        case .noSession: return redirectToLogin(request)
        case .notFound: return try notFoundPage()
        case .found(let user, let bilan): return Response.html(200, try render(bilan, user: user))
        }
    }

    /// The session's bilan, or nil while the database is unreachable (the
    /// page then says so in HTML rather than in JSON).
    private func lookup(id: String?, token: String) throws -> SessionBilan? {
        do {
            return try bilans.bilan(id: id, forSession: token)
        } catch let error as DatabaseError where error.kind == .connectionLost {
            logger.warning("database unavailable", metadata: ["cause": "\(error.message)"])
            return nil
        }
    }

    private func render(_ bilan: BilanSnapshot, user: String) throws -> String {
        var values: [String: TemplateValue] = [
            "id": .text(bilan.id),
            "status": .text(bilan.status.rawValue),
            "isPending": .bool(bilan.status == .pending),
            "isCompleted": .bool(bilan.status == .completed),
            "isFailed": .bool(bilan.status == .failed),
            "step": .text(String(bilan.status == .completed ? 3 : bilan.step)),
            "total": .text(String(BilanProgress.totalSteps)),
            "stepLabel": .text(BilanProgress.label(status: bilan.status, step: bilan.step)),
            "createdAt": .text(UTCTime.frenchDate(bilan.createdAtMs)),
            "supportUrl": .text(configuration.supportURL),
            "demo": .bool(configuration.demoMode),
            "helpCard": .bool(bilan.showsHelpCard),
            "profile": .text(bilan.profile(wording) ?? ""),
            // The pending page's « Me prévenir sur cet appareil » needs the
            // VAPID public key; without VAPID settings the button is not rendered.
            "pushKey": .text(configuration.push?.publicKeyText ?? ""),
        ]
        if bilan.status == .completed {
            let report = renderedReport(bilan)
            values["reportHtml"] = .text(report.html)
            values["toc"] = .list(report.sections.map { ["anchor": .text($0.anchor), "title": .text($0.title)] })
        }
        if bilan.status == .failed {
            values["errorMessage"] = .text(bilan.errorMessage ?? BilanMessages.genericFailure)
            values["canRetry"] = .bool(try canStartAgain(user))
        }
        return try pageTemplate("result.html").render(.object(values))
    }

    /// The HTML the generator stored at completion; reports stored before
    /// that (or edited by hand) are rendered here, under the same rules.
    private func renderedReport(_ bilan: BilanSnapshot) -> RenderedReport {
        if let html = bilan.reportHTML, let stored = RenderedReport(html: html, tocJSON: bilan.reportTOC) { return stored }
        return MarkdownRenderer.render(bilan.report ?? "", linkHosts: linkHosts)
    }

    /// A failed bilan does not use up the year: offer "Réessayer" when the rule allows it.
    private func canStartAgain(_ user: String) throws -> Bool {
        if case .eligible = Eligibility.decide(try eligibility.eligibilityFacts(ofUser: user)) { return true }
        return false
    }

    private func redirectToLogin(_ request: Request) -> Response {
        let target = configuration.loginPath + "?returnTo=" + FormDecoding.encode(request.path)
        return Response.redirect(302, to: target)
    }

    private func notFoundPage() throws -> Response {
        Response.html(404, try pageTemplate("not-found.html").render([:]))
    }

    private func unavailablePage() -> Response {
        Response.html(
            503,
            SimplePage.render(
                title: "Service momentanément indisponible",
                message: "Votre bilan est en sécurité. Réessayez dans quelques instants.",
                linkText: "Recharger", linkHref: "."),
            headers: [("Retry-After", "5")])
    }

    private func pageTemplate(_ name: String) throws -> Template {
        do {
            return try templates.template("pages/" + name)
        } catch {
            logger.error("page template unusable", metadata: ["cause": "\(error)"])
            throw HTTPError.internalError
        }
    }
}
