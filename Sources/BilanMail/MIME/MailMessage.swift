import BilanCore

/// A notification mail: one recipient, a subject, and the same content as
/// text and HTML (RFC 2046 `multipart/alternative`, text first), with files
/// attached around it when there are any (`multipart/mixed`: the report PDF).
public struct MailMessage: Sendable {
    public var from: String
    public var to: String
    public var subject: String
    public var textBody: String
    public var htmlBody: String
    /// Sender domain for the Message-ID.
    public var domain: String
    public var attachments: [MailAttachment]

    public init(
        from: String, to: String, subject: String, textBody: String, htmlBody: String, domain: String,
        attachments: [MailAttachment] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.domain = domain
        self.attachments = attachments
    }

    /// The bare address of `from` (`Name <a@b>` → `a@b`), for the SMTP envelope.
    public var envelopeFrom: String { MailAddress.bare(from) }
}

/// Builds the RFC 5322 bytes: CRLF line ends, 7-bit only (encoded words in
/// headers, quoted-printable bodies), every line ≤ 78 octets.
public enum MIMEBuilder {
    public static func build(_ message: MailMessage, dateMs: Int64, unique: String) -> [UInt8] {
        let alternative = "=_bilan_" + unique
        let mixed = "=_bilan_mixed_" + unique
        var lines: [String] = []
        lines.append("Date: " + UTCTime.rfc5322(dateMs))
        lines.append(MailAddress.header("From", message.from))
        lines.append(MailAddress.header("To", message.to))
        lines.append(HeaderEncoding.fold("Subject", HeaderEncoding.encodedWords(message.subject)))
        lines.append("Message-ID: <\(unique)@\(message.domain)>")
        lines.append("MIME-Version: 1.0")
        if message.attachments.isEmpty {
            lines.append("Content-Type: multipart/alternative; boundary=\"\(alternative)\"")
        } else {
            lines.append("Content-Type: multipart/mixed; boundary=\"\(mixed)\"")
        }
        lines.append("Auto-Submitted: auto-generated")
        lines.append("")
        lines.append("This is a multi-part message in MIME format.")
        if !message.attachments.isEmpty {
            lines.append("--" + mixed)
            lines.append("Content-Type: multipart/alternative; boundary=\"\(alternative)\"")
            lines.append("")
        }
        for (type, body) in [("text/plain", message.textBody), ("text/html", message.htmlBody)] {
            lines.append("--" + alternative)
            lines.append("Content-Type: \(type); charset=UTF-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(QuotedPrintable.encode(body))
        }
        lines.append("--" + alternative + "--")
        for attachment in message.attachments {
            lines.append("--" + mixed)
            lines += attachment.partLines
        }
        if !message.attachments.isEmpty { lines.append("--" + mixed + "--") }
        lines.append("")
        return Array(lines.joined(separator: "\r\n").utf8)
    }
}

/// A file sent with a mail: its own part, base64 in 76-character lines
/// (RFC 2045 §6.8). The name is ours (`bilan-orientation-2026-12-02.pdf`),
/// plain ASCII, so it needs no RFC 2231 encoding.
public struct MailAttachment: Sendable, Equatable {
    public var fileName: String
    public var contentType: String
    public var bytes: [UInt8]

    public init(fileName: String, contentType: String, bytes: [UInt8]) {
        self.fileName = fileName
        self.contentType = contentType
        self.bytes = bytes
    }

    var partLines: [String] {
        let name = String(fileName.filter { $0.isASCII && $0 != "\"" && $0 != "\\" && !$0.isNewline })
        var lines = [
            "Content-Type: \(contentType); name=\"\(name)\"",
            "Content-Disposition: attachment; filename=\"\(name)\"",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        let encoded = Array(Base64.encode(bytes).utf8)
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            lines.append(String(decoding: encoded[start..<end], as: UTF8.self))
            start = end
        }
        return lines
    }
}

/// RFC 2047 encoded words for header values.
public enum HeaderEncoding {
    /// The value as-is when it is plain printable ASCII, else `=?UTF-8?B?…?=`
    /// words of at most 75 characters, never splitting a character.
    public static func encodedWords(_ value: String, force: Bool = false) -> [String] {
        if !force, value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) { return [value] }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 36 bytes of UTF-8 → 48 base64 characters → a 60-character word, so
        // even "Subject: " + the first word stays under 78 octets.
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 36 {
                words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
        return words
    }

    /// `Name: word1` CRLF SP `word2`…: one encoded word per line keeps every
    /// line under 78 octets.
    public static func fold(_ name: String, _ words: [String]) -> String {
        "\(name): " + words.joined(separator: "\r\n ")
    }
}

extension MailAddress {
    /// `Name: "Display" <a@b>` with a non-ASCII or long display name as
    /// encoded words, one per folded line, so no line exceeds 78 octets.
    public static func header(_ field: String, _ address: String) -> String {
        let angle = "<\(bare(address))>"
        guard let open = address.lastIndex(of: "<") else { return "\(field): \(angle)" }
        var name = String(address[..<open]).trimmingSpaces()
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
        if name.isEmpty { return "\(field): \(angle)" }
        let plain = "\(field): \"\(name.replacingQuotes())\" \(angle)"
        let words = HeaderEncoding.encodedWords(name)
        if words == [name], plain.utf8.count <= 78 { return plain }
        let encoded = words == [name] ? HeaderEncoding.encodedWords(name, force: true) : words
        return HeaderEncoding.fold(field, encoded + [angle])
    }
}

extension String {
    fileprivate func replacingQuotes() -> String { String(filter { $0 != "\"" && $0 != "\\" }) }
}
