/// The site's public address (`PUBLIC_URL`): links in mails, and the only
/// origin allowed to post to us.
public struct PublicURL: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// Path prefix without a trailing slash ("" at the root).
    public var path: String

    public init?(_ text: String) {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            scheme = "https"; rest = text.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            scheme = "http"; rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        var pathPart = String(rest.dropFirst(authority.count))
        while pathPart.hasSuffix("/") { pathPart.removeLast() }
        guard !authority.isEmpty, !authority.contains("@"), !pathPart.contains("?"), !pathPart.contains("#") else {
            return nil
        }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return nil
            }
            host = String(authority[..<colon]).lowercased()
            port = number
        } else {
            host = String(authority).lowercased()
            port = nil
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ isTokenByte($0) || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: ":") })
        else { return nil }
        path = pathPart
    }

    public var isHTTPS: Bool { scheme == "https" }

    /// `scheme://host[:port]` as browsers send it in `Origin` (default ports omitted).
    public var origin: String {
        let defaultPort = isHTTPS ? 443 : 80
        if let port, port != defaultPort { return "\(scheme)://\(host):\(port)" }
        return "\(scheme)://\(host)"
    }

    /// An absolute URL for a site path such as `/orientation/resultat/<id>`.
    public func link(_ sitePath: String) -> String { origin + path + sitePath }
}
