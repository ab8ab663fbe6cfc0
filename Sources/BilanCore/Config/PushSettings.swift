/// Web Push's VAPID identity (SPEC §14): `VAPID_PUBLIC_KEY` (the 65-byte
/// uncompressed P-256 point), `VAPID_PRIVATE_KEY` (the 32-byte scalar), both
/// base64url without padding, and `VAPID_SUBJECT` (a `mailto:` or `https:`
/// contact for the push services). All three or none: without them the
/// feature is off. Whether the two keys belong together needs elliptic-curve
/// arithmetic, which the handlers do not link: the generator and
/// `bilan-admin check` verify it (`VAPIDSigner`).
public struct PushSettings: Sendable, CustomStringConvertible {
    public var publicKey: [UInt8]
    /// Secret: never logged, never in argv, never in a response.
    public var privateKey: [UInt8]
    public var subject: String

    /// As the page and `k=` send it: base64url, no padding.
    public var publicKeyText: String { Base64.encodeURL(publicKey) }

    /// Never shows the private key, whoever prints a configuration.
    public var description: String { "PushSettings(publicKey: \(publicKeyText), subject: \(subject))" }

    public init(publicKey: [UInt8], privateKey: [UInt8], subject: String) {
        self.publicKey = publicKey
        self.privateKey = privateKey
        self.subject = subject
    }

    static let names = ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"]

    /// Nil when none of the three is set; each failure names its setting.
    static func load(_ env: Environment) throws(ConfigurationError) -> PushSettings? {
        let present = names.filter { env[$0] != nil }
        if present.isEmpty { return nil }
        for name in names where env[name] == nil {
            throw ConfigurationError(setting: name, problem: "required with \(present.joined(separator: " and ")) (Web Push)")
        }
        let publicKey = try key("VAPID_PUBLIC_KEY", env, length: PushSubscription.publicKeyBytes)
        guard publicKey.first == 0x04 else {
            throw ConfigurationError(setting: "VAPID_PUBLIC_KEY", problem: "is not an uncompressed P-256 point (first byte 0x04)")
        }
        let privateKey = try key("VAPID_PRIVATE_KEY", env, length: 32)
        let subject = env["VAPID_SUBJECT"] ?? ""
        guard isValidSubject(subject) else {
            throw ConfigurationError(setting: "VAPID_SUBJECT", problem: "\"\(subject)\" is neither a mailto: address nor an https: URL")
        }
        return PushSettings(publicKey: publicKey, privateKey: privateKey, subject: subject)
    }

    /// RFC 8292 §2.1: a `mailto:` address or an `https:` URL the push
    /// service's operators can reach us at; nothing that could break the JWT.
    public static func isValidSubject(_ subject: String) -> Bool {
        guard subject.utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: "\"") && $0 != 0x5C }) else { return false }
        if subject.hasPrefix("mailto:") { return subject.count > 7 && subject.contains("@") }
        return subject.hasPrefix("https://") && PushEndpoint.origin(of: subject) != nil
    }

    /// The key's bytes; the message never echoes the value (it may be the private key).
    private static func key(_ name: String, _ env: Environment, length: Int) throws(ConfigurationError) -> [UInt8] {
        guard let bytes = Base64.decodeURL(env[name] ?? "") else {
            throw ConfigurationError(setting: name, problem: "is not base64url")
        }
        guard bytes.count == length else {
            throw ConfigurationError(setting: name, problem: "holds \(bytes.count) bytes, expected \(length)")
        }
        return bytes
    }
}
