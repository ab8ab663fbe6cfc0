import BilanCore

/// Resolves the session cookie to a user through the `SessionStore`.
public struct SessionAuth {
    let cookieName: String
    let sessions: any SessionStore

    init(cookieName: String, sessions: any SessionStore) {
        self.cookieName = cookieName
        self.sessions = sessions
    }

    /// The session token if the cookie holds something shaped like one of ours.
    public func token(in request: Request) -> String? { Self.token(in: request, cookieName: cookieName) }

    /// The same, for routes that resolve the token themselves (with the
    /// bilan in one round trip, or to end the session): anything else than
    /// a token is treated as no cookie without asking the database.
    static func token(in request: Request, cookieName: String) -> String? {
        guard let value = Cookies.value(named: cookieName, in: request.header("Cookie")) else { return nil }
        return SessionToken.isWellFormed(value) ? value : nil
    }

    /// The logged-in user's id, or throws 401.
    public func requireUser(_ request: Request) throws -> String {
        guard let token = token(in: request) else { throw HTTPError.unauthenticated }
        guard let user = try sessions.user(forSession: token) else { throw HTTPError.unauthenticated }
        return user
    }
}

/// Session and login tokens: 256 random bits from the kernel, hex-encoded.
public enum SessionToken {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// Tokens are 16 to 256 characters of `[A-Za-z0-9_-]`: sites that plug in
    /// their own sessions may use other lengths, but never other characters.
    public static func isWellFormed(_ text: String) -> Bool {
        (16...256).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }
}
