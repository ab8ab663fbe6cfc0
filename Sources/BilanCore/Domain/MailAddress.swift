/// Mail addresses as configured (`Name <a@b>`) or typed (`a@b`): pure rules
/// the login route needs without linking the mail library (SPEC §17: the
/// handlers link no libcurl).
public enum MailAddress {
    public static func bare(_ address: String) -> String {
        if let open = address.lastIndex(of: "<"), let close = address.lastIndex(of: ">"), open < close {
            return String(address[address.index(after: open)..<close]).trimmingSpaces()
        }
        return address.trimmingSpaces()
    }

    /// A plausible single address: one `@`, no spaces, no control characters,
    /// nothing that could add a header or a recipient.
    public static func isPlausible(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard (3...254).contains(bytes.count), bytes.filter({ $0 == UInt8(ascii: "@") }).count == 1,
            let at = bytes.firstIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1
        else { return false }
        let forbidden: Set<UInt8> = [0x20, 0x22, 0x28, 0x29, 0x2C, 0x3A, 0x3B, 0x3C, 0x3E, 0x5B, 0x5C, 0x5D]
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }
            && bytes[(at + 1)...].contains(UInt8(ascii: "."))
    }

    /// `a•••@exemple.fr`: enough for the owner to recognise their address on
    /// the login confirmation page, not enough for someone else to learn it.
    public static func masked(_ address: String) -> String {
        let bare = bare(address)
        guard let at = bare.lastIndex(of: "@"), at > bare.startIndex else { return "•••" }
        return String(bare[bare.startIndex]) + "•••" + bare[at...]
    }
}
