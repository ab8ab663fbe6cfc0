import Crypto
import Testing
@testable import BilanCore
@testable import BilanPush

/// RFC 8291's worked example (§5) with its intermediate values (Appendix A):
/// the sender's key pair and the salt are injected, so every byte is fixed.
@Suite("RFC 8291 aes128gcm encryption")
struct PushEncryptionTests {
    enum RFC8291 {
        static let plaintext = "When I grow up, I want to be a watermelon"
        static let senderPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        static let senderPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
        static let receiverPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        static let receiverPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
        static let salt = "DGv6ra1nlYgDCS1FRnbzlw"
        static let authSecret = "BTBZMqHH6r4Tts7J_aSIgg"
        // Appendix A.
        static let ecdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"
        static let keyInfo =
            "V2ViUHVzaDogaW5mbwAEJXGyvs3942BVGq8e0PTNNmwRzr5VX4m8t7GGpTM5FzFo7OLr4BhZe9MEebhuPI-OztV3ylkYfpJGmQ22ggCLDgT-M_SrDepxkU21WCP3O1SUj0EwbZIHMtu5pZpTKGSCIA5Zent7wmC6HCJ5mFgJkuk5cwAvMBKiiujwa7t45ewP"
        static let authPRK = "Snr3JMxaHVDXHWJn5wdC52WjpCtd2EIEGBykDcZW32k"
        static let ikm = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg"
        static let prk = "09_eUZGrsvxChDCGRCdkLiDXrReGOEVeSCdCcPBSJSc"
        static let cek = "oIhVW04MRdy2XN9CiKLxTg"
        static let nonce = "4h_95klXJ5E_qnoN"
        static let header =
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        static let ciphertext = "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ"

        static var subscription: PushSubscription {
            PushSubscription(endpoint: "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV", p256dh: receiverPublic, auth: authSecret)
        }
    }

    func bytes(_ text: String) throws -> [UInt8] { try #require(Base64.decodeURL(text)) }

    @Test func theKeysOfAppendixA() throws {
        let keys = try PushKeyDerivation(
            subscription: RFC8291.subscription, ephemeralPrivateKey: bytes(RFC8291.senderPrivate), salt: bytes(RFC8291.salt))
        #expect(keys.senderPublicKey == (try bytes(RFC8291.senderPublic)))
        #expect(keys.ecdhSecret == (try bytes(RFC8291.ecdhSecret)))
        #expect(keys.authPseudoRandomKey == (try bytes(RFC8291.authPRK)))
        #expect(keys.keyInfo == (try bytes(RFC8291.keyInfo)))
        #expect(keys.inputKeyingMaterial == (try bytes(RFC8291.ikm)))
        #expect(keys.pseudoRandomKey == (try bytes(RFC8291.prk)))
        #expect(keys.contentEncryptionKey == (try bytes(RFC8291.cek)))
        #expect(keys.nonce == (try bytes(RFC8291.nonce)))
    }

    @Test func theMessageOfSection5ByteForByte() throws {
        let body = try PushEncryption.encrypt(
            Array(RFC8291.plaintext.utf8), for: RFC8291.subscription,
            ephemeralPrivateKey: bytes(RFC8291.senderPrivate), salt: bytes(RFC8291.salt))
        #expect(body == (try bytes(RFC8291.header) + bytes(RFC8291.ciphertext)))
        // The RFC 8188 header: salt, record size 4096, key id length 65, our key.
        #expect(Array(body[16..<21]) == [0x00, 0x00, 0x10, 0x00, 65])
    }

    /// What a browser does with a message: ECDH with its own private key,
    /// the same derivation, AES-GCM open, then the 0x02 delimiter.
    @Test func aFreshMessageOpensWithTheReceiversPrivateKey() throws {
        let receiver = P256.KeyAgreement.PrivateKey()
        let auth = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let subscription = PushSubscription(
            endpoint: "https://push.example.net/x", p256dh: Base64.encodeURL(Array(receiver.publicKey.x963Representation)),
            auth: Base64.encodeURL(auth))
        let first = try PushEncryption.encrypt(Array("Bonjour".utf8), for: subscription)
        let second = try PushEncryption.encrypt(Array("Bonjour".utf8), for: subscription)
        #expect(first != second, "a fresh salt and key pair per message")

        let salt = Array(first[0..<16])
        let senderKey = Array(first[21..<86])
        let shared = try receiver.sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: senderKey))
        let ecdh = shared.withUnsafeBytes { Array($0) }
        let info = Array("WebPush: info".utf8) + [0] + Array(receiver.publicKey.x963Representation) + senderKey
        let ikm = PushKeyDerivation.hmac(key: PushKeyDerivation.hmac(key: auth, ecdh), info + [1])
        let prk = PushKeyDerivation.hmac(key: salt, ikm)
        let cek = Array(PushKeyDerivation.hmac(key: prk, Array("Content-Encoding: aes128gcm".utf8) + [0, 1]).prefix(16))
        let nonce = Array(PushKeyDerivation.hmac(key: prk, Array("Content-Encoding: nonce".utf8) + [0, 1]).prefix(12))
        let record = Array(first[86...])
        let box = try AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: nonce), ciphertext: record.dropLast(16), tag: record.suffix(16))
        let opened = Array(try AES.GCM.open(box, using: SymmetricKey(data: cek)))
        #expect(opened == Array("Bonjour".utf8) + [0x02])
    }

    @Test func keysThatAreNotACurvePointAreUnusable() throws {
        var point = [UInt8](repeating: 7, count: 65)
        point[0] = 4
        let subscription = PushSubscription(
            endpoint: "https://push.example.net/x", p256dh: Base64.encodeURL(point), auth: RFC8291.authSecret)
        #expect(throws: PushEncryption.Failure.unusableSubscriptionKeys) {
            try PushEncryption.encrypt(Array("x".utf8), for: subscription)
        }
    }

    @Test func aPayloadOverOneRecordIsRefused() {
        #expect(throws: PushEncryption.Failure.payloadTooLarge(4000)) {
            try PushEncryption.encrypt([UInt8](repeating: 0x41, count: 4000), for: RFC8291.subscription)
        }
    }
}
