/// RFC 2045 §6.7 quoted-printable, with CRLF hard breaks and `=` soft breaks
/// keeping every line ≤ 76 characters.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> String {
        var outputLines: [String] = []
        let normalized = text.replacingCRLF()
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            outputLines.append(contentsOf: encodeLine(Array(line.utf8)))
        }
        return outputLines.joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            var token: String
            switch byte {
            case UInt8(ascii: "="): token = "=3D"
            // Trailing white space would be stripped in transit: encode it.
            case 0x20, 0x09: token = isLast ? hex(byte) : String(UnicodeScalar(byte))
            // A lone "." at the start of a line ends an SMTP message or a sendmail input without -i.
            case UInt8(ascii: "."): token = current.isEmpty ? "=2E" : "."
            case 0x21...0x7E: token = String(UnicodeScalar(byte))
            default: token = hex(byte)
            }
            if current.count + token.count > 75 {
                lines.append(current + "=")
                current = ""
                if token == "." { token = "=2E" }
            }
            current += token
        }
        lines.append(current)
        return lines
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// Decodes (for tests and for reading stored mails back).
    public static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "="), index + 1 < bytes.count {
                if bytes[index + 1] == 0x0D, index + 2 < bytes.count, bytes[index + 2] == 0x0A { index += 3; continue }
                if bytes[index + 1] == 0x0A { index += 2; continue }
                if index + 2 < bytes.count, let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                    out.append(value)
                    index += 3
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return out
    }
}

extension String {
    fileprivate func replacingCRLF() -> String {
        var out = ""
        var previousCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" { previousCR = true; out += "\n"; continue }
            if scalar == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
