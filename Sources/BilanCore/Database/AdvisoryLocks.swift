/// The advisory-lock key spaces, one per purpose, in one place: the first key
/// of PostgreSQL's two-key form says what is locked, so a login under an
/// address whose hash collides with a bilan id's never waits on a generator.
/// (The migrations take `7301` by literal: they run before any program.)
public enum LockSpace: Int, CaseIterable, Sendable {
    /// One migrator at a time (`SELECT pg_advisory_xact_lock(7301, 0)`).
    case migrations = 7301
    /// One user's creates, one after the other (transaction lock).
    case createPerUser = 7302
    /// One generator per bilan (session lock, dies with its process).
    case generatorPerBilan = 7303
    /// One address's login requests, one after the other (transaction lock).
    case loginPerAddress = 7304
    /// One mail sender at a time on the database (session lock).
    case mailSender = 7305
    /// One Parcoursup import at a time (transaction lock): two imports of the
    /// same session would each delete the rows the other is adding.
    case parcoursupImport = 7306

    /// A lock of the whole space held by this session, taken without waiting.
    public var trySessionLock: String { "SELECT pg_try_advisory_lock(\(rawValue), 0)" }
    public var sessionUnlock: String { "SELECT pg_advisory_unlock(\(rawValue), 0)" }

    /// `pg_advisory_xact_lock(<space>, hashtext(<expression>))`.
    public func transactionLock(_ expression: String) -> String {
        "SELECT pg_advisory_xact_lock(\(rawValue), hashtext(\(expression)))"
    }
}

/// Settings every transaction that may wait on a lock starts with: a lock
/// held by a stuck session turns into an error after this long instead of a
/// hung worker. `SET LOCAL`: it ends with the transaction, so it is safe
/// behind a transaction-pooling PgBouncer.
public enum LockTimeout {
    public static let statement = "SET LOCAL lock_timeout = '5s'"
}
