import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §13: the « Formations repérées » table the code builds from the
/// rows, where it goes in the report, and the soft rule on the figures of
/// « Réalité du terrain ».
@Suite("Formations repérées")
struct FormationTableTests {
    static let hosts = Set(ReportOutline.defaultLinkHosts)
    static let table = FormationTable(selection: ProgrammeFixtures.selection, linkHosts: hosts)!

    static func tableLines() -> [String] {
        table.markdown.split(separator: "\n").map(String.init).filter { $0.hasPrefix("|") }
    }

    @Test func oneRowPerProgrammeWithRateAndLink() {
        let lines = Self.tableLines()
        #expect(lines.count == 2 + ProgrammeFixtures.rows.count)
        #expect(lines[0] == "| Formation | Établissement | Ville | Statut | Sélectivité | Taux d'accès | Places | Fiche Parcoursup |")
        #expect(lines[2] == "| CPGE - MPSI | Lycée Chateaubriand | Rennes (35) | public | sélective | 43 % | 48 | [voir la fiche](\(ProgrammeFixtures.link)) |")
        #expect(lines[3].contains("| 60,5 % | 112 |"))
        #expect(Self.table.markdown.hasPrefix("### Formations repérées\n"))
        #expect(Self.table.markdown.contains("session 2025") && Self.table.markdown.contains("fr-esr-parcoursup"))
        #expect(Self.table.markdown.contains("ce n'est pas une chance personnelle d'être admis"))
    }

    @Test func dataCannotBreakTheTableNorCarryMarkupOrOffListLinks() {
        let row = Self.tableLines()[4]
        // The pipe and brackets of the title, the angle brackets of the name are neutralised.
        #expect(row.hasPrefix("| CPGE - ECG / option (maths) | Lycée ‹Brizeux› | Quimper (29) | privé sous contrat d'association | — | 39 % | — | — |"))
        #expect(row.split(separator: "|", omittingEmptySubsequences: false).count == 10)
        // example.com is not a link host: no link at all, the report check's link rule holds.
        #expect(!Self.table.markdown.contains("example.com"))
        let narrow = FormationTable(selection: ProgrammeFixtures.selection, linkHosts: ["www.onisep.fr"])!
        #expect(!narrow.markdown.contains("](https://"))
    }

    @Test func noRowsMeansNoTable() {
        #expect(FormationTable(selection: nil, linkHosts: Self.hosts) == nil)
        #expect(FormationTable(selection: ProgrammeSelection(session: nil, scope: "x", rows: []), linkHosts: Self.hosts) == nil)
    }

    @Test func theTableOpensTheTerrainSectionOnceWhateverTheModelWrote() {
        let report = ReportFixtures.Draft().text
        let inserted = Self.table.inserted(into: report)
        let lines = inserted.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let section = lines.firstIndex(of: "## Réalité du terrain")!
        #expect(lines[section + 1] == "" && lines[section + 2] == "### Formations repérées")
        #expect(MarkdownSections.headings(inserted) == ReportOutline.headings)
        // Inserting into a report that already holds it (or the model's copy) keeps one table.
        #expect(Self.table.inserted(into: inserted) == inserted)
        var copied = ReportFixtures.Draft()
        copied.add("### Formations repérées\n\n| a | b |\n|---|---|\n| x | 99 % |")
        let once = Self.table.inserted(into: copied.text)
        #expect(once.ranges(of: "### Formations repérées").count == 1 && !once.contains("99 %"))
        // No section, nothing to do.
        #expect(Self.table.inserted(into: "# Titre\n\n## Autre\n\ntexte") == "# Titre\n\n## Autre\n\ntexte")
    }

    @Test func aReportWithTheTablePassesEveryRule() throws {
        var draft = ReportFixtures.Draft()
        draft.add("Le lycée Chateaubriand affiche un taux d'accès de 43 %, l'IUT de Lannion 60,5 % (soit environ 61 pour cent).")
        let report = Self.table.inserted(into: draft.text)
        let verdict = ReportFixtures.check.verify(report, questionnaire: try ReportFixtures.questionnaire(), programmes: ProgrammeFixtures.selection)
        #expect(verdict.broken.map(\.id) == [], "\(verdict.broken)")
        #expect(verdict.rule("programmes")?.hard == false)
        #expect(verdict.rules.last?.id == "programmes")
    }

    @Test func aPercentageOfItsOwnIsASoftFault() throws {
        var draft = ReportFixtures.Draft()
        draft.removeFillers()
        draft.add("Environ 73 % des candidats y entrent, et 12,5% viennent d'ailleurs ; 39 % à Quimper.")
        let report = Self.table.inserted(into: draft.text)
        let rule = try #require(
            ReportFixtures.check.verify(report, questionnaire: try ReportFixtures.questionnaire(), programmes: ProgrammeFixtures.selection)
                .rule("programmes"))
        #expect(!rule.ok && !rule.hard)
        #expect(rule.detail == "not an access rate of the table: 73 %, 12,5 %")
    }

    @Test func withoutRowsTheRuleIsLeftOut() throws {
        let report = ReportFixtures.Draft().text + "\n\n12 % ailleurs"
        let verdict = ReportFixtures.check.verify(report, questionnaire: nil, programmes: ProgrammeSelection(session: nil, scope: "", rows: []))
        #expect(verdict.rule("programmes") == nil)
        #expect(ReportFixtures.check.verify(report, questionnaire: nil).rules.count == verdict.rules.count)
    }

    @Test func percentagesAreReadInTheirFrenchForms() {
        #expect(ReportText.percentages(in: "54 %, 7,5%, 12\u{202F}% et 30 pour cent ; 100% ; fin.") == [54, 7.5, 12, 30, 100])
        #expect(ReportText.percentages(in: "%, le %.") == [])
        #expect(ReportCheck.sameRate(53.6, 54) && ReportCheck.sameRate(53.6, 53.6) && !ReportCheck.sameRate(53.6, 53.5))
    }

    @Test func aStoredSelectionRoundTrips() throws {
        let json = ProgrammeFixtures.selection.json
        #expect(ProgrammeSelection(json: try JSONParser.parse(json.serialized)) == ProgrammeFixtures.selection)
        #expect(ProgrammeSelection(json: ["rows": []])?.rows.isEmpty == true)
        #expect(ProgrammeSelection(json: .null) == nil)
        #expect(FrenchNumber.text(60.5) == "60,5" && FrenchNumber.text(7.25) == "7,25" && FrenchNumber.text(43) == "43")
        #expect(FrenchNumber.grouped(12410) == "12 410" && FrenchNumber.grouped(48) == "48")
    }
}
