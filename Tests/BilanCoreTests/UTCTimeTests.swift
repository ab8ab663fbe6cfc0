import Testing
import BilanTestSupport
@testable import BilanCore

/// Dates without Foundation: API (ISO 8601), mail headers (RFC 5322), pages (French).
@Suite("UTC time formatting")
struct UTCTimeTests {
    static let day: Int64 = 86_400_000
    static let leapDay: Int64 = 1_709_210_096_789  // 2024-02-29T12:34:56.789Z
    static let newYear2025: Int64 = 20_089 * 86_400_000  // 2025-01-01T00:00:00Z

    @Test func epoch() {
        #expect(UTCTime.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCTime.rfc5322(0) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(UTCTime.frenchDate(0) == "1er janvier 1970")
    }

    @Test func leapDay2024() {
        #expect(UTCTime.iso8601(Self.leapDay) == "2024-02-29T12:34:56.789Z")
        #expect(UTCTime.rfc5322(Self.leapDay) == "Thu, 29 Feb 2024 12:34:56 +0000")
        #expect(UTCTime.frenchDate(Self.leapDay) == "29 février 2024")
        #expect(UTCTime.iso8601(Self.leapDay + Self.day) == "2024-03-01T12:34:56.789Z")
        #expect(UTCTime.iso8601(Self.leapDay - Self.day) == "2024-02-28T12:34:56.789Z")
    }

    @Test func firstOfJanuary() {
        #expect(UTCTime.iso8601(Self.newYear2025) == "2025-01-01T00:00:00.000Z")
        #expect(UTCTime.rfc5322(Self.newYear2025) == "Wed, 01 Jan 2025 00:00:00 +0000")
        #expect(UTCTime.frenchDate(Self.newYear2025) == "1er janvier 2025")
        #expect(UTCTime.iso8601(Self.newYear2025 - 1) == "2024-12-31T23:59:59.999Z")
        #expect(UTCTime.frenchDate(Self.newYear2025 - 1) == "31 décembre 2024")
    }

    @Test func otherMonthsInFrench() {
        // 2025-08-15, 2025-06-02
        #expect(UTCTime.frenchDate(Self.newYear2025 + 226 * Self.day) == "15 août 2025")
        #expect(UTCTime.frenchDate(Self.newYear2025 + 152 * Self.day) == "2 juin 2025")
    }

    @Test func beforeEpoch() {
        #expect(UTCTime.iso8601(-1) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTime.rfc5322(-1) == "Wed, 31 Dec 1969 23:59:59 +0000")
    }

    @Test func year2000AndFarFuture() {
        // 2000-02-29 (a leap year divisible by 400) and 2100-03-01 (2100 is not a leap year).
        #expect(UTCTime.iso8601(11_016 * Self.day) == "2000-02-29T00:00:00.000Z")
        #expect(UTCTime.iso8601(47_541 * Self.day) == "2100-03-01T00:00:00.000Z")
        #expect(UTCTime.rfc5322(47_541 * Self.day) == "Mon, 01 Mar 2100 00:00:00 +0000")
    }

    @Test func nowIsPlausible() {
        let now = UTCTime.nowMilliseconds()
        #expect(now > Self.leapDay)
        #expect(UTCTime.iso8601(now).hasSuffix("Z"))
        let a = UTCTime.monotonicSeconds()
        let b = UTCTime.monotonicSeconds()
        #expect(b >= a)
    }
}
