import BilanMail

extension MailAddress {
    /// `a•••@exemple.fr`: enough for the owner to recognise their address on
    /// the login confirmation page, not enough for someone else to learn it.
    public static func masked(_ address: String) -> String {
        let bare = bare(address)
        guard let at = bare.lastIndex(of: "@"), at > bare.startIndex else { return "•••" }
        return String(bare[bare.startIndex]) + "•••" + bare[at...]
    }
}
