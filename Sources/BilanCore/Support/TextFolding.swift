/// French text reduced for comparison: lower case, no accents, one kind of
/// apostrophe. Written out rather than taken from Foundation's folding, which
/// would load Foundation in every program that compares words.
public enum TextFolding {
    public static func fold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII {
                out.append(scalar == "`" ? "'" : scalar)
            } else if let replacement = replacement(scalar) {
                out.append(contentsOf: replacement.unicodeScalars)
            } else if !isCombiningAccent(scalar) {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Compared as scalars, not `Character`s: a switch over Characters runs a
    /// Unicode comparison per case and was most of the generator's CPU time.
    /// Decomposed accents (« e » + U+0301) lose their mark below, so both
    /// spellings of « é » fold alike.
    private static func replacement(_ scalar: Unicode.Scalar) -> String? {
        switch scalar {
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
        case "’", "‘", "ʼ", "´": return "'"
        default: return nil
        }
    }

    /// U+0300–U+036F, the combining diacritical marks.
    private static func isCombiningAccent(_ scalar: Unicode.Scalar) -> Bool {
        (0x300...0x36F).contains(scalar.value)
    }

    /// The folded words of `text`: runs of letters and digits (apostrophes and
    /// hyphens split words, so « l'avenir » gives « l » and « avenir »).
    public static func words(_ text: String) -> [Substring] {
        fold(text).unicodeScalars.split(whereSeparator: { !isWordScalar($0) }).map(Substring.init)
    }

    /// Words of `text` as written (not folded), split on white space, that
    /// hold at least one letter or digit: a report's length in words.
    public static func wordCount(_ text: some StringProtocol) -> Int {
        text.unicodeScalars.split(whereSeparator: \.properties.isWhitespace).filter { $0.contains(where: isWordScalar) }.count
    }

    /// A letter or a digit, decided on scalars with an ASCII fast path:
    /// `Character.isLetter` breaks graphemes first and cost the generator
    /// more than the rest of the report check.
    public static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let byte = UInt8(scalar.value)
            return (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
        }
        let properties = scalar.properties
        return properties.isAlphabetic || properties.numericType != nil
    }

    /// `text` folded with every run of non-letters turned into one space and a
    /// space at each end, so a phrase matches on word boundaries with `contains`.
    public static func spaced(_ text: String) -> String {
        " " + words(text).joined(separator: " ") + " "
    }
}
