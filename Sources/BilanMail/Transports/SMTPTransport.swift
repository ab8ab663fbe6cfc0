import BilanCore
import BilanHTTP

/// SMTP through libcurl. `SMTP_URL` carries host, port and optional
/// credentials; the credentials are split off and given to libcurl as
/// options, so the URL we might log never holds the password.
public struct SMTPTransport: MailTransport {
    let endpoint: SMTPEndpoint?
    let security: Configuration.SMTPSecurity

    public init(url: String, security: Configuration.SMTPSecurity) {
        self.endpoint = SMTPEndpoint(url)
        self.security = security
    }

    public func send(_ message: [UInt8], envelopeFrom: String, recipient: String) throws {
        do {
            let curl = try connectedHandle()
            try curl.set(.mailFrom("<\(envelopeFrom)>"))
            try curl.set(.mailRecipients(["<\(recipient)>"]))
            try curl.set(.connectTimeout(seconds: 10))
            try curl.set(.timeout(seconds: 60))
            try curl.upload(message)
            _ = try curl.perform()
        } catch let error as CurlError {
            throw MailError(transport: "smtp", detail: "\(error.message) (code \(error.code))")
        }
    }

    /// Connects, says EHLO, upgrades to TLS and authenticates as a send would,
    /// then sends NOOP: proves the settings without sending anything.
    public func checkConnection() throws {
        do {
            let curl = try connectedHandle()
            try curl.set(.customRequest("NOOP"))
            try curl.set(.noBody)
            try curl.set(.connectTimeout(seconds: 10))
            try curl.set(.timeout(seconds: 20))
            _ = try curl.perform()
        } catch let error as CurlError {
            throw MailError(transport: "smtp", detail: "\(error.message) (code \(error.code))")
        }
    }

    /// A handle with the server, TLS mode and credentials set.
    private func connectedHandle() throws -> CurlEasy {
        guard let endpoint else { throw MailError(transport: "smtp", detail: "SMTP_URL invalide") }
        let curl = try CurlEasy()
        let scheme = security == .tls ? "smtps" : "smtp"
        try curl.set(.url("\(scheme)://\(endpoint.hostAndPort)/\(endpoint.heloName)"))
        try curl.set(.tls(security == .none ? .none : .required))
        if let user = endpoint.user { try curl.set(.username(user)) }
        if let password = endpoint.password { try curl.set(.password(password)) }
        return curl
    }
}

/// The parts of `smtp://user:pass@host:port/helo`.
struct SMTPEndpoint {
    var hostAndPort: String
    var user: String?
    var password: String?
    var heloName: String

    init?(_ url: String) {
        let rest: Substring
        if url.hasPrefix("smtp://") {
            rest = url.dropFirst(7)
        } else if url.hasPrefix("smtps://") {
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        heloName = String(rest.dropFirst(authority.count).drop { $0 == "/" })
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostAndPort = String(authority[authority.index(after: at)...])
            if let colon = credentials.firstIndex(of: ":") {
                user = percentDecoded(credentials[..<colon])
                password = percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                user = percentDecoded(credentials)
            }
        } else {
            hostAndPort = String(authority)
        }
        if hostAndPort.isEmpty { return nil }
    }
}

/// Credentials in URLs are percent-encoded (`p%40ss` for `p@ss`).
private func percentDecoded(_ text: Substring) -> String {
    var out: [UInt8] = []
    let bytes = Array(text.utf8)
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
            let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
        {
            out.append(value)
            index += 3
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}
