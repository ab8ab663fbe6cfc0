public import BilanCore
internal import Crypto

/// RFC 8292 (VAPID): proves to a push service that the messages come from
/// the holder of `VAPID_PRIVATE_KEY`, the key the browser subscribed with.
/// `Authorization: vapid t=<JWT>, k=<public key>`, the JWT ES256-signed
/// with `aud` the endpoint's origin, `exp` at most 24 h ahead, `sub` the
/// site's contact.
public struct VAPIDSigner {
    /// 12 h: well under the 24 h push services accept, and a message is
    /// signed right before it is sent.
    public static let lifetimeSeconds: Int64 = 12 * 3600

    let privateKey: P256.Signing.PrivateKey
    let publicKeyText: String
    let subject: String

    /// Fails naming `VAPID_PUBLIC_KEY` when it is not the public half of
    /// `VAPID_PRIVATE_KEY`: every push service would refuse our messages.
    public init(settings: PushSettings) throws(ConfigurationError) {
        guard let key = try? P256.Signing.PrivateKey(rawRepresentation: settings.privateKey) else {
            throw ConfigurationError(setting: "VAPID_PRIVATE_KEY", problem: "is not a P-256 private key")
        }
        guard Array(key.publicKey.x963Representation) == settings.publicKey else {
            throw ConfigurationError(setting: "VAPID_PUBLIC_KEY", problem: "is not the public key of VAPID_PRIVATE_KEY")
        }
        privateKey = key
        publicKeyText = settings.publicKeyText
        subject = settings.subject
    }

    /// The `Authorization` header's value for a message to `endpoint`.
    public func authorization(endpoint: String, nowSeconds: Int64) -> String? {
        guard let token = token(audience: endpoint, nowSeconds: nowSeconds) else { return nil }
        return "vapid t=\(token), k=\(publicKeyText)"
    }

    /// header.claims.signature, each base64url; nil when `endpoint` has no origin.
    func token(audience endpoint: String, nowSeconds: Int64) -> String? {
        guard let audience = PushEndpoint.origin(of: endpoint) else { return nil }
        let header: JSONValue = ["typ": "JWT", "alg": "ES256"]
        let claims: JSONValue = [
            "aud": .string(audience), "exp": .number(Double(nowSeconds + Self.lifetimeSeconds)), "sub": .string(subject),
        ]
        let signingInput = Base64.encodeURL(header.serializedBytes) + "." + Base64.encodeURL(claims.serializedBytes)
        // ES256 is the raw r ‖ s form (RFC 7518 §3.4), not DER.
        guard let signature = try? privateKey.signature(for: Array(signingInput.utf8)) else { return nil }
        return signingInput + "." + Base64.encodeURL(Array(signature.rawRepresentation))
    }
}

/// A new VAPID identity, for `bilan-admin vapid-keys`.
public enum VAPIDKeyPair {
    /// (public: 65-byte uncompressed point, private: 32-byte scalar), base64url.
    public static func generate() -> (publicKey: String, privateKey: String) {
        let key = P256.Signing.PrivateKey()
        return (Base64.encodeURL(Array(key.publicKey.x963Representation)), Base64.encodeURL(Array(key.rawRepresentation)))
    }
}
