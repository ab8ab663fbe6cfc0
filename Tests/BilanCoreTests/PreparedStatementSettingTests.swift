import Testing
@testable import BilanCore

/// `DATABASE_PREPARED` follows the connection's shape: direct → on, behind a
/// pooler (a `DIRECT_URL` of its own) → off, and the site's word wins.
@Suite("Prepared statements setting")
struct PreparedStatementSettingTests {
    func prepared(_ values: [String: String]) throws -> Bool {
        let env = ["DATABASE_URL": "postgresql://bilan@db/bilan", "PUBLIC_URL": "http://127.0.0.1:8080"]
        return try Configuration.load(Environment(env.merging(values) { $1 })).usePreparedStatements
    }

    @Test func onForADirectConnection() throws {
        #expect(try prepared([:]))
        #expect(try prepared(["DIRECT_URL": "postgresql://bilan@db/bilan"]))
    }

    @Test func offWhenTheHandlersGoThroughAPooler() throws {
        #expect(try !prepared(["DATABASE_URL": "postgresql://bilan@pgbouncer:6432/bilan", "DIRECT_URL": "postgresql://bilan@db/bilan"]))
    }

    @Test func theSiteDecidesWhenItSaysSo() throws {
        #expect(try !prepared(["DATABASE_PREPARED": "false"]))
        #expect(try prepared(["DATABASE_URL": "postgresql://bilan@pgbouncer:6432/bilan", "DIRECT_URL": "postgresql://bilan@db/bilan",
                              "DATABASE_PREPARED": "true"]))
    }

    @Test func aPoolerThatLostTheStatementIsRecognised() {
        #expect(DatabaseError(kind: .queryFailed, message: "prepared statement \"s\" does not exist", sqlState: "26000")
            .meansPreparedStatementsLost)
        #expect(DatabaseError(kind: .queryFailed, message: "already exists", sqlState: "42P05").meansPreparedStatementsLost)
        #expect(!DatabaseError(kind: .queryFailed, message: "syntax error", sqlState: "42601").meansPreparedStatementsLost)
        #expect(!DatabaseError(kind: .connectionLost, message: "gone", sqlState: "26000").meansPreparedStatementsLost)
    }
}
