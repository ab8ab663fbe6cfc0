/// The soft rule of SPEC §13: in « Réalité du terrain », every percentage is
/// the access rate of a programme the terrain pass was given, so the model
/// never adds a figure of its own beside the code's table.
extension ReportCheck {
    static let programmesRule = "programmes"

    func programmeFigures(_ text: ReportText, _ selection: ProgrammeSelection) -> ReportRuleResult {
        let section = text.sectionText(FormationTable.section)
        let found = ReportText.percentages(in: section)
        let foreign = found.filter { value in !selection.rows.contains { Self.sameRate($0.tauxAcces, value) } }
        let detail = foreign.isEmpty
            ? "\(found.count) percentage(s) in « \(FormationTable.section) », all access rates of the table"
            : "not an access rate of the table: " + foreign.prefix(3).map { FrenchNumber.text($0) + " %" }.joined(separator: ", ")
        return ReportRuleResult(id: Self.programmesRule, hard: false, ok: foreign.isEmpty, detail: detail)
    }

    /// `54 %` matches 54.0 and 53.6 (a rate written rounded); `53,6 %` matches 53.6 only.
    static func sameRate(_ rate: Double, _ written: Double) -> Bool {
        abs(rate - written) < 0.005 || (written == written.rounded() && rate.rounded() == written)
    }
}

extension ReportText {
    /// The lines of one `##` section, headings and fences included, joined.
    func sectionText(_ heading: String) -> String {
        var inSection = false
        var kept: [Substring] = []
        for line in lines {
            let trimmed = line.text.trimmingSpaces()
            if !line.inFence, trimmed.hasPrefix("## ") {
                inSection = ReportOutline.same(String(trimmed.dropFirst(3)), heading)
                continue
            }
            if inSection { kept.append(line.text) }
        }
        return kept.joined(separator: "\n")
    }

    /// The numbers written as percentages: `54 %`, `7,5%`, `12 pour cent`.
    static func percentages(in text: String) -> [Double] {
        var values: [Double] = []
        let characters = Array(text)
        for index in characters.indices {
            let isPercent = characters[index] == "%"
            let isWords = !isPercent && characters[index] == "p"
                && String(characters[index..<min(index + 9, characters.count)]).lowercased() == "pour cent"
            guard isPercent || isWords, let value = number(before: index, in: characters) else { continue }
            values.append(value)
        }
        return values
    }

    /// The number that ends just before `index`, spaces (plain, no-break, narrow) allowed between.
    private static func number(before index: Int, in characters: [Character]) -> Double? {
        var cursor = index - 1
        while cursor >= 0, [" ", "\u{A0}", "\u{202F}"].contains(characters[cursor]) { cursor -= 1 }
        var end = cursor + 1
        while cursor >= 0, characters[cursor].isASCII, characters[cursor].isNumber || characters[cursor] == "," || characters[cursor] == "." {
            cursor -= 1
        }
        var digits = String(characters[(cursor + 1)..<end])
        while let last = digits.last, last == "," || last == "." {
            digits.removeLast()
            end -= 1
        }
        while let first = digits.first, first == "," || first == "." { digits.removeFirst() }
        guard !digits.isEmpty else { return nil }
        return Double(String(digits.map { $0 == "," ? "." : $0 }))
    }
}
