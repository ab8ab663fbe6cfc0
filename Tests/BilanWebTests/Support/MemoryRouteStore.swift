@testable import BilanCore
@testable import BilanWeb

/// The routes' stores in memory, keeping what PostgreSQL keeps for them:
/// sessions, users' addresses and payments, bilans, login links and queued
/// mail. `unreachable` makes every call throw as a database that went away.
final class MemoryRouteStore {
    struct StoredBilan {
        var user: String
        var snapshot: BilanSnapshot
        var generatorRuns = 0
        var mailSent = false
    }

    struct StoredLoginLink {
        var link: LoginLink
        var user: String
        var used = false
        var expired = false
    }

    struct StoredMail {
        var recipient: String
        var user: String
        var mail: QueuedMail
    }

    /// Session token → user id.
    var sessions: [String: String] = [:]
    /// Lower-cased address → user id.
    var addresses: [String: String] = [:]
    var payments: [String: [EligibilityFacts.Payment]] = [:]
    var bilans: [StoredBilan] = []
    var loginLinks: [StoredLoginLink] = []
    var mailQueue: [StoredMail] = []
    /// Bilan id → its PDF, once made.
    var pdfs: [String: (bytes: [UInt8], etag: String)] = [:]
    /// Browsers' push subscriptions, oldest first.
    var pushSubscriptions: [(user: String, subscription: PushSubscription)] = []
    var unreachable = false
    let nowMs = UTCTime.nowMilliseconds()
    private var lastBilanNumber = 0

    /// A new bilan id, shaped like PostgreSQL's UUIDs.
    func newBilanId() -> String {
        lastBilanNumber += 1
        let digits = String(lastBilanNumber)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - digits.count) + digits
    }

    @discardableResult
    func addBilan(
        of user: String, status: BilanStatus, step: Int = 0, ageMs: Int64 = 60_000, report: String? = nil,
        reportHTML: String? = nil, reportTOC: String? = nil, errorMessage: String? = nil, failureKind: String? = nil,
        distressFlag: Bool = false, questionnaire: JSONValue? = nil
    ) -> String {
        let id = newBilanId()
        let created = nowMs - ageMs
        let snapshot = BilanSnapshot(
            id: id, status: status, step: step, createdAtMs: created, updatedAtMs: created,
            completedAtMs: status == .completed ? created + 30_000 : nil, report: report, errorMessage: errorMessage,
            distressFlag: distressFlag, failureKind: failureKind, questionnaire: questionnaire?.serialized,
            reportHTML: reportHTML, reportTOC: reportTOC)
        bilans.append(StoredBilan(user: user, snapshot: snapshot))
        return id
    }

    func ensureReachable() throws {
        if unreachable { throw DatabaseError(kind: .connectionLost, message: "connection refused", sqlState: "08006") }
    }

    private func usableLinkIndex(_ token: String) -> Int? {
        loginLinks.firstIndex { $0.link.token == token && !$0.used && !$0.expired }
    }
}

extension MemoryRouteStore: SessionStore {
    func user(forSession token: String) throws -> String? {
        try ensureReachable()
        return sessions[token]
    }
}

extension MemoryRouteStore: EligibilityStore {
    func eligibilityFacts(ofUser user: String) throws -> EligibilityFacts {
        try ensureReachable()
        let past = bilans.filter { $0.user == user }.map {
            EligibilityFacts.PastBilan(
                id: $0.snapshot.id, status: $0.snapshot.status, createdAtMs: $0.snapshot.createdAtMs,
                failureKind: $0.snapshot.failureKind)
        }
        return EligibilityFacts(payments: payments[user] ?? [], bilans: past, nowMs: nowMs)
    }
}

extension MemoryRouteStore: BilanLookup {
    func bilan(id: String?, forSession token: String) throws -> SessionBilan {
        try ensureReachable()
        guard let user = sessions[token] else { return .noSession }
        guard let stored = bilans.first(where: { $0.snapshot.id == id && $0.user == user }) else { return .notFound(user: user) }
        return .found(user: user, stored.snapshot)
    }

    /// As `historyForUser` reads them: no report, no message; whether the PDF was made.
    func history(ofUser user: String) throws -> [BilanSnapshot] {
        try ensureReachable()
        return bilans.filter { $0.user == user }.sorted { $0.snapshot.createdAtMs > $1.snapshot.createdAtMs }.map {
            let full = $0.snapshot
            return BilanSnapshot(
                id: full.id, status: full.status, step: full.step, createdAtMs: full.createdAtMs,
                updatedAtMs: full.updatedAtMs, completedAtMs: full.completedAtMs, questionnaire: full.questionnaire,
                hasPDF: pdfs[full.id] != nil)
        }
    }
}

extension MemoryRouteStore: ReportPDFLookup {
    /// As `PDFQueries.forSession`: a PDF only of the session's own completed bilan.
    func reportPDF(id: String?, forSession token: String) throws -> SessionPDF {
        try ensureReachable()
        guard let user = sessions[token] else { return .noSession }
        guard let stored = bilans.first(where: { $0.snapshot.id == id && $0.user == user }),
            stored.snapshot.status == .completed, let pdf = pdfs[stored.snapshot.id],
            let completedAt = stored.snapshot.completedAtMs
        else { return .notFound }
        return .found(ReportPDF(bytes: pdf.bytes, etag: pdf.etag, completedAtMs: completedAt))
    }

    func hasReportPDF(_ id: String) throws -> Bool {
        try ensureReachable()
        return pdfs[id] != nil
    }
}

extension MemoryRouteStore: CreateStore {
    func insertPendingIfEligible(_ bilan: NewBilan) throws -> CreateOutcome {
        let decision = Eligibility.decide(try eligibilityFacts(ofUser: bilan.user))
        guard case .eligible = decision else { return .refused(decision) }
        let id = addBilan(
            of: bilan.user, status: .pending, ageMs: 0, distressFlag: bilan.distressFlag, questionnaire: bilan.questionnaire)
        return .created(id: id)
    }
}

extension MemoryRouteStore: MonitoringStore {
    func queueHealth() throws -> QueueHealth {
        try ensureReachable()
        let pending = bilans.filter { $0.snapshot.status == .pending }
        let oldest = pending.map(\.snapshot.createdAtMs).min() ?? nowMs
        return QueueHealth(pendingBilans: pending.count, oldestPendingSeconds: (nowMs - oldest) / 1000)
    }

    func totalsByStatus() throws -> [BilanTotals] {
        try ensureReachable()
        let statuses = Set(bilans.map(\.snapshot.status.rawValue)).sorted()
        return statuses.map { status in
            let group = bilans.filter { $0.snapshot.status.rawValue == status }
            return BilanTotals(
                status: status, bilans: group.count, generatorRuns: group.map(\.generatorRuns).reduce(0, +),
                mailsSent: group.filter(\.mailSent).count,
                mailsOwed: group.filter { $0.snapshot.status == .completed && !$0.mailSent }.count, mailAttempts: 0)
        }
    }
}

extension MemoryRouteStore: LoginStore {
    func queueLoginLink(_ link: LoginLink, limits: LoginLinkLimits) throws -> LoginLinkOutcome {
        try ensureReachable()
        guard let user = addresses[link.email.lowercased()] else { return .unknownAddress }
        // Every link here was made within the quarter hour.
        let sent = loginLinks.filter { $0.link.email.lowercased() == link.email.lowercased() }.count
        guard sent < limits.perQuarterHour, sent < limits.perDay else { return .limitReached(user: user) }
        loginLinks.append(StoredLoginLink(link: link, user: user))
        mailQueue.append(StoredMail(recipient: link.email, user: user, mail: link.mail))
        return .queued(user: user)
    }

    func address(ofUsableLoginToken token: String) throws -> String? {
        try ensureReachable()
        return usableLinkIndex(token).map { loginLinks[$0].link.email }
    }

    func openSession(_ session: String, lifetimeSeconds: Int, consuming loginToken: String) throws -> OpenedSession? {
        try ensureReachable()
        guard let index = usableLinkIndex(loginToken) else { return nil }
        let user = loginLinks[index].user
        for other in loginLinks.indices where loginLinks[other].user == user { loginLinks[other].used = true }
        sessions = sessions.filter { $0.value != user }
        sessions[session] = user
        return OpenedSession(user: user, returnTo: loginLinks[index].link.returnTo)
    }

    func endSession(_ token: String) throws {
        try ensureReachable()
        sessions[token] = nil
    }
}

/// Records what the routes ask to start, and starts nothing.
final class RecordingSpawner: GeneratorStarter {
    var started: [[String]] = []

    func spawn(arguments: [String], bilanId: String?) -> Bool {
        started.append(arguments)
        return true
    }
}
