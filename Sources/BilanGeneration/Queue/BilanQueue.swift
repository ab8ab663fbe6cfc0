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

/// Claims queued bilans one at a time: a bilan is worked on by one generator
/// at a time, on this host or any other sharing the database, because its
/// lock is taken before its claim and kept until `release`.
public struct BilanQueue {
    let store: any QueueStore
    let claimer: String

    public init(store: any QueueStore, claimer: String = BilanQueue.processName()) {
        self.store = store
        self.claimer = claimer
    }

    public init(connection: PGConnection) {
        self.init(store: PostgresQueueStore(connection: connection))
    }

    /// `host:pid`, stored with the claim so an operator sees who holds a bilan.
    public static func processName() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let name = host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return "\(String(decoding: name, as: UTF8.self)):\(getpid())"
    }

    /// Locks and claims the next queued bilan (`preferred` first), or nil when
    /// none is free. Bilans locked by a live generator are skipped.
    public func claimNextQueuedBilan(preferred: String? = nil) throws -> ClaimedBilan? {
        for id in try store.queuedCandidates(preferred: preferred, limit: 32) {
            guard try store.tryLock(id) else { continue }
            guard let claimed = try store.claim(id, claimer: claimer) else {
                try release(id)  // finished or failed between the listing and the lock
                continue
            }
            return claimed
        }
        return nil
    }

    /// Takes the bilan's lock without waiting; false when another generator has it.
    public func lock(_ id: String) throws -> Bool {
        try store.tryLock(id)
    }

    public func release(_ id: String) throws {
        try store.unlock(id)
    }
}
