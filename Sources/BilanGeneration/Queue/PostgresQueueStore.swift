import BilanCore

/// The queue is the table itself: PENDING rows, each guarded by a session
/// advisory lock held by the generator's own connection (`DIRECT_URL`), so
/// PostgreSQL releases it the moment that process dies.
public struct PostgresQueueStore: QueueStore {
    let connection: PGConnection

    public init(connection: PGConnection) { self.connection = connection }

    public func queuedCandidates(preferred: String?, limit: Int) throws -> [String] {
        ids(try connection.query(GenerationQueries.queuedCandidates.sql, [preferred, String(limit)]))
    }

    public func tryLock(_ id: String) throws -> Bool {
        try connection.query(GenerationQueries.tryLock.sql, [id]).bool(0, 0) == true
    }

    public func unlock(_ id: String) throws {
        try connection.query(GenerationQueries.unlock.sql, [id])
    }

    public func claim(_ id: String, claimer: String) throws -> ClaimedBilan? {
        let claimed = try connection.query(GenerationQueries.claim.sql, [id, claimer])
        guard claimed.rowCount == 1 else { return nil }
        return ClaimedBilan(
            id: id, attempts: claimed.int(0, 0) ?? 1, step: claimed.int(0, 1) ?? 0,
            questionnaire: (try? JSONParser.parse(claimed.string(0, 2) ?? "{}")) ?? [:],
            checkpoints: (try? JSONParser.parse(claimed.string(0, 3) ?? "{}")) ?? [:],
            distressFlag: claimed.bool(0, 4) == true, ageSeconds: claimed.int64(0, 5) ?? 0,
            programmes: claimed.string(0, 6).flatMap { try? JSONParser.parse($0) }.flatMap(ProgrammeSelection.init(json:)))
    }

    public func exhaustedBilans(maxAttempts: Int) throws -> [String] {
        ids(try connection.query(GenerationQueries.exhaustedBilans.sql, [String(maxAttempts)]))
    }

    public func failAfterLastAttempt(_ id: String, maxAttempts: Int) throws -> Bool {
        try BilanTransitions(connection: connection).failAfterLastAttempt(id, maxAttempts: maxAttempts)
    }

    public func unsentEmails(maxMailAttempts: Int, unconfirmedRetrySeconds: Int) throws -> [String] {
        ids(try connection.query(
            GenerationQueries.unsentEmails.sql, [String(maxMailAttempts), String(unconfirmedRetrySeconds)]))
    }

    private func ids(_ rows: PGResult) -> [String] {
        (0..<rows.rowCount).compactMap { rows.string($0, 0) }
    }
}
