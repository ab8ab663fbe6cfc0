import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanMail

/// SPEC §14: the notification with the report PDF attached is a
/// `multipart/mixed` whose first part is the unchanged `multipart/alternative`
/// (text, then HTML) and whose second is the PDF, base64, named for its day.
@Suite("MIME message with an attachment")
struct MIMEAttachmentTests {
    /// Bytes of every value, so base64's three-byte groups and padding are all exercised.
    static let pdf = Array("%PDF-1.7\n".utf8) + (0..<4000).map { UInt8($0 % 256) }
    static let attachment = MailAttachment(
        fileName: "bilan-orientation-2026-12-02.pdf", contentType: "application/pdf", bytes: pdf)

    static func built(_ attachments: [MailAttachment]) -> [String] {
        var message = MIMETests.message()
        message.attachments = attachments
        return MIMETests.lines(MIMEBuilder.build(message, dateMs: MIMETests.dateMs, unique: MIMETests.unique))
    }

    /// The parts between `--boundary` lines: (headers, body lines).
    static func parts(_ lines: [String], boundary: String) -> [(headers: [String], body: [String])] {
        var parts: [(headers: [String], body: [String])] = []
        var index = 0
        while index < lines.count {
            guard lines[index] == "--" + boundary else { index += 1; continue }
            index += 1
            var headers: [String] = []
            while index < lines.count, !lines[index].isEmpty { headers.append(lines[index]); index += 1 }
            index += 1
            var body: [String] = []
            while index < lines.count, lines[index] != "--" + boundary, lines[index] != "--" + boundary + "--" {
                body.append(lines[index])
                index += 1
            }
            parts.append((headers, body))
        }
        return parts
    }

    static func boundary(in contentType: String) -> String? {
        guard let range = contentType.firstRange(of: "boundary=\"") else { return nil }
        return String(contentType[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func theAlternativeGoesInsideAMixedMessageFollowedByThePDF() throws {
        let lines = Self.built([Self.attachment])
        let top = try #require(MIMETests.header("Content-Type", in: lines))
        #expect(top.hasPrefix("multipart/mixed;"))
        let outer = try #require(Self.boundary(in: top))
        #expect(lines.contains("--\(outer)--"))
        let parts = Self.parts(lines, boundary: outer)
        #expect(parts.count == 2)
        guard parts.count == 2 else { return }

        // 1. The alternative, text then HTML, as without an attachment.
        let alternativeType = try #require(parts[0].headers.first)
        #expect(alternativeType.hasPrefix("Content-Type: multipart/alternative;"))
        let inner = try #require(Self.boundary(in: alternativeType))
        #expect(inner != outer && !inner.hasPrefix(outer) && !outer.hasPrefix(inner))
        let alternatives = Self.parts(parts[0].body, boundary: inner)
        #expect(alternatives.map { $0.headers.first ?? "" } == [
            "Content-Type: text/plain; charset=UTF-8", "Content-Type: text/html; charset=UTF-8",
        ])
        #expect(parts[0].body.contains("--\(inner)--"))

        // 2. The PDF: its type, its name, base64 in lines of 76 that decode to the bytes.
        #expect(parts[1].headers == [
            "Content-Type: application/pdf; name=\"bilan-orientation-2026-12-02.pdf\"",
            "Content-Disposition: attachment; filename=\"bilan-orientation-2026-12-02.pdf\"",
            "Content-Transfer-Encoding: base64",
        ])
        let body = parts[1].body.filter { !$0.isEmpty }
        #expect(body.dropLast().allSatisfy { $0.utf8.count == 76 } && (body.last?.utf8.count ?? 0) <= 76)
        #expect(TestSupport.base64Decode(body.joined()) == Self.pdf)
    }

    @Test func withAttachmentTheMessageStaysSevenBitWithShortLines() {
        for line in Self.built([Self.attachment]) {
            #expect(line.utf8.count <= 78, "\(line.utf8.count): \(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
        }
    }

    @Test func withoutAttachmentTheMessageIsTheAlternativeAlone() throws {
        let lines = Self.built([])
        let top = try #require(MIMETests.header("Content-Type", in: lines))
        #expect(top == "multipart/alternative; boundary=\"=_bilan_\(MIMETests.unique)\"")
        #expect(!lines.contains { $0.contains("multipart/mixed") || $0.contains("Content-Disposition") })
    }

    @Test func aFileNameCannotBreakItsHeader() {
        let hostile = MailAttachment(fileName: "a\"b\r\nX-Evil: 1.pdf", contentType: "application/pdf", bytes: [1])
        let lines = Self.built([hostile])
        #expect(!lines.contains { $0.hasPrefix("X-Evil") })
        #expect(lines.contains("Content-Disposition: attachment; filename=\"abX-Evil: 1.pdf\""))
    }
}
