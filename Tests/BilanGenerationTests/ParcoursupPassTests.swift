import Logging
import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration

/// SPEC §13 in the pass runner: the programmes are selected once before the
/// terrain pass and stored with the bilan, the prompt carries them as a
/// delimited data block naming source and session, the stored report opens
/// « Réalité du terrain » with the code's table, and without data the
/// prompt and the report are those of before.
@Suite("Terrain pass with Parcoursup data")
struct ParcoursupPassTests {
    /// Returns its rows and records what it was asked.
    final class FixedCatalog: ProgrammeCatalog {
        let selection: ProgrammeSelection
        var requests: [ProgrammeRequest] = []
        init(_ selection: ProgrammeSelection) { self.selection = selection }
        func programmes(for request: ProgrammeRequest) throws -> ProgrammeSelection {
            requests.append(request)
            return selection
        }
    }

    static func questionnaire() throws -> JSONValue {
        let answers = try ReportFixtures.questionnaire()
        let members = (answers.objectValue ?? []).filter { $0.0 != "mobilite" } + [("mobilite", "REGIONALE"), ("departement", "35")]
        return try QuestionnaireValidator.validate(.object(members))
    }

    typealias Pass = PassRunnerTests

    @Test func theTerrainPromptCarriesTheRowsAndTheReportTheTable() throws {
        let catalog = FixedCatalog(ProgrammeFixtures.selection)
        let run = try Pass.run([Pass.initial, Pass.analysis, Pass.answer(Pass.goodReport)], questionnaire: Self.questionnaire(), catalog: catalog)
        #expect(run.outcome == .completed)
        // Asked once, for the région of the département, with its families.
        #expect(catalog.requests.count == 1)
        #expect(catalog.requests.first?.departements == ["22", "29", "35", "56"] && catalog.requests.first?.home == "35")
        #expect(run.store.programmes == ProgrammeFixtures.selection)
        let prompts = run.gemini.requests.map(\.prompt)
        #expect(!prompts[0].contains(ProgrammeDataBlock.start) && !prompts[1].contains(ProgrammeDataBlock.start))
        let terrain = prompts[2]
        #expect(terrain.contains("\n\(ProgrammeDataBlock.start)\nSource : \(ProgrammeSelection.source), session 2025 ; zone de recherche : région Bretagne."))
        #expect(terrain.contains("- CPGE - MPSI — Lycée Chateaubriand, Rennes (35) ; Public ; formation sélective ; taux d'accès 43 % ; 48 places ; 812 candidats"))
        #expect(terrain.contains("- CPGE - ECG | option [maths] — Lycée ‹Brizeux›, Quimper (29)"))
        #expect(terrain.contains("\(ProgrammeDataBlock.end)\n") && terrain.contains("n'écris aucun pourcentage qui ne soit le taux d'accès"))
        #expect(terrain.contains("rang du dernier appelé"))
        // The code's table opens the section; the model's text follows it.
        let report = try #require(run.store.report)
        let table = FormationTable(selection: ProgrammeFixtures.selection, linkHosts: Set(ReportOutline.defaultLinkHosts))!
        #expect(report.contains("## Réalité du terrain\n\n" + table.markdown + "\n"))
        #expect(report.ranges(of: "### Formations repérées").count == 1)
        #expect(run.store.verdict?.rule("programmes")?.ok == true)
        #expect(run.store.rendered?.html.contains("<table>") == true)
        #expect(run.store.rendered?.html.contains("href=\"\(ProgrammeFixtures.link.replacing("&", with: "&amp;"))\"") == true)
    }

    @Test func aResumedRunKeepsTheStoredRows() throws {
        let catalog = FixedCatalog(ProgrammeSelection(session: 2026, scope: "x", rows: []))
        let saved: JSONValue = ["initial": ReportFixtures.validInitialAnalysis, "psychopedagogique": .string(String(repeating: "mot ", count: 300))]
        let run = try Pass.run(
            [Pass.answer(Pass.goodReport)], checkpoints: saved, questionnaire: Self.questionnaire(), catalog: catalog,
            programmes: ProgrammeFixtures.selection)
        #expect(run.outcome == .completed && catalog.requests.isEmpty && run.store.programmes == nil)
        #expect(run.gemini.requests[0].prompt.contains("session 2025"))
        #expect(run.store.report?.contains("### Formations repérées") == true)
    }

    @Test func aRepairSeesTheRowsButNotTheTable() throws {
        var broken = ReportFixtures.Draft()
        broken.add("Voir aussi [un forum](https://forum.example.net/orientation).")
        let run = try Pass.run(
            [Pass.initial, Pass.analysis, Pass.answer(broken.text), Pass.answer(Pass.goodReport)], questionnaire: Self.questionnaire(),
            catalog: FixedCatalog(ProgrammeFixtures.selection))
        #expect(run.outcome == .completed && run.gemini.requests.count == 4)
        let repair = run.gemini.requests[3].prompt
        #expect(repair.contains(ProgrammeDataBlock.start) && !repair.contains("### Formations repérées"))
        #expect(run.store.checkpoints["repair"]?.stringValue == Pass.goodReport)
        #expect(run.store.report?.ranges(of: "### Formations repérées").count == 1)
    }

    @Test func withoutDataThePromptAndTheReportAreThoseOfBefore() throws {
        let empty = FixedCatalog(ProgrammeSelection(session: nil, scope: "région Bretagne", rows: []))
        let run = try Pass.run([Pass.initial, Pass.analysis, Pass.answer(Pass.goodReport)], questionnaire: Self.questionnaire(), catalog: empty)
        let plain = try Pass.run([Pass.initial, Pass.analysis, Pass.answer(Pass.goodReport)], questionnaire: Self.questionnaire())
        #expect(run.outcome == .completed && run.store.programmes?.rows.isEmpty == true)
        #expect(run.gemini.requests.map(\.prompt) == plain.gemini.requests.map(\.prompt))
        #expect(!run.gemini.requests[2].prompt.contains("FORMATIONS") && !run.gemini.requests[2].prompt.contains("Formations repérées"))
        #expect(run.store.report == Pass.goodReport)
        #expect(run.store.verdict?.rule("programmes") == nil)
    }

    @Test func noTypeOfStudiesAsksNothing() throws {
        let catalog = FixedCatalog(ProgrammeFixtures.selection)
        let members = try Self.questionnaire().objectValue!.filter { $0.0 != "typesEtudes" }
        let run = try Pass.run([Pass.initial, Pass.analysis, Pass.answer(Pass.goodReport)], questionnaire: .object(members), catalog: catalog)
        #expect(run.outcome == .completed && catalog.requests.isEmpty && run.store.programmes?.rows.isEmpty == true)
    }
}
