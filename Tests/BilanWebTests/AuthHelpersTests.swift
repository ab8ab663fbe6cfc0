import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// SPEC §3, authentication: cookies, tokens, the return URL and the same-origin check.
@Suite("Cookies, tokens, return paths, origin")
struct AuthHelpersTests {
    // MARK: cookies

    @Test func parseCookieHeader() {
        let pairs = Cookies.parse("a=1; bilan_session=abc;other=x=y ; broken; =nameless; quoted=\"v\"")
        #expect(pairs.map(\.0) == ["a", "bilan_session", "other", "quoted"])
        #expect(pairs.map(\.1) == ["1", "abc", "x=y", "v"])
        #expect(Cookies.parse(nil).isEmpty)
        #expect(Cookies.parse("").isEmpty)
    }

    @Test func valueByExactName() {
        let header = "xbilan_session=evil; bilan_session_old=old; bilan_session=good; bilan_session=second"
        #expect(Cookies.value(named: "bilan_session", in: header) == "good")
        #expect(Cookies.value(named: "missing", in: header) == nil)
        #expect(Cookies.value(named: "bilan_session", in: nil) == nil)
    }

    func attributes(_ setCookie: String) -> [String] {
        setCookie.split(separator: ";").map { $0.trimmingSpaces() }
    }

    @Test func sessionCookieFlags() {
        let plain = Cookies.session(name: "bilan_session", token: "tok123", maxAgeSeconds: 2_592_000, secure: false)
        let parts = attributes(plain)
        #expect(parts.first == "bilan_session=tok123")
        #expect(parts.contains("HttpOnly"))
        #expect(parts.contains("SameSite=Lax"))
        #expect(parts.contains("Path=/"))
        #expect(parts.contains("Max-Age=2592000"))
        #expect(!parts.contains("Secure"))

        let secure = attributes(Cookies.session(name: "s", token: "t", maxAgeSeconds: 60, secure: true))
        #expect(secure.contains("Secure"))
        #expect(secure.contains("HttpOnly"))
    }

    @Test func expiredCookie() {
        let parts = attributes(Cookies.expired(name: "bilan_session", secure: true))
        #expect(parts.first == "bilan_session=")
        #expect(parts.contains("Max-Age=0"))
        #expect(parts.contains("Path=/"))
        #expect(parts.contains("Secure"))
        #expect(!attributes(Cookies.expired(name: "bilan_session", secure: false)).contains("Secure"))
    }

    // MARK: session tokens

    @Test func generatedTokens() {
        let first = SessionToken.generate()
        let second = SessionToken.generate()
        #expect(first.utf8.count == 64)  // 256 bits in hex, ≥ 128 bits
        #expect(first.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        #expect(first != second)
        #expect(SessionToken.isWellFormed(first))
        // Many draws: no repeats, and all 16 hex digits show up.
        let many = (0..<200).map { _ in SessionToken.generate() }
        #expect(Set(many).count == 200)
        #expect(Set(many.joined()).count == 16)
    }

    @Test func wellFormedTokens() {
        #expect(SessionToken.isWellFormed(TestSupport.repeated("a", 16)))
        #expect(SessionToken.isWellFormed(TestSupport.repeated("Z", 256)))
        #expect(SessionToken.isWellFormed("abc_DEF-0123456789"))
        #expect(!SessionToken.isWellFormed(TestSupport.repeated("a", 15)))
        #expect(!SessionToken.isWellFormed(TestSupport.repeated("a", 257)))
        #expect(!SessionToken.isWellFormed(""))
        for bad in ["abcdefghijklmnop;", "abcdefghijklmnop ", "abcdefghijklmno'", "abcdefghijklmnopé", "abcdefgh\u{0}ijklmnop"] {
            #expect(!SessionToken.isWellFormed(bad), "\(bad)")
        }
    }

    // MARK: return path

    @Test(arguments: [
        "//evil.example", "/\\evil.example", "https://evil.example", "http://evil.example/", "javascript:alert(1)",
        "evil.example", "", "/\t/evil.example", "/ok\r\nSet-Cookie: x=y", "/ok\nx", "/a\u{0}b", "/é", "/a b",
        "\\\\evil.example",
    ])
    func returnPathRefused(_ candidate: String) {
        #expect(ReturnPath.sanitize(candidate) == "/orientation/")
    }

    @Test func returnPathKept() {
        #expect(ReturnPath.sanitize("/orientation/resultat/0f8fad5b-d9cb-469f-a165-70867728950e")
            == "/orientation/resultat/0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(ReturnPath.sanitize("/orientation/?x=1&y=%2F") == "/orientation/?x=1&y=%2F")
        #expect(ReturnPath.sanitize("/") == "/")
        #expect(ReturnPath.sanitize(nil) == "/orientation/")
        #expect(ReturnPath.sanitize("/" + TestSupport.repeated("a", 2000)) == "/orientation/")
    }

    // MARK: same origin

    func request(_ headers: [String: String]) -> Request {
        Request(params: cgiParameters(headers: headers).merging(["REQUEST_METHOD": "POST"]) { $1 })
    }

    func refused(_ headers: [String: String], url: String = "https://bilan.example.org", requirePresence: Bool = true)
        -> HTTPError?
    {
        let publicURL = PublicURL(url)!
        do {
            try OriginCheck.verify(request(headers), publicURL: publicURL, requirePresence: requirePresence)
            return nil
        } catch let error as HTTPError {
            return error
        } catch {
            return HTTPError(500, "unexpected", "\(error)")
        }
    }

    @Test func sameOriginAccepted() {
        #expect(refused(["Origin": "https://bilan.example.org"]) == nil)
        #expect(refused(["Origin": "HTTPS://Bilan.Example.ORG"]) == nil)
        #expect(refused(["Referer": "https://bilan.example.org/orientation/"]) == nil)
        #expect(refused(["Origin": "null", "Referer": "https://bilan.example.org/x"]) == nil)
        #expect(refused(["Origin": "http://127.0.0.1:8080"], url: "http://127.0.0.1:8080/") == nil)
        #expect(refused(["Origin": "https://bilan.example.org"], url: "https://bilan.example.org:443/site") == nil)
    }

    @Test func otherOriginsRefused() {
        let cases: [[String: String]] = [
            ["Origin": "https://evil.example"],
            ["Origin": "http://bilan.example.org"],
            ["Origin": "https://bilan.example.org.evil.example"],
            ["Origin": "https://bilan.example.org:8443"],
            ["Origin": "https://evil.example", "Referer": "https://bilan.example.org/"],
            ["Referer": "https://bilan.example.org.evil.example/"],
            ["Referer": "https://bilan.example.orgevil/"],
            ["Referer": "https://evil.example/?https://bilan.example.org/"],
            ["Origin": "null"],
            [:],
        ]
        for headers in cases {
            let error = refused(headers)
            #expect(error?.status == 403, "\(headers)")
            #expect(error?.code == "forbidden_origin", "\(headers)")
        }
        #expect(refused(["Origin": "http://127.0.0.1:8081"], url: "http://127.0.0.1:8080")?.code == "forbidden_origin")
    }

    @Test func absentHeadersAllowedOnlyWhenNotRequired() {
        #expect(refused([:], requirePresence: false) == nil)
        #expect(refused(["Origin": "https://evil.example"], requirePresence: false)?.code == "forbidden_origin")
    }
}
