public import BilanCore
internal import Crypto

/// RFC 8291 message encryption for Web Push: one `aes128gcm` record
/// (RFC 8188) that only the subscribed browser can open.
///
/// Per message: a fresh P-256 key pair and a random 16-byte salt; ECDH with
/// the browser's `p256dh` key, mixed with its `auth` secret and both public
/// keys (HKDF-SHA-256, "WebPush: info"), gives the input keying material;
/// the salt then gives the content key and the nonce. The body is the
/// RFC 8188 header (salt ‖ record size ‖ key-id length ‖ our public key)
/// followed by the one record: AES-128-GCM of the plaintext ‖ 0x02.
public enum PushEncryption {
    /// The record size written in the header (RFC 8291 §4 uses 4096); our
    /// payloads are a few hundred bytes, always one record.
    static let recordSize: UInt32 = 4096
    /// RFC 8291 §4: push services need not accept more than 4096 bytes of
    /// body, i.e. 3993 bytes of plaintext once header, delimiter and tag are in.
    public static let maxPlaintextBytes = 3993

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// `p256dh` is not a point of the curve, or `auth` is not 16 bytes.
        case unusableSubscriptionKeys
        case payloadTooLarge(Int)

        public var description: String {
            switch self {
            case .unusableSubscriptionKeys: return "the subscription's p256dh/auth keys are unusable"
            case .payloadTooLarge(let size): return "payload of \(size) bytes exceeds \(PushEncryption.maxPlaintextBytes)"
            }
        }
    }

    /// The encrypted body for `subscription`, with a fresh key pair and salt.
    public static func encrypt(_ plaintext: [UInt8], for subscription: PushSubscription) throws(Failure) -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        return try encrypt(
            plaintext, for: subscription, ephemeralPrivateKey: Array(P256.KeyAgreement.PrivateKey().rawRepresentation),
            salt: salt)
    }

    /// The same with the sender's key and salt given: RFC 8291's worked
    /// example (§5, Appendix A) is reproduced byte for byte this way.
    static func encrypt(
        _ plaintext: [UInt8], for subscription: PushSubscription, ephemeralPrivateKey: [UInt8], salt: [UInt8]
    ) throws(Failure) -> [UInt8] {
        guard plaintext.count <= maxPlaintextBytes else { throw .payloadTooLarge(plaintext.count) }
        let keys = try PushKeyDerivation(subscription: subscription, ephemeralPrivateKey: ephemeralPrivateKey, salt: salt)
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(
                plaintext + [0x02], using: SymmetricKey(data: keys.contentEncryptionKey),
                nonce: try AES.GCM.Nonce(data: keys.nonce))
        } catch {
            // Only a key or nonce of the wrong size fails here, and ours are fixed.
            throw .unusableSubscriptionKeys
        }
        return header(salt: salt, senderPublicKey: keys.senderPublicKey) + Array(sealed.ciphertext) + Array(sealed.tag)
    }

    /// RFC 8188 §2.1: salt (16) ‖ rs (4, big-endian) ‖ idlen (1) ‖ keyid (our public key, 65).
    static func header(salt: [UInt8], senderPublicKey: [UInt8]) -> [UInt8] {
        let size = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: recordSize >> UInt32($0)) }
        return salt + size + [UInt8(senderPublicKey.count)] + senderPublicKey
    }
}

/// The keys of RFC 8291 §3.3–3.4 and RFC 8188 §2.2, each kept so the tests
/// compare them with the intermediate values of RFC 8291 Appendix A.
struct PushKeyDerivation {
    let senderPublicKey: [UInt8]
    let ecdhSecret: [UInt8]
    /// HMAC-SHA-256(auth_secret, ecdh_secret).
    let authPseudoRandomKey: [UInt8]
    /// "WebPush: info" ‖ 0x00 ‖ ua_public ‖ as_public.
    let keyInfo: [UInt8]
    /// HMAC-SHA-256(PRK_key, key_info ‖ 0x01).
    let inputKeyingMaterial: [UInt8]
    /// HMAC-SHA-256(salt, IKM).
    let pseudoRandomKey: [UInt8]
    let contentEncryptionKey: [UInt8]
    let nonce: [UInt8]

    init(subscription: PushSubscription, ephemeralPrivateKey: [UInt8], salt: [UInt8]) throws(PushEncryption.Failure) {
        guard let receiverKey = Base64.decodeURL(subscription.p256dh),
            let authSecret = Base64.decodeURL(subscription.auth), authSecret.count == 16, salt.count == 16,
            let receiver = try? P256.KeyAgreement.PublicKey(x963Representation: receiverKey),
            let sender = try? P256.KeyAgreement.PrivateKey(rawRepresentation: ephemeralPrivateKey),
            let shared = try? sender.sharedSecretFromKeyAgreement(with: receiver)
        else { throw .unusableSubscriptionKeys }
        senderPublicKey = Array(sender.publicKey.x963Representation)
        ecdhSecret = shared.withUnsafeBytes { Array($0) }
        authPseudoRandomKey = Self.hmac(key: authSecret, ecdhSecret)
        keyInfo = Array("WebPush: info".utf8) + [0x00] + receiverKey + senderPublicKey
        inputKeyingMaterial = Self.hmac(key: authPseudoRandomKey, keyInfo + [0x01])
        pseudoRandomKey = Self.hmac(key: salt, inputKeyingMaterial)
        contentEncryptionKey = Array(Self.hmac(key: pseudoRandomKey, Array("Content-Encoding: aes128gcm".utf8) + [0x00, 0x01]).prefix(16))
        nonce = Array(Self.hmac(key: pseudoRandomKey, Array("Content-Encoding: nonce".utf8) + [0x00, 0x01]).prefix(12))
    }

    /// One HKDF step written out (extract, or expand of a single block),
    /// so each intermediate value of the RFC is visible.
    static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
