public import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// A failure talking to PostgreSQL. `connectionLost` means the server is
/// unreachable (answer 503 and reconnect later); anything else is a query error.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case connectionLost, queryFailed }
    public var kind: Kind
    public var message: String
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?

    public var description: String { "\(kind == .connectionLost ? "database unreachable" : "query failed"): \(message)" }
}

/// One libpq connection. Every call goes through `PQexecParams` (or a named
/// prepared statement): parameters travel apart from the SQL text, so nothing
/// a user types is ever spliced into a query.
public final class PGConnection {
    /// Internal, not private: the COPY functions (`PGConnection+Copy.swift`) drive the same handle.
    private(set) var handle: OpaquePointer?
    private var prepared: Set<String> = []

    /// Opens a connection. `url` is a libpq URI or `key=value` string; the
    /// extra parameters (timeouts, application name) apply unless the URL sets them.
    public init(url: String, applicationName: String) throws(DatabaseError) {
        let keys = ["connect_timeout", "application_name", "dbname"]
        let values = ["5", applicationName, url]
        handle = withCStringArrays(keys, values) { keyPointers, valuePointers in
            PQconnectdbParams(keyPointers, valuePointers, 1)
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(handle)
            self.handle = nil
            throw DatabaseError(kind: .connectionLost, message: message.oneLine, sqlState: nil)
        }
    }

    deinit { PQfinish(handle) }

    public var isHealthy: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Runs one statement with text parameters (`$1`, `$2`, …; nil is SQL NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(DatabaseError) -> PGResult {
        let result = withParameterPointers(parameters) { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        return try check(result)
    }

    /// Runs a named prepared statement, preparing it on first use on this connection.
    @discardableResult
    public func execute(_ statement: SQLStatement, _ parameters: [String?] = []) throws(DatabaseError) -> PGResult {
        if !prepared.contains(statement.name) {
            let preparedResult = PQprepare(handle, statement.name, statement.sql, Int32(parameters.count), nil)
            _ = try check(preparedResult)
            prepared.insert(statement.name)
        }
        let result = withParameterPointers(parameters) { pointers in
            PQexecPrepared(handle, statement.name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        return try check(result)
    }

    /// Runs a script of several statements without parameters: migrations only.
    public func runScript(_ sql: String) throws(DatabaseError) {
        _ = try check(PQexec(handle, sql))
    }

    func check(_ result: OpaquePointer?) throws(DatabaseError) -> PGResult {
        guard let result else { throw lostConnection() }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return PGResult(result)
        default:
            let message = String(cString: PQresultErrorMessage(result)).oneLine
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            PQclear(result)
            if PQstatus(handle) != CONNECTION_OK || state?.hasPrefix("08") == true || state == "57P01" {
                prepared.removeAll()
                throw DatabaseError(kind: .connectionLost, message: message, sqlState: state)
            }
            throw DatabaseError(kind: .queryFailed, message: message, sqlState: state)
        }
    }

    func lostConnection() -> DatabaseError {
        prepared.removeAll()
        let message = handle.map { String(cString: PQerrorMessage($0)).oneLine } ?? "no connection"
        return DatabaseError(kind: .connectionLost, message: message, sqlState: nil)
    }
}

/// A query with a stable name, for servers that may keep it prepared.
public struct SQLStatement: Sendable {
    public let name: String
    public let sql: String

    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// Calls `body` with C string arrays for libpq's `(keywords, values)` pair.
private func withCStringArrays<R>(
    _ keys: [String], _ values: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R
) -> R {
    let keyCopies = keys.map { strdup($0) }
    let valueCopies = values.map { strdup($0) }
    defer {
        keyCopies.forEach { free($0) }
        valueCopies.forEach { free($0) }
    }
    let keyPointers = keyCopies.map { UnsafePointer($0) } + [nil]
    let valuePointers = valueCopies.map { UnsafePointer($0) } + [nil]
    return keyPointers.withUnsafeBufferPointer { k in
        valuePointers.withUnsafeBufferPointer { v in body(k.baseAddress!, v.baseAddress!) }
    }
}

/// Calls `body` with NUL-terminated copies of the parameters (nil stays NULL).
private func withParameterPointers<R>(_ parameters: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if parameters.isEmpty { return body(nil) }
    let copies = parameters.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

extension String {
    /// libpq's messages span lines; logs and CLI answers want one.
    var oneLine: String {
        split(whereSeparator: { $0 == "\n" || $0 == "\t" }).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
