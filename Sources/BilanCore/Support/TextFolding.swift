/// French text reduced for comparison: lower case, no accents, one kind of
/// apostrophe. Written out rather than taken from Foundation's folding, which
/// would load Foundation in every program that compares words.
public enum TextFolding {
    public static func fold(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.lowercased() {
            out += folded(character)
        }
        return out
    }

    private static func folded(_ character: Character) -> String {
        switch character {
        case "à", "â", "ä", "á", "ã", "å": return "a"
        case "ç": return "c"
        case "é", "è", "ê", "ë": return "e"
        case "î", "ï", "í", "ì": return "i"
        case "ô", "ö", "ó", "ò", "õ": return "o"
        case "ù", "û", "ü", "ú": return "u"
        case "ÿ": return "y"
        case "ñ": return "n"
        case "œ": return "oe"
        case "æ": return "ae"
        case "’", "‘", "ʼ", "`", "´": return "'"
        default: return String(character)
        }
    }

    /// The folded words of `text`: runs of letters and digits (apostrophes and
    /// hyphens split words, so « l'avenir » gives « l » and « avenir »).
    public static func words(_ text: String) -> [Substring] {
        fold(text).split(whereSeparator: { !($0.isLetter || $0.isNumber) })
    }

    /// `text` folded with every run of non-letters turned into one space and a
    /// space at each end, so a phrase matches on word boundaries with `contains`.
    public static func spaced(_ text: String) -> String {
        " " + words(text).joined(separator: " ") + " "
    }
}
