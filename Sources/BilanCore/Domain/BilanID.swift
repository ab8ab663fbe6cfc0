/// Bilan ids are UUIDs; anything else is answered like an unknown id.
public enum BilanID {
    /// The canonical lower-case form, or nil when `text` is not a UUID.
    public static func parse(_ text: Substring) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        var out = ""
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                out.append("-")
                continue
            }
            switch byte {
            case 0x30...0x39, 0x61...0x66: out.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x41...0x46: out.unicodeScalars.append(Unicode.Scalar(byte + 0x20))
            default: return nil
            }
        }
        return out
    }

    public static func parse(_ text: String) -> String? { parse(text[...]) }
}
