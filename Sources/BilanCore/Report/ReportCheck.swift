/// The check every final report goes through before it is stored (SPEC §12):
/// a pure function of the report, the questionnaire, the facts still valid
/// and the allowed link hosts. Hard rules keep unsafe or malformed reports
/// out; soft rules measure quality and never fail a bilan.
public struct ReportCheck: Sendable {
    public static let maxBytes = 65_536
    public static let wordRange = 1500...2500
    public static let planSteps = 5...8

    public let linkHosts: Set<String>
    let factDates: Set<String>

    public init(linkHosts: [String], facts: [DatedFact]) {
        self.linkHosts = Set(linkHosts.map { $0.lowercased() })
        var dates = Set<String>()
        for fact in facts { dates.formUnion(ReportText.preciseDates(in: fact.text)) }
        self.factDates = dates
    }

    /// `questionnaire` nil (a file checked by hand) leaves out the free-text
    /// rule; `programmes` without rows (no Parcoursup data) leaves out the
    /// rule on the terrain section's figures.
    public func verify(_ report: String, questionnaire: JSONValue?, programmes: ProgrammeSelection? = nil) -> ReportVerdict {
        let text = ReportText(report)
        var rules = [
            title(text), headings(text), noHTML(report), links(report), size(report),
            length(text), noCodes(report), plan(text), dates(text),
        ]
        if let questionnaire { rules.insert(freeTexts(report, questionnaire), at: 6) }
        if let programmes, !programmes.rows.isEmpty { rules.append(programmeFigures(text, programmes)) }
        return ReportVerdict(rules: rules, words: text.wordCount)
    }

    // MARK: hard rules

    func title(_ text: ReportText) -> ReportRuleResult {
        let titles = text.lines.filter { !$0.inFence && $0.text.trimmingSpaces().hasPrefix("# ") }.count
        let first = text.lines.first { !$0.text.trimmingSpaces().isEmpty }?.text.trimmingSpaces() ?? ""
        let ok = first.hasPrefix("# ") && titles == 1
        return rule("title", hard: true, ok, ok ? "one # title" : "\(first.hasPrefix("# ") ? "" : "no # title first; ")\(titles) level-1 heading(s)")
    }

    func headings(_ text: ReportText) -> ReportRuleResult {
        let found = MarkdownSections.headings(text.report)
        let expected = ReportOutline.headings
        let ok = found.count == expected.count && zip(found, expected).allSatisfy { ReportOutline.same($0, $1) }
        if ok { return rule("headings", hard: true, true, "the 8 headings in order") }
        let extra = found.filter { heading in !expected.contains { ReportOutline.same($0, heading) } }
        let missing = expected.filter { heading in !found.contains { ReportOutline.same($0, heading) } }
        var detail = "\(found.count) ## heading(s)"
        if !missing.isEmpty { detail += "; missing: " + missing.joined(separator: ", ") }
        if !extra.isEmpty { detail += "; unexpected: " + extra.joined(separator: ", ") }
        if missing.isEmpty && extra.isEmpty { detail += "; out of order" }
        return rule("headings", hard: true, false, detail)
    }

    func noHTML(_ report: String) -> ReportRuleResult {
        let tags = ReportText.htmlTags(in: report)
        return rule("no-html", hard: true, tags.isEmpty, tags.isEmpty ? "no raw HTML" : "raw HTML: " + tags.prefix(3).joined(separator: " "))
    }

    func links(_ report: String) -> ReportRuleResult {
        let all = ReportLinks.find(in: report)
        let refused = all.filter { !ReportLinks.isAllowed($0, hosts: linkHosts) }
        if refused.isEmpty { return rule("links", hard: true, true, "\(all.count) link(s), all allowed") }
        return rule("links", hard: true, false, "off-list: " + refused.prefix(3).map(\.url).joined(separator: " "))
    }

    func size(_ report: String) -> ReportRuleResult {
        let bytes = report.utf8.count
        return rule("size", hard: true, bytes <= Self.maxBytes, "\(bytes) bytes (at most \(Self.maxBytes))")
    }

    // MARK: soft rules

    func length(_ text: ReportText) -> ReportRuleResult {
        rule("length", hard: false, Self.wordRange.contains(text.wordCount), "\(text.wordCount) words (1500–2500)")
    }

    func freeTexts(_ report: String, _ questionnaire: JSONValue) -> ReportRuleResult {
        let stems = Set(TextFolding.words(report).map(ReportText.stem))
        var unused: [String] = []
        var checked = 0
        for field in QuestionnaireSchema.freeTextFields + ["matieresPreferees"] {
            let answer = questionnaire[field].map(ReportText.plainText) ?? ""
            let significant = ReportText.significantWords(answer)
            guard !significant.isEmpty else { continue }
            checked += 1
            if !significant.contains(where: { stems.contains(ReportText.stem($0)) }) { unused.append(field) }
        }
        let detail = unused.isEmpty ? "\(checked) free text(s) used" : "not visibly used: " + unused.joined(separator: ", ")
        return rule("free-texts", hard: false, unused.isEmpty, detail)
    }

    func noCodes(_ report: String) -> ReportRuleResult {
        let found = ReportText.rawCodes(in: report)
        return rule("no-codes", hard: false, found.isEmpty, found.isEmpty ? "no raw code" : "raw: " + found.prefix(5).joined(separator: ", "))
    }

    func plan(_ text: ReportText) -> ReportRuleResult {
        let steps = text.listItems(inSection: ReportOutline.planHeading)
        let undated = steps.filter { !ReportText.isDated($0) }
        let ok = Self.planSteps.contains(steps.count) && undated.isEmpty
        var detail = "\(steps.count) step(s) (5–8)"
        if !undated.isEmpty { detail += ", \(undated.count) without a date" }
        return rule("plan", hard: false, ok, detail)
    }

    func dates(_ text: ReportText) -> ReportRuleResult {
        var unsourced: [String] = []
        var total = 0
        for line in text.lines where !line.inFence {
            let dates = ReportText.preciseDates(in: ReportText.withoutListMarker(line.text))
            total += dates.count
            guard !dates.isEmpty, !TextFolding.fold(String(line.text)).contains("a verifier") else { continue }
            unsourced += dates.filter { !factDates.contains($0) }
        }
        let detail = unsourced.isEmpty ? "\(total) precise date(s), all sourced or « à vérifier »"
            : "neither in the facts nor « à vérifier »: " + unsourced.prefix(3).joined(separator: ", ")
        return rule("dates", hard: false, unsourced.isEmpty, detail)
    }

    private func rule(_ id: String, hard: Bool, _ ok: Bool, _ detail: String) -> ReportRuleResult {
        ReportRuleResult(id: id, hard: hard, ok: ok, detail: detail)
    }
}

extension ReportCheck {
    /// Raw HTML tags in `text` (for the answers of other passes too).
    public static func htmlTags(in text: String) -> [String] { ReportText.htmlTags(in: text) }
}
