/// The `Cookie` request header and the `Set-Cookie` answers.
public enum Cookies {
    /// `a=1; b=2` → pairs in order. Malformed pieces are skipped, as browsers do.
    public static func parse(_ header: String?) -> [(String, String)] {
        guard let header else { return [] }
        var result: [(String, String)] = []
        for piece in header.split(separator: ";") {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingSpaces()
            var value = piece[piece.index(after: equals)...].trimmingSpaces()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            if !name.isEmpty { result.append((name, value)) }
        }
        return result
    }

    /// The first value of cookie `name`.
    public static func value(named name: String, in header: String?) -> String? {
        parse(header).first { $0.0 == name }?.1
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
