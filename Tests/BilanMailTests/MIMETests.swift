import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanMail

/// SPEC §8: the notification mail's bytes.
@Suite("MIME message building")
struct MIMETests {
    static let subject = "✅ Votre Bilan d'Orientation est prêt !"
    static let text = """
        Bonjour Léa,

        Votre bilan d'orientation est prêt : https://bilan.example.org/orientation/resultat/0f8fad5b-d9cb-469f-a165-70867728950e
        .
        Sections : Synthèse de votre profil, Pistes d'études recommandées, Stratégie Parcoursup, Plan d'action.
        Une ligne avec des espaces à la fin   
        =?UTF-8?B?pas un mot encodé?= et 100 % = cent pour cent
        """
    static let html = "<!doctype html><html><body><p style=\"font-family:sans-serif\">Bonjour Léa,</p>"
        + String(repeating: "<li>Réalité du terrain &amp; débouchés</li>", count: 40) + "</body></html>\n"

    static func message(from: String = "Bilan d'orientation <no-reply@bilan.example.org>") -> MailMessage {
        MailMessage(
            from: from, to: "lea.martin@example.com", subject: subject, textBody: text, htmlBody: html,
            domain: "bilan.example.org")
    }

    static let dateMs: Int64 = 1_709_210_096_789  // 2024-02-29T12:34:56.789Z
    static let unique = "lz3k9q1c.3w5e11264sgsq"

    static func built(_ message: MailMessage = message()) -> [UInt8] {
        MIMEBuilder.build(message, dateMs: dateMs, unique: unique)
    }

    /// The message split at CRLF; fails the test on a bare CR or LF.
    static func lines(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func headerBlock(_ lines: [String]) -> [String] {
        Array(lines.prefix { !$0.isEmpty })
    }

    /// Unfolded header value by name.
    static func header(_ name: String, in lines: [String]) -> String? {
        let block = headerBlock(lines)
        guard let start = block.firstIndex(where: { $0.lowercased().hasPrefix(name.lowercased() + ":") }) else { return nil }
        var value = String(block[start].dropFirst(name.count + 1))
        var index = start + 1
        while index < block.count, block[index].hasPrefix(" ") || block[index].hasPrefix("\t") {
            value += block[index]
            index += 1
        }
        return value.trimmingSpaces()
    }

    /// RFC 2047 decoding of a header value made only of B-encoded UTF-8 words.
    static func decodeWords(_ value: String) -> String? {
        var bytes: [UInt8] = []
        for word in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="), word.count <= 75 else { return nil }
            guard let decoded = TestSupport.base64Decode(String(word.dropFirst(10).dropLast(2))) else { return nil }
            // Each word must hold whole characters (RFC 2047 §5).
            guard String(validating: decoded, as: UTF8.self) != nil else { return nil }
            bytes += decoded
        }
        return String(validating: bytes, as: UTF8.self)
    }

    @Test func subjectEncodedWordsDecodeBack() throws {
        let words = HeaderEncoding.encodedWords(Self.subject)
        #expect(!words.isEmpty)
        for word in words {
            #expect(word.utf8.count <= 75, "\(word)")
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            #expect(word.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
        }
        #expect(Self.decodeWords(words.joined(separator: " ")) == Self.subject)

        let subjectHeader = try #require(Self.header("Subject", in: Self.lines(Self.built())))
        #expect(Self.decodeWords(subjectHeader) == Self.subject)
    }

    @Test func longSubjectsSplitIntoSeveralWords() {
        let long = String(repeating: "Réalité du terrain, ", count: 10) + "✅ prêt !"
        let words = HeaderEncoding.encodedWords(long)
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.utf8.count <= 75 })
        #expect(Self.decodeWords(words.joined(separator: " ")) == long)
        // Folded, each line stays short.
        for line in HeaderEncoding.fold("Subject", words).split(separator: "\r\n") {
            #expect(line.utf8.count <= 78)
        }
    }

    @Test func asciiSubjectStaysReadable() {
        #expect(HeaderEncoding.encodedWords("Votre bilan est pret") == ["Votre bilan est pret"])
    }

    @Test func messageIsSevenBitWithCRLFAndShortLines() {
        let bytes = Self.built()
        #expect(bytes.allSatisfy { $0 < 0x80 })
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)") }
            if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at \(index)") }
        }
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
        for line in Self.lines(bytes) {
            #expect(line.utf8.count <= 78, "\(line.utf8.count): \(line)")
        }
    }

    /// A site's MAIL_FROM with a longer French display name still gives ≤ 78-octet lines.
    @Test func longSenderNameKeepsShortLines() {
        let from = "Soutien scolaire en mathématiques — Service bilan d'orientation <bilan@maths.example.fr>"
        let bytes = Self.built(Self.message(from: from))
        #expect(bytes.allSatisfy { $0 < 0x80 })
        for line in Self.lines(bytes) {
            #expect(line.utf8.count <= 78, "\(line.utf8.count): \(line)")
        }
    }

    @Test func requiredHeaders() throws {
        let lines = Self.lines(Self.built())
        #expect(Self.header("Date", in: lines) == "Thu, 29 Feb 2024 12:34:56 +0000")
        #expect(Self.header("Message-ID", in: lines) == "<\(Self.unique)@bilan.example.org>")
        #expect(Self.header("MIME-Version", in: lines) == "1.0")
        #expect(Self.header("From", in: lines)?.hasSuffix("<no-reply@bilan.example.org>") == true)
        #expect(Self.header("To", in: lines)?.contains("lea.martin@example.com") == true)
        let contentType = try #require(Self.header("Content-Type", in: lines))
        #expect(contentType.hasPrefix("multipart/alternative;"))
        #expect(contentType.contains("boundary="))
    }

    /// The bodies of the parts, in order, as (content type line, decoded bytes).
    static func parts(_ bytes: [UInt8]) -> [(String, [UInt8])] {
        let lines = lines(bytes)
        let boundary = "--=_bilan_" + unique
        var result: [(String, [UInt8])] = []
        var index = 0
        while index < lines.count {
            guard lines[index] == boundary else { index += 1; continue }
            index += 1
            var headers: [String] = []
            while index < lines.count, !lines[index].isEmpty { headers.append(lines[index]); index += 1 }
            index += 1
            var body: [String] = []
            while index < lines.count, !lines[index].hasPrefix(boundary) { body.append(lines[index]); index += 1 }
            let type = headers.first { $0.lowercased().hasPrefix("content-type:") } ?? ""
            #expect(headers.contains("Content-Transfer-Encoding: quoted-printable"))
            result.append((type, TestSupport.quotedPrintableDecode(body.joined(separator: "\r\n"))))
        }
        return result
    }

    @Test func textThenHTMLParts() {
        let bytes = Self.built()
        let parts = Self.parts(bytes)
        #expect(parts.count == 2)
        guard parts.count == 2 else { return }
        #expect(parts[0].0.hasPrefix("Content-Type: text/plain"))
        #expect(parts[1].0.hasPrefix("Content-Type: text/html"))
        #expect(parts.allSatisfy { $0.0.lowercased().contains("charset=utf-8") })
        let crlf = { (text: String) in Array(text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n").utf8) }
        #expect(parts[0].1 == crlf(Self.text))
        #expect(parts[1].1 == crlf(Self.html))
        // The closing boundary ends the message.
        let lines = Self.lines(bytes)
        #expect(lines.contains("--=_bilan_\(Self.unique)--"))
    }

    // MARK: quoted-printable

    static func roundTrip(_ text: String) -> [UInt8] {
        TestSupport.quotedPrintableDecode(QuotedPrintable.encode(text))
    }

    static func expectWellFormedQP(_ encoded: String) {
        for line in encoded.split(separator: "\r\n", omittingEmptySubsequences: false) {
            #expect(line.utf8.count <= 76, "\(line.utf8.count): \(line)")
            #expect(line.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 })
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
            #expect(line != ".")
        }
    }

    @Test func frenchTextRoundTrip() {
        let text = "Élève motivée, à l'écoute ; « très sélective » — 100 % = cent.\nDeuxième ligne, çà et là. Œuvre : ½ 😀"
        let encoded = QuotedPrintable.encode(text)
        Self.expectWellFormedQP(encoded)
        #expect(Self.roundTrip(text) == Array(text.replacing("\n", with: "\r\n").utf8))
        #expect(encoded.contains("=C3=89l=C3=A8ve"))
        #expect(encoded.contains("=3D"))
    }

    @Test func longLineRoundTrip() {
        let line = String((0..<2000).map { i -> Character in
            let pool: [Character] = ["a", "é", " ", "=", ".", "b", "€", "\t", "z"]
            return pool[i % pool.count]
        })
        let encoded = QuotedPrintable.encode(line)
        Self.expectWellFormedQP(encoded)
        #expect(Self.roundTrip(line) == Array(line.utf8))
        #expect(Self.roundTrip(TestSupport.repeated("x", 2000)) == Array(TestSupport.repeated("x", 2000).utf8))
        #expect(Self.roundTrip(TestSupport.repeated(".", 2000)) == Array(TestSupport.repeated(".", 2000).utf8))
    }

    @Test func lineWithOnlyADotIsEncoded() {
        let encoded = QuotedPrintable.encode("avant\n.\naprès")
        let lines = encoded.split(separator: "\r\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(!lines.contains("."))
        #expect(lines[1] == "=2E")
        #expect(Self.roundTrip("avant\n.\naprès") == Array("avant\r\n.\r\naprès".utf8))
        #expect(QuotedPrintable.encode(".") == "=2E")
    }

    @Test func trailingSpacesAreEncoded() {
        let encoded = QuotedPrintable.encode("fin  \nsuite\t")
        Self.expectWellFormedQP(encoded)
        #expect(Self.roundTrip("fin  \nsuite\t") == Array("fin  \r\nsuite\t".utf8))
    }

    @Test func lineEndingsNormalised() {
        #expect(Self.roundTrip("a\r\nb\rc\nd") == Array("a\r\nb\r\nc\r\nd".utf8))
        #expect(QuotedPrintable.decode(QuotedPrintable.encode("é = é\nx")) == Array("é = é\r\nx".utf8))
    }

    // MARK: base64

    @Test func base64KnownVectors() {
        let vectors: [(String, String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
        }
        let bytes = (0...255).map { UInt8($0) }
        #expect(TestSupport.base64Decode(Base64.encode(bytes)) == bytes)
    }
}
