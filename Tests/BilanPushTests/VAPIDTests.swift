import Crypto
import Testing
@testable import BilanCore
@testable import BilanPush

/// RFC 8292: the JWT's structure and claims, its ES256 signature checked
/// with the public key alone, and the `Authorization: vapid` header.
@Suite("VAPID (RFC 8292)")
struct VAPIDTests {
    static let now: Int64 = 1_796_000_000

    func settings(subject: String = "mailto:support@example.org") throws -> PushSettings {
        let pair = VAPIDKeyPair.generate()
        return PushSettings(
            publicKey: try #require(Base64.decodeURL(pair.publicKey)), privateKey: try #require(Base64.decodeURL(pair.privateKey)),
            subject: subject)
    }

    func json(_ part: Substring) throws -> JSONValue {
        try JSONParser.parse(try #require(Base64.decodeURL(String(part))))
    }

    @Test func theTokenIsAnES256JWTForTheEndpointsOrigin() throws {
        let settings = try settings()
        let signer = try VAPIDSigner(settings: settings)
        let token = try #require(signer.token(audience: "https://fcm.googleapis.com/fcm/send/abc:def", nowSeconds: Self.now))
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        #expect(!token.contains("="), "base64url without padding")
        #expect(try json(parts[0]) == ["typ": "JWT", "alg": "ES256"])
        let claims = try json(parts[1])
        #expect(claims["aud"] == "https://fcm.googleapis.com")
        #expect(claims["sub"] == "mailto:support@example.org")
        let exp = try #require(claims["exp"]?.numberValue)
        #expect(exp > Double(Self.now) && exp <= Double(Self.now + 24 * 3600))

        let signature = try #require(Base64.decodeURL(String(parts[2])))
        #expect(signature.count == 64, "raw r ‖ s, not DER")
        let publicKey = try P256.Signing.PublicKey(x963Representation: settings.publicKey)
        let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
        #expect(publicKey.isValidSignature(ecdsa, for: Array("\(parts[0]).\(parts[1])".utf8)))
        #expect(!publicKey.isValidSignature(ecdsa, for: Array("\(parts[0]).e30".utf8)))
    }

    @Test func theAudienceKeepsAPortThatIsNotTheDefault() throws {
        let signer = try VAPIDSigner(settings: settings())
        let token = try #require(signer.token(audience: "http://127.0.0.1:8099/push/7", nowSeconds: Self.now))
        #expect(try json(token.split(separator: ".")[1])["aud"] == "http://127.0.0.1:8099")
        let standard = try #require(signer.token(audience: "HTTPS://Push.Example.NET:443/a?b#c", nowSeconds: Self.now))
        #expect(try json(standard.split(separator: ".")[1])["aud"] == "https://push.example.net")
    }

    @Test func theHeaderCarriesTheTokenAndThePublicKey() throws {
        let settings = try settings()
        let header = try #require(try VAPIDSigner(settings: settings).authorization(endpoint: "https://push.example.net/x", nowSeconds: Self.now))
        #expect(header.hasPrefix("vapid t="))
        #expect(header.hasSuffix(", k=" + Base64.encodeURL(settings.publicKey)))
    }

    @Test func aPublicKeyThatIsNotThePrivateKeysIsAConfigurationError() throws {
        var settings = try settings()
        settings.publicKey = try self.settings().publicKey
        #expect(throws: ConfigurationError.self) { try VAPIDSigner(settings: settings) }
        do {
            _ = try VAPIDSigner(settings: settings)
        } catch {
            #expect(error.setting == "VAPID_PUBLIC_KEY")
        }
    }

    @Test func theGeneratedPairIsAPair() throws {
        let pair = VAPIDKeyPair.generate()
        #expect(Base64.decodeURL(pair.publicKey)?.count == 65 && Base64.decodeURL(pair.privateKey)?.count == 32)
        _ = try VAPIDSigner(settings: PushSettings(
            publicKey: try #require(Base64.decodeURL(pair.publicKey)), privateKey: try #require(Base64.decodeURL(pair.privateKey)),
            subject: "https://example.org/contact"))
    }

    @Test func pushServiceAnswersAreClassified() {
        #expect(PushDeliveryOutcome.classify(status: 201) == .delivered)
        #expect(PushDeliveryOutcome.classify(status: 202) == .delivered)
        #expect(PushDeliveryOutcome.classify(status: 404) == .gone(status: 404))
        #expect(PushDeliveryOutcome.classify(status: 410) == .gone(status: 410))
        for status in [429, 500, 502, 503] {
            #expect(PushDeliveryOutcome.classify(status: status) == .retryLater(detail: "push service answered \(status)"))
        }
        for status in [400, 401, 403, 413] {
            #expect(PushDeliveryOutcome.classify(status: status) == .rejected(detail: "push service answered \(status)"))
        }
    }
}
