import BilanCore

/// `GET /orientation/historique` (SPEC §14, « Pages without JavaScript »):
/// the signed-in user's bilans as server-rendered HTML, newest first, each
/// with its state, day, profile, a link to its page and, once made, to its
/// PDF. It replaces the page that built the same list in JavaScript: one list
/// to keep right, the same for every browser.
struct HistoryPage {
    static let path = "/orientation/historique"
    let pages: PageResponses
    let sessions: any SessionStore
    let bilans: any BilanLookup
    let wording: AnswerWording?

    func respond(_ request: Request, token: String) throws -> Response {
        let found = try pages.whileDatabaseAnswers { () throws -> [BilanSnapshot]? in
            guard let user = try sessions.user(forSession: token) else { return nil }
            return try bilans.history(ofUser: user)
        }
        guard let found else { return pages.unavailablePage() }
        guard let history = found else { return pages.redirectToLogin(request) }
        let items = history.map(item)
        let values: TemplateValue = ["hasBilans": .bool(!items.isEmpty), "bilans": .list(items)]
        return Response.html(200, try pages.pageTemplate(TemplateNames.historyPage).render(values))
    }

    private func item(_ bilan: BilanSnapshot) -> TemplateValue {
        let url = PageRoute.prefix + bilan.id
        let created = ParisCalendar.today(nowMilliseconds: bilan.createdAtMs).frenchLong
        var values: [String: TemplateValue] = [
            "id": .text(bilan.id),
            "url": .text(url),
            "title": .text("Bilan du " + created),
            "status": .text(bilan.status.rawValue),
            "isPending": .bool(bilan.status == .pending),
            "isCompleted": .bool(bilan.status == .completed),
            "step": .text(String(bilan.step)),
            "profile": .text(bilan.profile(wording) ?? ""),
        ]
        switch bilan.status {
        case .pending:
            values["statusLabel"] = "En cours"
            values["badge"] = "badge--pending"
            values["meta"] = .text(BilanProgress.label(status: .pending, step: bilan.step))
            values["actionLabel"] = "Suivre l'avancement"
        case .completed:
            values["statusLabel"] = "Terminé"
            values["badge"] = "badge--completed"
            let completed = ParisCalendar.today(nowMilliseconds: bilan.completedAtMs ?? bilan.updatedAtMs).frenchLong
            values["meta"] = .text("Terminé le " + completed)
            values["actionLabel"] = "Voir le bilan"
            if bilan.hasPDF { values["pdfUrl"] = .text(url + ReportPDFDownload.suffix) }
        case .failed:
            values["statusLabel"] = "Échec"
            values["badge"] = "badge--failed"
            values["meta"] = "La rédaction n'a pas abouti. Ce bilan ne compte pas : vous pouvez en demander un nouveau."
            values["actionLabel"] = "Voir le bilan"
        }
        return .object(values)
    }
}
