import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// SPEC §16 rules that are pure functions: the refusal cap, the settings a
/// spawned process may inherit, the `__Host-` cookie on https, the masked
/// address of the login confirmation, HSTS.
@Suite("Security rules")
struct SecurityRulesTests {
    static let day: Int64 = 86_400_000
    static let now: Int64 = 1_749_981_600_000
    static let paid = [EligibilityFacts.Payment(plan: "ANNUAL", status: "SUCCEEDED")]

    func refused(daysAgo: Int64, kind: String = "CONTENT_REFUSED") -> EligibilityFacts.PastBilan {
        .init(id: "b\(daysAgo)\(kind)", status: .failed, createdAtMs: Self.now - daysAgo * Self.day, failureKind: kind)
    }

    func decide(_ bilans: [EligibilityFacts.PastBilan]) -> EligibilityDecision {
        Eligibility.decide(EligibilityFacts(payments: Self.paid, bilans: bilans, nowMs: Self.now))
    }

    @Test func threeRefusalsInThirtyDaysStopCreates() {
        let three = [refused(daysAgo: 1), refused(daysAgo: 12), refused(daysAgo: 29)]
        // Eligible again when the oldest of the three leaves the 30-day window.
        #expect(decide(three) == .tooManyRefusals(nextEligibleAtMs: Self.now - 29 * Self.day + 30 * Self.day))
        #expect(decide(three).json["reason"]?.stringValue == "TOO_MANY_REFUSALS")
    }

    @Test func refusalsOutsideTheWindowOrOtherFailuresDoNotCount() {
        #expect(decide([refused(daysAgo: 1), refused(daysAgo: 12), refused(daysAgo: 31)]) == .eligible(plan: "ANNUAL"))
        #expect(decide([refused(daysAgo: 1), refused(daysAgo: 2), refused(daysAgo: 3, kind: "ATTEMPTS")])
            == .eligible(plan: "ANNUAL"))
        let four = (1...4).map { refused(daysAgo: Int64($0), kind: "SERVICE") }
        #expect(decide(four) == .eligible(plan: "ANNUAL"))
    }

    @Test func reportsRefusedByTheCheckCountToo() {
        let mixed = [refused(daysAgo: 1), refused(daysAgo: 2, kind: "REPORT_REFUSED"), refused(daysAgo: 3, kind: "REPORT_REFUSED")]
        #expect(decide(mixed).json["reason"]?.stringValue == "TOO_MANY_REFUSALS")
    }

    @Test func aCompletedBilanStillWinsOverTheCap() {
        let bilans = [refused(daysAgo: 1), refused(daysAgo: 2), refused(daysAgo: 3),
                      .init(id: "done", status: .completed, createdAtMs: Self.now - 5 * Self.day)]
        #expect(decide(bilans) == .alreadyUsed(lastBilanId: "done", nextEligibleAtMs: Self.now - 5 * Self.day + Eligibility.yearMs))
    }

    /// Every setting `Configuration` reads is one a spawned process inherits,
    /// and no request variable is.
    @Test func settingsPassAndRequestVariablesDoNot() throws {
        let source = try #require(readTextFile(TestSupport.repositoryRoot + "/Sources/BilanCore/Config/Configuration.swift"))
        var read: Set<String> = []
        for piece in source.split(separator: "\"") where piece.count > 3
            && piece.allSatisfy({ $0.isUppercase || $0 == "_" }) && piece.contains("_")
        {
            read.insert(String(piece))
        }
        #expect(!read.isEmpty)
        #expect(read.subtracting(SettingNames.all).isEmpty, "not inherited: \(read.subtracting(SettingNames.all))")
        let inherited = SettingNames.inheritable(from: [
            "DATABASE_URL": "postgresql:///x", "HTTP_COOKIE": "bilan_session=secret", "QUERY_STRING": "token=t",
            "REQUEST_METHOD": "POST", "PATH": "/usr/bin", "GEMINI_API_KEY": "k", "CONTENT_TYPE": "text/plain",
        ])
        #expect(inherited == ["DATABASE_URL=postgresql:///x", "GEMINI_API_KEY=k", "PATH=/usr/bin"])
    }

    func configuration(_ values: [String: String]) throws -> Configuration {
        try Configuration.load(Environment(["DATABASE_URL": "postgresql:///x"].merging(values) { $1 }))
    }

    @Test func theSessionCookieIsHostPrefixedOnHTTPS() throws {
        #expect(try configuration(["PUBLIC_URL": "https://www.example.org"]).sessionCookie == "__Host-bilan_session")
        #expect(try configuration(["PUBLIC_URL": "http://127.0.0.1:8080"]).sessionCookie == "bilan_session")
        // A site that names its own cookie keeps it.
        #expect(try configuration(["PUBLIC_URL": "https://www.example.org", "SESSION_COOKIE": "site_sid"]).sessionCookie
            == "site_sid")
    }

    @Test func hstsOnlyOnHTTPS() throws {
        #expect(WebProgram.securityHeaders(try configuration(["PUBLIC_URL": "https://www.example.org"]))
            .contains { $0.0 == "Strict-Transport-Security" && $0.1 == "max-age=31536000" })
        #expect(WebProgram.securityHeaders(try configuration(["PUBLIC_URL": "http://127.0.0.1:8080"])).isEmpty)
    }

    @Test(arguments: [
        ("alice@example.org", "a•••@example.org"), ("Bob Martin <b.martin@lycee.fr>", "b•••@lycee.fr"),
        ("x@y.z", "x•••@y.z"),
    ])
    func maskedAddress(_ address: String, _ masked: String) {
        #expect(MailAddress.masked(address) == masked)
    }

    @Test func lockSpacesAreDistinct() {
        #expect(Set(LockSpace.allCases.map(\.rawValue)).count == LockSpace.allCases.count)
        #expect(LockSpace.loginPerAddress.transactionLock("$1") == "SELECT pg_advisory_xact_lock(7304, hashtext($1))")
    }
}
