import BilanCore

// What each route needs from the database, in the domain's words: the routes
// hold no SQL and no `Database`, so they are tested in-process with the
// in-memory stores of Tests/BilanWebTests. `PostgresRouteStore` is the real
// implementation; its SQL lives in `BilanCore/Database/Queries`.
// A store throws `DatabaseError` when PostgreSQL is unreachable (503).

/// Sessions, as every authenticated route resolves them.
protocol SessionStore {
    /// The user a session token belongs to, nil for an unknown or expired session.
    func user(forSession token: String) throws -> String?
}

/// The facts the eligibility rule reads (`Eligibility.decide`).
protocol EligibilityStore {
    func eligibilityFacts(ofUser user: String) throws -> EligibilityFacts
}

/// A session's bilans, as the status route and the result page show them.
protocol BilanLookup {
    /// The session and the bilan in one round trip: the status route is
    /// polled every 5 s by every waiting page. A nil id (malformed) is
    /// looked up like an unknown one.
    func bilan(id: String?, forSession token: String) throws -> SessionBilan
    /// The user's bilans, newest first, without report or message.
    func history(ofUser user: String) throws -> [BilanSnapshot]
}

/// What a session and a bilan id resolve to. A foreign bilan is `notFound`,
/// like an unknown one: nothing tells them apart (SPEC §3).
enum SessionBilan {
    case noSession
    case notFound(user: String)
    case found(user: String, BilanSnapshot)
}

/// A session's report PDFs (SPEC §14), as the download and the page see them.
protocol ReportPDFLookup {
    /// The session, the bilan and its PDF in one round trip. A malformed
    /// (nil), unknown or foreign id and a PDF not made yet all give
    /// `notFound`: nothing tells them apart.
    func reportPDF(id: String?, forSession token: String) throws -> SessionPDF
    /// Whether the PDF of a bilan (already the session's) has been made:
    /// the page links to it only then.
    func hasReportPDF(_ id: String) throws -> Bool
}

enum SessionPDF {
    case noSession
    case notFound
    case found(ReportPDF)
}

struct ReportPDF {
    var bytes: [UInt8]
    /// Computed by PostgreSQL when the PDF was stored (md5 of the bytes).
    var etag: String
    var completedAtMs: Int64
}

/// Where the create route stores a new bilan.
protocol CreateStore {
    /// In one transaction holding the user's create lock, so N simultaneous
    /// creates yield one bilan: reads the eligibility facts and inserts the
    /// bilan PENDING when `Eligibility.decide` allows it.
    func insertPendingIfEligible(_ bilan: NewBilan) throws -> CreateOutcome
}

struct NewBilan {
    var user: String
    /// Validated by `QuestionnaireValidator`.
    var questionnaire: JSONValue
    /// A free text shows distress: the page and the mail show the help card.
    var distressFlag: Bool
}

enum CreateOutcome: Equatable {
    case created(id: String)
    /// Nothing was written; the decision says why.
    case refused(EligibilityDecision)
}

/// The health and metrics routes' view of the table.
protocol MonitoringStore {
    func queueHealth() throws -> QueueHealth
    /// One line per status that has bilans.
    func totalsByStatus() throws -> [BilanTotals]
}

struct QueueHealth {
    var pendingBilans: Int
    var oldestPendingSeconds: Int64
}

struct BilanTotals {
    var status: String
    var bilans: Int
    /// Generator runs that claimed one of these bilans (attempts).
    var generatorRuns: Int
    var mailsSent: Int
    /// Completed bilans whose notification has not left yet.
    var mailsOwed: Int
    var mailAttempts: Int
}
