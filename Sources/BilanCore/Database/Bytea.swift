internal import CLibPQ

/// `bytea` values (the report PDFs) over libpq's text format, which every
/// other statement uses: a parameter goes as `\x` + hex, a result comes back
/// the same way (the server's default `bytea_output`). Twice the bytes on the
/// wire, but no binary-format path beside the text one for a value read once
/// per download.
public enum Bytea {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The parameter text PostgreSQL reads as these bytes.
    public static func parameter(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of a `\x…` text value; nil when it is not hex output.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count >= 2, text.count % 2 == 0, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else {
            return nil
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((text.count - 2) / 2)
        var index = 2
        while index < text.count {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension PGResult {
    /// A `bytea` column's bytes, read straight from libpq's buffer (no
    /// intermediate String of a PDF's hex); nil for SQL NULL.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard row < rowCount, !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else {
            return nil
        }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { pointer in
            Bytea.decode(UnsafeBufferPointer(start: pointer, count: length))
        }
    }
}
