import BilanCore

/// The routes' stores on the handler's one PostgreSQL connection. Every
/// statement is a named query of `BilanCore/Database/Queries`.
struct PostgresRouteStore {
    let database: Database
}

extension PostgresRouteStore: SessionStore {
    /// Only through the SQL function `orientation_session_user`, so a site
    /// can plug in its own login.
    func user(forSession token: String) throws -> String? {
        try database.run(SessionQueries.sessionUser, [token]).string(0, 0)
    }
}

extension PostgresRouteStore: EligibilityStore {
    func eligibilityFacts(ofUser user: String) throws -> EligibilityFacts {
        try EligibilityLookup.facts(for: user) { statement, parameters in try database.run(statement, parameters) }
    }
}

extension PostgresRouteStore: BilanLookup {
    /// `orientation_session_bilan` (migrations/0006) resolves both in one call.
    func bilan(id: String?, forSession token: String) throws -> SessionBilan {
        let row = try database.run(BilanQueries.lookupForSession, [token, id])
        guard let user = row.string(0, 0) else { return .noSession }
        guard row.string(0, 1) != nil, let bilan = BilanSnapshot(row: row, offset: 1) else { return .notFound(user: user) }
        return .found(user: user, bilan)
    }

    func history(ofUser user: String) throws -> [BilanSnapshot] {
        let rows = try database.run(BilanQueries.historyForUser, [user])
        return (0..<rows.rowCount).compactMap { BilanSnapshot(summaryRow: rows, index: $0) }
    }
}

extension PostgresRouteStore: CreateStore {
    /// A refusal leaves by an error so that the transaction rolls back, as
    /// any create that inserts nothing.
    private struct Refusal: Error {
        var decision: EligibilityDecision
    }

    func insertPendingIfEligible(_ bilan: NewBilan) throws -> CreateOutcome {
        do {
            return try database.transaction { connection in
                try connection.query(BilanQueries.lockUserForCreate.sql, [bilan.user])
                let facts = try EligibilityLookup.facts(for: bilan.user) { statement, parameters in
                    try connection.query(statement.sql, parameters)
                }
                let decision = Eligibility.decide(facts)
                guard case .eligible = decision else { throw Refusal(decision: decision) }
                let inserted = try connection.query(
                    BilanQueries.insertPending.sql,
                    [bilan.user, bilan.questionnaire.serialized, bilan.distressFlag ? "true" : "false"])
                guard let id = inserted.string(0, 0) else { throw HTTPError.internalError }
                return .created(id: id)
            }
        } catch let refusal as Refusal {
            return .refused(refusal.decision)
        }
    }
}

extension PostgresRouteStore: MonitoringStore {
    func queueHealth() throws -> QueueHealth {
        let row = try database.run(MonitoringQueries.health)
        return QueueHealth(pendingBilans: row.int(0, 0) ?? 0, oldestPendingSeconds: row.int64(0, 1) ?? 0)
    }

    func totalsByStatus() throws -> [BilanTotals] {
        let rows = try database.run(MonitoringQueries.metrics)
        return (0..<rows.rowCount).map { row in
            BilanTotals(
                status: rows.string(row, 0) ?? "?", bilans: rows.int(row, 1) ?? 0, generatorRuns: rows.int(row, 2) ?? 0,
                mailsSent: rows.int(row, 3) ?? 0, mailsOwed: rows.int(row, 4) ?? 0, mailAttempts: rows.int(row, 5) ?? 0)
        }
    }
}
