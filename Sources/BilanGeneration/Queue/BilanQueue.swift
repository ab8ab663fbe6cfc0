import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// A bilan this generator holds: its lock is ours until `release`.
public struct ClaimedBilan {
    public let id: String
    public let attempts: Int
    public let step: Int
    public let questionnaire: JSONValue
    public let checkpoints: JSONValue
    /// A free text matched the distress phrases when the bilan was created.
    public let distressFlag: Bool
    /// Seconds since the bilan was created.
    public var ageSeconds: Int64 = 0
    /// The Parcoursup programmes already selected for it; nil until the terrain pass is reached.
    public var programmes: ProgrammeSelection? = nil
}

/// The queue is the table itself: PENDING rows, oldest first, each guarded by
/// a session advisory lock so one generator works on a bilan at a time, on
/// this host or any other sharing the database.
public struct BilanQueue {
    let connection: PGConnection
    let claimer: String

    public init(connection: PGConnection) {
        self.connection = connection
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let name = host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.claimer = "\(String(decoding: name, as: UTF8.self)):\(getpid())"
    }

    /// Locks and claims the next queued bilan (`preferred` first), or nil when
    /// none is free. Bilans locked by a live generator are skipped.
    public func claimNextQueuedBilan(preferred: String? = nil) throws -> ClaimedBilan? {
        let candidates = try connection.query(GenerationQueries.queuedCandidates.sql, [preferred, "32"])
        for row in 0..<candidates.rowCount {
            guard let id = candidates.string(row, 0), try lock(id) else { continue }
            let claimed = try connection.query(GenerationQueries.claim.sql, [id, claimer])
            guard claimed.rowCount == 1 else {
                try release(id)  // finished or failed between the listing and the lock
                continue
            }
            return ClaimedBilan(
                id: id, attempts: claimed.int(0, 0) ?? 1, step: claimed.int(0, 1) ?? 0,
                questionnaire: (try? JSONParser.parse(claimed.string(0, 2) ?? "{}")) ?? [:],
                checkpoints: (try? JSONParser.parse(claimed.string(0, 3) ?? "{}")) ?? [:],
                distressFlag: claimed.bool(0, 4) == true, ageSeconds: claimed.int64(0, 5) ?? 0,
                programmes: claimed.string(0, 6).flatMap { try? JSONParser.parse($0) }.flatMap(ProgrammeSelection.init(json:)))
        }
        return nil
    }

    /// Takes the bilan's lock without waiting; false when another generator has it.
    public func lock(_ id: String) throws -> Bool {
        try connection.query(GenerationQueries.tryLock.sql, [id]).bool(0, 0) == true
    }

    public func release(_ id: String) throws {
        try connection.query(GenerationQueries.unlock.sql, [id])
    }
}
