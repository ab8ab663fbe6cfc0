import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `bilan-auth` fed in-process (SPEC §3, §16): the login answer is the same
/// for every address and the link is queued after it, through the store (no
/// mail is sent here); the callback's GET consumes nothing, its POST opens
/// the session; logout ends it.
@Suite("Login routes, in-process")
struct AuthRouteTests {
    static let email = "Eleve@Example.org"
    static let user = "5a0f9a9e-3c1b-4d2e-8f4a-6b7c8d9e0f10"

    func site() throws -> InMemorySite {
        let site = try InMemorySite()
        site.store.addresses[Self.email.lowercased()] = Self.user
        return site
    }

    func login(_ site: InMemorySite, email: String, returnTo: String = "/orientation/resultat/abc") -> Response {
        let body: JSONValue = ["email": .string(email), "returnTo": .string(returnTo)]
        return site.send(site.authRoutes, site.post("/auth/login", contentType: "application/json", body: body.serialized))
    }

    /// Runs what the route left for after the answer (the queueing).
    func finish(_ response: Response) {
        response.afterFinish.forEach { $0() }
    }

    @Test func aKnownAddressGetsALinkQueuedAfterTheAnswer() throws {
        let site = try site()
        let response = login(site, email: Self.email)
        #expect(response.status == 200)
        #expect(try response.json()["ok"] == true)
        #expect(try response.json()["message"] == .string(AuthRoutes.neutralAnswer))
        #expect(site.store.mailQueue.isEmpty)  // nothing before the answer has left
        finish(response)
        let queued = try #require(site.store.mailQueue.first)
        #expect(site.store.mailQueue.count == 1)
        #expect(queued.recipient == Self.email && queued.user == Self.user)
        #expect(queued.mail.template == "login")
        let link = try #require(site.store.loginLinks.first?.link)
        #expect(queued.mail.values["link"] == .string(InMemorySite.origin + "/auth/callback?token=" + link.token))
        #expect(link.returnTo == "/orientation/resultat/abc")
        #expect(SessionToken.isWellFormed(link.token))
        #expect(site.spawner.started == [["send-mail"]])
    }

    @Test func anUnknownAddressGetsTheSameAnswerAndNothingIsQueued() throws {
        let site = try site()
        let known = login(site, email: Self.email)
        let unknown = login(site, email: "personne@example.org")
        #expect(unknown.status == known.status)
        #expect(unknown.body == known.body)
        #expect(unknown.headers.map(\.0) == known.headers.map(\.0))
        finish(unknown)
        #expect(site.store.mailQueue.isEmpty && site.store.loginLinks.isEmpty)
        #expect(site.spawner.started.isEmpty)
    }

    @Test func linksBeyondTheLimitAreDroppedWithTheSameAnswer() throws {
        let site = try site()
        for _ in 0..<(AuthRoutes.loginLinkLimits.perQuarterHour + 2) {
            let response = login(site, email: Self.email)
            #expect(response.status == 200)
            finish(response)
        }
        #expect(site.store.mailQueue.count == AuthRoutes.loginLinkLimits.perQuarterHour)
    }

    @Test func theFormIsRedirectedToCheckInbox() throws {
        let site = try site()
        let response = site.send(
            site.authRoutes,
            site.post("/auth/login", contentType: "application/x-www-form-urlencoded", body: "email=eleve%40example.org"))
        #expect(response.status == 303)
        #expect(response.header("Location") == "/auth/check-inbox.html")
        finish(response)
        #expect(site.store.mailQueue.count == 1)
        #expect(site.store.loginLinks.first?.link.returnTo == ReturnPath.fallback)
    }

    @Test func refusedLogins() throws {
        let site = try site()
        let invalid = login(site, email: "pas une adresse")
        #expect(invalid.status == 400)
        #expect(try invalid.json()["field"] == "email")
        #expect(invalid.afterFinish.isEmpty)
        let foreign = site.send(
            site.authRoutes,
            site.post("/auth/login", contentType: "application/json", body: #"{"email":"eleve@example.org"}"#, headers: ["Origin": "https://evil.example"]))
        #expect(foreign.status == 403)
        #expect(try foreign.json()["error"] == "forbidden_origin")
        let text = site.send(site.authRoutes, site.post("/auth/login", contentType: "text/plain", body: "eleve@example.org"))
        #expect(text.status == 415)
        expectMethodNotAllowed(site.send(site.authRoutes, site.request("GET", "/auth/login")), allow: "POST")
    }

    /// A link queued for the known address; its token.
    func queuedToken(_ site: InMemorySite) throws -> String {
        finish(login(site, email: Self.email))
        return try #require(site.store.loginLinks.last?.link.token)
    }

    @Test func theLinksPageAsksForAClickAndConsumesNothing() throws {
        let site = try site()
        let token = try queuedToken(site)
        for _ in 0..<2 {
            let page = site.send(site.authRoutes, site.request("GET", "/auth/callback?token=" + token))
            #expect(page.status == 200)
            #expect(page.header("Referrer-Policy") == "strict-origin")
            #expect(page.header("Cache-Control") == "no-store")
            #expect(page.text.contains(HTMLEscaping.escape(MailAddress.masked(Self.email))))
            #expect(page.text.contains(token))
        }
        #expect(site.store.loginLinks.allSatisfy { !$0.used })
        #expect(site.store.sessions.isEmpty)
        let head = site.send(site.authRoutes, site.request("HEAD", "/auth/callback?token=" + token))
        #expect(head.status == 200 && head.body.isEmpty)
    }

    @Test func anUnknownOrMalformedLinkIsTheInvalidLinkPage() throws {
        let site = try site()
        for query in ["token=" + SessionToken.generate(), "token=court", ""] {
            let page = site.send(site.authRoutes, site.request("GET", "/auth/callback?" + query))
            #expect(page.status == 400, "\(query)")
            #expect(page.text.contains("Lien invalide ou expiré"))
            #expect(page.header("Referrer-Policy") == "strict-origin")
        }
    }

    @Test func theConfirmationsPostOpensTheSessionOnce() throws {
        let site = try site()
        let token = try queuedToken(site)
        let older = SessionToken.generate()
        site.store.sessions[older] = Self.user
        let confirm = site.post("/auth/callback", contentType: "application/x-www-form-urlencoded", body: "token=" + token)
        let response = site.send(site.authRoutes, confirm)
        #expect(response.status == 303)
        #expect(response.header("Location") == "/orientation/resultat/abc")
        let cookie = try #require(response.header("Set-Cookie"))
        #expect(cookie.hasPrefix(site.configuration.sessionCookie + "="))
        #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("Max-Age=2592000"))
        let session = String(cookie.dropFirst(site.configuration.sessionCookie.count + 1).prefix { $0 != ";" })
        #expect(site.store.sessions == [session: Self.user])  // the older session ended
        let again = site.send(site.authRoutes, confirm)
        #expect(again.status == 400)
        #expect(again.header("Set-Cookie") == nil)
    }

    @Test func theConfirmationFromAnotherSiteIsRefused() throws {
        let site = try site()
        let token = try queuedToken(site)
        let forged = site.post(
            "/auth/callback", contentType: "application/x-www-form-urlencoded", body: "token=" + token,
            headers: ["Origin": "https://evil.example"])
        #expect(site.send(site.authRoutes, forged).status == 403)
        #expect(site.store.loginLinks.allSatisfy { !$0.used })
    }

    @Test func logoutEndsTheSessionAndClearsTheCookie() throws {
        let site = try site()
        let (_, session) = site.signIn(Self.user)
        let json = site.send(site.authRoutes, site.post("/auth/logout", session: session, contentType: "application/json", body: ""))
        #expect(json.status == 200)
        #expect(try json.json()["ok"] == true)
        #expect(json.header("Set-Cookie")?.hasPrefix(site.configuration.sessionCookie + "=;") == true)
        #expect(json.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(site.store.sessions.isEmpty)

        let (_, another) = site.signIn(Self.user)
        let form = site.send(
            site.authRoutes,
            site.post("/auth/logout", session: another, contentType: "application/x-www-form-urlencoded", body: ""))
        #expect(form.status == 303)
        #expect(form.header("Location") == site.configuration.loginPath)
        #expect(site.store.sessions.isEmpty)
    }

    @Test func databaseDownIs503() throws {
        let site = try site()
        let token = try queuedToken(site)
        site.store.unreachable = true
        try expectDatabaseUnavailable(site.send(site.authRoutes, site.request("GET", "/auth/callback?token=" + token)))
    }
}
