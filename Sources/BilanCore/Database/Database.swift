/// The process's one persistent connection, opened lazily and re-opened after
/// PostgreSQL restarts: a handler keeps answering 503 while the server is
/// down and recovers by itself, never by a restart.
public final class Database {
    private let url: String
    private let applicationName: String
    /// Named prepared statements save PostgreSQL a parse per request, but a
    /// transaction pooler hands each statement to any server connection. On by
    /// default only when `DATABASE_URL` is the direct connection, and turned off
    /// for the process at the first sign of a pooler (`preparedStatementsLost`).
    private var usePreparedStatements: Bool
    private var connection: PGConnection?

    public init(url: String, applicationName: String, usePreparedStatements: Bool = false) {
        self.url = url
        self.applicationName = applicationName
        self.usePreparedStatements = usePreparedStatements
    }

    /// The open connection, connecting first if needed.
    public func connected() throws(DatabaseError) -> PGConnection {
        if let connection, connection.isHealthy { return connection }
        connection = nil
        let fresh = try PGConnection(url: url, applicationName: applicationName)
        connection = fresh
        return fresh
    }

    /// Runs one statement. A connection that died since the last request is
    /// retried once on a new connection: after a PostgreSQL restart the first
    /// request succeeds instead of failing.
    @discardableResult
    public func run(_ statement: SQLStatement, _ parameters: [String?] = []) throws(DatabaseError) -> PGResult {
        do {
            return try runOnce(statement, parameters)
        } catch let error where error.kind == .connectionLost {
            connection = nil
            return try runOnce(statement, parameters)
        }
    }

    private func runOnce(_ statement: SQLStatement, _ parameters: [String?]) throws(DatabaseError) -> PGResult {
        let connection = try connected()
        do {
            if usePreparedStatements { return try connection.execute(statement, parameters) }
            return try connection.query(statement.sql, parameters)
        } catch where usePreparedStatements && error.meansPreparedStatementsLost {
            usePreparedStatements = false
            return try connection.query(statement.sql, parameters)
        } catch {
            if error.kind == .connectionLost { self.connection = nil }
            throw error
        }
    }

    /// A connection on which BEGIN succeeded, with the lock timeout set; a
    /// stale one (PostgreSQL restarted since the last request) is replaced once.
    private func connectionInTransaction() throws(DatabaseError) -> PGConnection {
        do {
            return try begin(try connected())
        } catch let error where error.kind == .connectionLost {
            self.connection = nil
            return try begin(try connected())
        }
    }

    private func begin(_ connection: PGConnection) throws(DatabaseError) -> PGConnection {
        try connection.query("BEGIN")
        try connection.query(LockTimeout.statement)
        return connection
    }

    /// Runs `body` inside BEGIN … COMMIT, rolling back on any thrown error.
    /// Not retried: a transaction cut in the middle is reported, not replayed.
    public func transaction<R>(_ body: (PGConnection) throws -> R) throws -> R {
        let connection = try connectionInTransaction()
        do {
            let result = try body(connection)
            try connection.query("COMMIT")
            return result
        } catch {
            _ = try? connection.query("ROLLBACK")
            if let databaseError = error as? DatabaseError, databaseError.kind == .connectionLost {
                self.connection = nil
            }
            throw error
        }
    }
}

extension DatabaseError {
    /// What PostgreSQL answers when a pooler gave our statement to a server
    /// connection that never prepared it (26000), or prepared it for another
    /// client (42P05).
    var meansPreparedStatementsLost: Bool {
        kind == .queryFailed && (sqlState == "26000" || sqlState == "42P05")
    }
}
