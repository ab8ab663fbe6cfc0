public import CLibPQ

/// `COPY … FROM STDIN` on a connection: a file streamed to PostgreSQL in
/// chunks, parsed there, never held whole in our memory. Three steps, each
/// one libpq call: start the statement, send chunks, end (or abort) and read
/// the outcome. Until `endCopy` the connection takes nothing else.
extension PGConnection {
    /// Starts a `COPY … FROM STDIN` statement (no parameters: COPY takes none).
    public func beginCopy(_ statement: SQLStatement) throws(DatabaseError) {
        guard let result = PQexec(handle, statement.sql) else { throw lostConnection() }
        if PQresultStatus(result) == PGRES_COPY_IN {
            PQclear(result)
            return
        }
        // An error (the statement failed) or a statement that is not COPY FROM STDIN.
        _ = try check(result)
        throw DatabaseError(kind: .queryFailed, message: "\(statement.name) did not start a COPY", sqlState: nil)
    }

    /// Sends one chunk of COPY data; libpq buffers it and writes when its buffer fills.
    public func sendCopyData(_ bytes: UnsafeRawBufferPointer) throws(DatabaseError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let status = PQputCopyData(handle, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        guard status == 1 else { throw copyFailure() }
    }

    /// Ends the COPY and returns the rows copied; with `abortReason` the
    /// server rolls the statement back and the reason comes back as the error.
    /// PostgreSQL reports bad data (a missing column, an unterminated quoted
    /// field, invalid UTF-8) here, with the line number in the message.
    @discardableResult
    public func endCopy(abortReason: String? = nil) throws(DatabaseError) -> Int {
        guard PQputCopyEnd(handle, abortReason) == 1 else { throw copyFailure() }
        return try copyOutcome()
    }

    /// Reads every result the COPY left (libpq wants them all read before the
    /// next statement); the first one says how it went.
    private func copyOutcome() throws(DatabaseError) -> Int {
        var outcome: Result<Int, DatabaseError>?
        while let result = PQgetResult(handle) {
            guard outcome == nil else {
                PQclear(result)
                continue
            }
            do {
                outcome = .success(try check(result).affectedRows)
            } catch {
                outcome = .failure(error)
            }
        }
        guard let outcome else { throw lostConnection() }
        return try outcome.get()
    }

    private func copyFailure() -> DatabaseError {
        if PQstatus(handle) != CONNECTION_OK { return lostConnection() }
        let message = handle.map { String(cString: PQerrorMessage($0)).oneLine } ?? "no connection"
        return DatabaseError(kind: .queryFailed, message: message, sqlState: nil)
    }
}
