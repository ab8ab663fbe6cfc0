/// The `Cookie` request header and the `Set-Cookie` answers.
public enum Cookies {
    /// `a=1; b=2` → pairs in order. Malformed pieces are skipped, as browsers do.
    public static func parse(_ header: String?) -> [(String, String)] {
        guard let header else { return [] }
        var result: [(String, String)] = []
        forEachCookie(in: header) { name, value in
            result.append((name, value))
            return true
        }
        return result
    }

    /// The first value of cookie `name`. Read on every request: no array.
    public static func value(named name: String, in header: String?) -> String? {
        guard let header else { return nil }
        var found: String?
        forEachCookie(in: header) { candidate, value in
            guard candidate == name else { return true }
            found = value
            return false
        }
        return found
    }

    /// Calls `body` with each `name=value` pair (spaces trimmed, one pair of
    /// double quotes removed, empty names skipped) until it returns false.
    /// Splits on the UTF-8 bytes: `;` and `=` are ASCII, and Substring's
    /// UTF-8 indices are its own indices, so no Character walking.
    private static func forEachCookie(in header: String, _ body: (String, String) -> Bool) {
        for piece in header[...].utf8.split(separator: UInt8(ascii: ";")) {
            let pair = Substring(piece)
            guard let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = pair[..<equals].trimmingSpaces()
            var value = pair[pair.utf8.index(after: equals)...].trimmingSpaces()
            if value.utf8.count >= 2, value.utf8.first == UInt8(ascii: "\""), value.utf8.last == UInt8(ascii: "\"") {
                value = String(value.dropFirst().dropLast())
            }
            if !name.isEmpty, !body(name, value) { return }
        }
    }

    /// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure on https.
    public static func session(name: String, token: String, maxAgeSeconds: Int, secure: Bool) -> String {
        "\(name)=\(token); Path=/; Max-Age=\(maxAgeSeconds); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// Clears the session cookie in the browser.
    public static func expired(name: String, secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }
}
