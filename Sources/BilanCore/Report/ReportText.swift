/// A report read line by line, with the text measures the check needs.
struct ReportText {
    struct Line {
        var text: Substring
        var inFence: Bool
    }

    let report: String
    let lines: [Line]

    init(_ report: String) {
        self.report = report
        var lines: [Line] = []
        var inFence = false
        for line in report.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingSpaces()
            let fence = trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~")
            if fence { inFence.toggle() }
            lines.append(Line(text: line, inFence: inFence || fence))
        }
        self.lines = lines
    }

    /// Whitespace-separated tokens that hold a letter or a digit (Markdown
    /// markers such as `#`, `-` and `|` are not words).
    var wordCount: Int {
        TextFolding.wordCount(report)
    }

    /// The top-level list items of one `##` section, continuation lines included.
    func listItems(inSection heading: String) -> [String] {
        var items: [String] = []
        var inSection = false
        for line in lines where !line.inFence {
            let trimmed = line.text.trimmingSpaces()
            if trimmed.hasPrefix("## ") {
                var title = String(trimmed.dropFirst(3))
                while title.hasSuffix("#") { title.removeLast() }  // closing hashes, as MarkdownSections reads them
                inSection = ReportOutline.same(title, heading)
                continue
            }
            guard inSection, !trimmed.isEmpty else { continue }
            let indented = line.text.first == " " || line.text.first == "\t"
            if !indented && Self.isListMarker(trimmed) {
                items.append(trimmed)
            } else if indented, !items.isEmpty {
                items[items.count - 1] += " " + trimmed
            }
        }
        return items
    }

    /// The line without its list marker (`- `, `1. `): a step number is not a day.
    static func withoutListMarker(_ line: Substring) -> Substring {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard isListMarker(String(trimmed.prefix(5))) else { return line }
        return trimmed.drop { $0 != " " }
    }

    static func isListMarker(_ line: String) -> Bool {
        if line.hasPrefix("- ") || line.hasPrefix("* ") || line.hasPrefix("+ ") { return true }
        let digits = line.prefix { $0.isNumber }
        guard !digits.isEmpty, digits.count <= 2 else { return false }
        let rest = line.dropFirst(digits.count)
        return rest.hasPrefix(". ") || rest.hasPrefix(") ")
    }

    static let monthWords: [String: Int] = {
        var months: [String: Int] = [:]
        for (index, name) in FrenchMonths.names.enumerated() { months[TextFolding.fold(name)] = index + 1 }
        return months
    }()

    /// A plan step is dated when it names a month or holds a `dd/mm` date.
    static func isDated(_ step: String) -> Bool {
        TextFolding.words(step).contains { monthWords[String($0)] != nil } || !numericDates(in: step).isEmpty
    }

    /// Precise dates (a day and a month), normalised to `d-m`: « 1er avril
    /// 2027 », « 19 janvier », « 15/01/2027 ».
    static func preciseDates(in text: some StringProtocol) -> [String] {
        // Every precise date has a digit (« 12 mars », « 1er avril », 12/03):
        // most lines have none, and folding them was most of the check's time.
        guard text.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return [] }
        var dates: [String] = []
        let words = TextFolding.words(String(text))
        for (index, word) in words.enumerated() where index + 1 < words.count {
            guard let month = monthWords[String(words[index + 1])] else { continue }
            let day = word == "1er" ? 1 : Int(word) ?? 0
            if (1...31).contains(day) { dates.append("\(day)-\(month)") }
        }
        return dates + numericDates(in: text)
    }

    /// `dd/mm` and `dd/mm/yyyy` with a plausible day and month.
    static func numericDates(in text: some StringProtocol) -> [String] {
        var dates: [String] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            guard characters[index].isASCII, characters[index].isNumber,
                index == 0 || !(characters[index - 1].isNumber || characters[index - 1] == "/")
            else { index += 1; continue }
            var day = 0
            var cursor = index
            while cursor < characters.count, cursor - index < 2, let digit = characters[cursor].wholeNumberValue {
                day = day * 10 + digit
                cursor += 1
            }
            guard cursor < characters.count, characters[cursor] == "/" else { index = cursor; continue }
            var month = 0
            var monthEnd = cursor + 1
            while monthEnd < characters.count, monthEnd - cursor - 1 < 2, let digit = characters[monthEnd].wholeNumberValue {
                month = month * 10 + digit
                monthEnd += 1
            }
            let monthDigits = monthEnd - cursor - 1
            let followedByDigit = monthEnd < characters.count && characters[monthEnd].isNumber
            if monthDigits > 0, !followedByDigit, (1...31).contains(day), (1...12).contains(month) {
                dates.append("\(day)-\(month)")
            }
            index = monthEnd
        }
        return dates
    }

    /// Raw HTML: `<` then a letter, `/`, `!` or `?`, except autolinks `<scheme:…>`.
    static func htmlTags(in report: String) -> [String] {
        var tags: [String] = []
        var index = report.startIndex
        while let open = report[index...].firstIndex(of: "<") {
            let next = report.index(after: open)
            index = next
            guard next < report.endIndex else { break }
            let first = report[next]
            guard first.isLetter || first == "/" || first == "!" || first == "?" else { continue }
            let end = report[next...].firstIndex(where: { $0 == ">" || $0.isNewline }) ?? report.endIndex
            let inside = report[next..<end]
            if let colon = inside.firstIndex(of: ":"), inside[..<colon].allSatisfy({ $0.isLetter }),
                !inside.contains(" ")
            {
                continue  // an autolink
            }
            tags.append("<" + String(inside.prefix(20)) + (end < report.endIndex && report[end] == ">" ? ">" : ""))
        }
        return tags
    }

    /// Questionnaire key names written in camelCase, and codes that no French
    /// text would hold: with `_`, or an all-capitals word of 6 letters or more.
    static func rawCodes(in report: String) -> [String] {
        let codes = QuestionnaireSchema.allCodes.filter { code in
            code.contains("_") || (code.count >= 6 && code.allSatisfy { $0.isUppercase || $0.isNumber })
        }
        let keys = Set(QuestionnaireSchema.keys.filter { $0.contains { $0.isUppercase } })
        var found: [String] = []
        for token in report.unicodeScalars.split(whereSeparator: { !(TextFolding.isWordScalar($0) || $0 == "_") }) {
            let word = String(token)
            if (codes.contains(word) || keys.contains(word)) && !found.contains(word) { found.append(word) }
        }
        return found
    }

    /// A JSON answer as text: arrays of strings joined.
    static func plainText(_ value: JSONValue) -> String {
        if let text = value.stringValue { return text }
        return (value.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
    }

    static let stopWords: Set<String> = [
        "alors", "aussi", "autre", "autres", "avant", "avoir", "avais", "beaucoup", "cette", "comme", "comment",
        "dans", "depuis", "donc", "elles", "encore", "entre", "etre", "faire", "leurs", "mais", "meme", "notre",
        "parce", "peut", "plus", "pour", "pourquoi", "quand", "quelque", "quelques", "sans", "sont", "tous", "tout",
        "toute", "toutes", "tres", "votre", "vraiment", "voudrais", "aimerais", "aime", "j'aime", "choses",
        "chose", "bien", "assez", "souvent", "toujours", "jamais", "aucun", "aucune", "apres", "ainsi",
        "plutot", "surtout", "pense", "penser", "savoir", "suis", "etais", "serait", "avoir", "cela", "celle",
        "celui", "leur", "nous", "vous", "elle", "peux", "veux", "faut", "moins", "trop", "etc",
    ]

    /// Words of 5 letters or more that say something (folded).
    static func significantWords(_ text: String) -> [String] {
        TextFolding.words(text).map(String.init).filter { $0.count >= 5 && !stopWords.contains($0) && !$0.allSatisfy(\.isNumber) }
    }

    /// A crude stem: the first six letters, so « stressée » and « stress »,
    /// « médecin » and « médecine » meet.
    static func stem(_ word: some StringProtocol) -> String { String(word.prefix(6)) }
}
