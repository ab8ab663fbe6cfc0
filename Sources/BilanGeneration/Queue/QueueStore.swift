import BilanCore

/// What the queue and recovery ask of the database: the queued bilans, their
/// per-bilan locks and the claim. A protocol so `BilanQueue`, `Generator` and
/// `Recovery` are unit-tested in memory (`Tests/…/BilanQueueTests.swift`);
/// `PostgresQueueStore` is the real one.
public protocol QueueStore {
    /// Queued bilans ready to run, `preferred` first, then oldest first.
    func queuedCandidates(preferred: String?, limit: Int) throws -> [String]
    /// Takes the bilan's lock without waiting; false when another generator has it.
    func tryLock(_ id: String) throws -> Bool
    func unlock(_ id: String) throws
    /// Counts an attempt on a bilan this process has locked, if still queued.
    func claim(_ id: String, claimer: String) throws -> ClaimedBilan?
    /// Queued bilans that have used up their attempts.
    func exhaustedBilans(maxAttempts: Int) throws -> [String]
    /// Fails a queued bilan that used up its attempts; false when it was no longer queued.
    func failAfterLastAttempt(_ id: String, maxAttempts: Int) throws -> Bool
    /// Completed bilans whose mail is still owed and not being sent.
    func unsentEmails(maxMailAttempts: Int, unconfirmedRetrySeconds: Int) throws -> [String]
}
