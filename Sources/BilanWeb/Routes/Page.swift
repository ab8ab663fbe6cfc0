import BilanCore
import BilanMarkdown
import Logging

/// `GET /orientation/resultat/<id>`: the result page in its three states,
/// rendered from `templates/pages/result.html` (SPEC §6); and the other
/// pages of `bilan-page`: the report PDF (`<id>.pdf`, `ReportPDFDownload`)
/// and the history (`/orientation/historique`, `HistoryPage`), SPEC §14.
public struct PageRoute: RequestHandler {
    static let prefix = "/orientation/resultat/"
    let configuration: Configuration
    let pages: PageResponses
    let bilans: any BilanLookup
    let eligibility: any EligibilityStore
    let pdfs: any ReportPDFLookup
    let history: HistoryPage
    let wording: AnswerWording?
    let linkHosts: Set<String>

    public init(context: WebContext) {
        let store = PostgresRouteStore(database: context.database)
        self.init(
            configuration: context.configuration, logger: context.logger, sessions: store, bilans: store,
            eligibility: store, pdfs: store)
    }

    init(
        configuration: Configuration, logger: Logger, sessions: any SessionStore, bilans: any BilanLookup,
        eligibility: any EligibilityStore, pdfs: any ReportPDFLookup
    ) {
        self.configuration = configuration
        self.pages = PageResponses(
            configuration: configuration, logger: logger,
            templates: TemplateLibrary(directory: configuration.templatesDirectory))
        self.bilans = bilans
        self.eligibility = eligibility
        self.pdfs = pdfs
        self.wording = AnswerWording.loadForPages(configuration, logger: logger)
        self.history = HistoryPage(pages: pages, sessions: sessions, bilans: bilans, wording: wording)
        self.linkHosts = Set(configuration.reportLinkHosts)
    }

    public func handle(_ request: Request) throws -> Response {
        let isHistory = request.path == HistoryPage.path
        guard isHistory || request.path.hasPrefix(Self.prefix) else { return try pages.notFoundPage() }
        guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
        guard let token = SessionAuth.token(in: request, cookieName: configuration.sessionCookie) else {
            return pages.redirectToLogin(request)
        }
        if isHistory { return try history.respond(request, token: token) }
        let idText = request.path.dropFirst(Self.prefix.count)
        if idText.hasSuffix(ReportPDFDownload.suffix) {
            return try ReportPDFDownload(pages: pages, pdfs: pdfs)
                .respond(request, idText: idText.dropLast(ReportPDFDownload.suffix.count), token: token)
        }
        let id = BilanID.parse(idText)
        guard let found = try pages.whileDatabaseAnswers({ try bilans.bilan(id: id, forSession: token) }) else {
            return pages.unavailablePage()
        }
        switch found {
        case .noSession: return pages.redirectToLogin(request)
        case .notFound: return try pages.notFoundPage()
        case .found(let user, let bilan): return Response.html(200, try render(bilan, user: user))
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
            // The link only once the PDF exists (SPEC §14); until then the
            // page says it is on its way and result.js looks again. A lookup
            // that fails only leaves the link out: the report is the page.
            if (try? pdfs.hasReportPDF(bilan.id)) == true {
                values["pdfUrl"] = .text(Self.prefix + bilan.id + ReportPDFDownload.suffix)
            } else {
                values["pdfPending"] = true
            }
        }
        if bilan.status == .failed {
            values["errorMessage"] = .text(bilan.errorMessage ?? BilanMessages.genericFailure)
            values["canRetry"] = .bool(try canStartAgain(user))
        }
        return try pages.pageTemplate(TemplateNames.resultPage).render(.object(values))
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
}
