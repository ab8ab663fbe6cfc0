import Logging
import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration
@testable import BilanMarkdown

/// `PassRunner` without a database or a network: a scripted Gemini and an
/// in-memory store of the bilan's transitions. What the end-to-end suite
/// shows on the real stack, here in milliseconds: the three passes and their
/// checkpoints, the resume after a crash, the report check's one repair, and
/// what each kind of failure does to the bilan.
@Suite("PassRunner with in-memory fakes")
struct PassRunnerTests {
    /// Answers calls in order; records every request.
    final class ScriptedGemini: GeminiGenerating {
        var script: [(GeminiRequest) -> Result<GeminiAnswer, GeminiError>]
        var requests: [GeminiRequest] = []

        init(_ script: [(GeminiRequest) -> Result<GeminiAnswer, GeminiError>]) { self.script = script }

        func generate(_ request: GeminiRequest, metadata: Logger.Metadata) throws(GeminiError) -> GeminiAnswer {
            requests.append(request)
            guard !script.isEmpty else { throw GeminiError(.retryable, "script exhausted") }
            return try script.removeFirst()(request).get()
        }
    }

    /// The bilan's row, as the transitions leave it.
    final class MemoryStore: GenerationStore {
        var status = "PENDING"
        var steps: [Int] = []
        var checkpoints: [String: JSONValue] = [:]
        var versions: [String: String] = [:]
        var report: String?
        var verdict: ReportVerdict?
        var rendered: RenderedReport?
        var failure: (kind: FailureKind, message: String, detail: String)?
        var requeues: [(detail: String, counted: Bool)] = []
        var flagged = false
        var programmes: ProgrammeSelection?

        func startPass(_ id: String, step: Int) { steps.append(step) }
        func saveCheckpoint(_ id: String, key: String, value: JSONValue, nextStep: Int, modelVersion: String) {
            checkpoints[key] = value
            versions[key] = modelVersion
            steps.append(nextStep)
        }
        func complete(_ id: String, report: String, verdict: ReportVerdict, rendered: RenderedReport?) {
            precondition(status == "PENDING")
            status = "COMPLETED"
            (self.report, self.verdict, self.rendered) = (report, verdict, rendered)
        }
        func fail(_ id: String, kind: FailureKind, message: String, detail: String, verdict: ReportVerdict?) {
            precondition(status == "PENDING")
            status = "FAILED"
            failure = (kind, message, detail)
            self.verdict = verdict
        }
        func requeue(_ id: String, delaySeconds: Double, detail: String, countsAsAttempt: Bool) {
            requeues.append((detail, countsAsAttempt))
        }
        func flagDistress(_ id: String) { flagged = true }
        func saveProgrammes(_ id: String, selection: ProgrammeSelection) { programmes = selection }
    }

    static func answer(_ text: String) -> (GeminiRequest) -> Result<GeminiAnswer, GeminiError> {
        { _ in .success(GeminiAnswer(text: text, promptTokens: 1, outputTokens: 1, totalTokens: 2, modelVersion: "gemini-test-001")) }
    }

    static func failure(_ error: GeminiError) -> (GeminiRequest) -> Result<GeminiAnswer, GeminiError> {
        { _ in .failure(error) }
    }

    static var initial: (GeminiRequest) -> Result<GeminiAnswer, GeminiError> { answer(ReportFixtures.validInitialAnalysis.serialized) }
    static var analysis: (GeminiRequest) -> Result<GeminiAnswer, GeminiError> {
        answer(String(repeating: "Travaillez par séances courtes et régulières, en reliant chaque chapitre à un exercice. ", count: 25))
    }
    static let goodReport = ReportFixtures.Draft().text.trimmingSpaces()  // as the runner stores answers
    static let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Run {
        var gemini: ScriptedGemini
        var store = MemoryStore()
        var outcome: GenerationOutcome?
    }

    /// The runner of a generator on 2026-12-02, with the repository's templates.
    static func runner(
        store: any GenerationStore, gemini: any GeminiGenerating, catalog: any ProgrammeCatalog = NoProgrammeCatalog()
    ) throws -> PassRunner {
        let materials = try TestSupport.materials()
        let prompts = PromptBuilder(
            templates: TemplateLibrary(directory: TestSupport.templatesDirectory), materials: materials,
            today: CivilDate(year: 2026, month: 12, day: 2), linkHosts: ReportOutline.defaultLinkHosts)
        return PassRunner(
            store: store, gemini: gemini, prompts: prompts, materials: materials, check: ReportFixtures.check,
            logger: logger, maxAttempts: 3, requeueBaseSeconds: 60, catalog: catalog)
    }

    static func run(
        _ script: [(GeminiRequest) -> Result<GeminiAnswer, GeminiError>], checkpoints: JSONValue = [:],
        attempts: Int = 1, questionnaire: JSONValue? = nil, catalog: any ProgrammeCatalog = NoProgrammeCatalog(),
        programmes: ProgrammeSelection? = nil
    ) throws -> Run {
        var run = Run(gemini: ScriptedGemini(script))
        let runner = try runner(store: run.store, gemini: run.gemini, catalog: catalog)
        let answers = try questionnaire ?? ReportFixtures.questionnaire()
        run.outcome = try runner.run(
            ClaimedBilan(
                id: "b1", attempts: attempts, step: 0, questionnaire: answers, checkpoints: checkpoints, distressFlag: false,
                programmes: programmes))
        return run
    }

    @Test func threePassesThenACheckedAndRenderedReport() throws {
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(Self.goodReport)])
        #expect(run.outcome == .completed)
        #expect(run.gemini.requests.count == 3)
        #expect(run.gemini.requests[0].responseSchema != nil && run.gemini.requests[1].responseSchema == nil)
        #expect(run.store.status == "COMPLETED" && run.store.report == Self.goodReport)
        #expect(run.store.verdict?.allPassed == true && run.store.verdict?.repaired == false)
        #expect(run.store.rendered?.sections.count == 8)
        #expect(Set(run.store.checkpoints.keys) == ["initial", "psychopedagogique", "terrain"])
        #expect(run.store.versions.values.allSatisfy { $0 == "gemini-test-001" })
        #expect(run.store.steps == [1, 2, 2, 3, 3, 3])
    }

    @Test func aSavedPassIsNeverRequestedAgain() throws {
        let saved: JSONValue = ["initial": ReportFixtures.validInitialAnalysis, "psychopedagogique": .string(String(repeating: "mot ", count: 300))]
        let run = try Self.run([Self.answer(Self.goodReport)], checkpoints: saved)
        #expect(run.outcome == .completed)
        #expect(run.gemini.requests.count == 1)
        #expect(run.gemini.requests[0].prompt.contains("PASSE 3 SUR 3"))
    }

    @Test func aBrokenReportGetsOneRepairAndIsStoredClean() throws {
        var broken = ReportFixtures.Draft()
        broken.add("Voir aussi [un forum](https://forum.example.net/orientation).")
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(broken.text), Self.answer(Self.goodReport)])
        #expect(run.outcome == .completed)
        #expect(run.gemini.requests.count == 4)
        let repair = run.gemini.requests[3].prompt
        #expect(repair.contains("RÉPARATION DU BILAN") && repair.contains("forum.example.net"))
        #expect(run.store.report == Self.goodReport)
        #expect(run.store.verdict?.repaired == true && run.store.verdict?.linksNeutralised == 0)
        #expect(run.store.checkpoints["repair"]?.stringValue == Self.goodReport)
    }

    @Test func offListLinksLeftAfterTheRepairBecomeText() throws {
        var broken = ReportFixtures.Draft()
        broken.add("Voir aussi [un forum](https://forum.example.net/orientation).")
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(broken.text), Self.answer(broken.text)])
        #expect(run.outcome == .completed)
        #expect(run.store.report?.contains("forum.example.net") == false)
        #expect(run.store.report?.contains("Voir aussi un forum.") == true)
        #expect(run.store.verdict?.linksNeutralised == 1 && run.store.verdict?.passed == true)
    }

    @Test func htmlLeftAfterTheRepairRefusesTheReport() throws {
        var broken = ReportFixtures.Draft()
        broken.add("<script>alert(1)</script>")
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(broken.text), Self.answer(broken.text)])
        guard case .failed = run.outcome else { Issue.record("\(String(describing: run.outcome))"); return }
        #expect(run.store.failure?.kind == .reportRefused && run.store.report == nil)
        #expect(run.store.verdict?.passed == false)
    }

    /// A link cmark sees but the Markdown scan does not (a reference
    /// definition without a scheme): the report is not stored.
    @Test func aLinkOnlyCmarkSeesRefusesTheReport() throws {
        var sneaky = ReportFixtures.Draft()
        sneaky.add("Voir [ce site][1].\n\n[1]: //evil.example/x")
        #expect(ReportFixtures.check.verify(sneaky.text, questionnaire: try ReportFixtures.questionnaire()).passed)
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(sneaky.text), Self.answer(sneaky.text)])
        #expect(run.store.failure?.kind == .reportRefused && run.store.report == nil)
        #expect(run.store.verdict?.rule("links")?.ok == false)
    }

    @Test func aRepairWorseThanTheDraftIsNotPublished() throws {
        var softOnly = ReportFixtures.Draft()
        softOnly.add("Vos choix de PHYSIQUE_CHIMIE comptent.")  // a raw code: a soft rule only
        var worse = ReportFixtures.Draft()
        worse.add("<b>important</b>")
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(softOnly.text), Self.answer(worse.text)])
        #expect(run.outcome == .completed)
        #expect(run.store.report == softOnly.text.trimmingSpaces())
        #expect(run.store.verdict?.passed == true && run.store.verdict?.repaired == true)
        #expect(run.store.verdict?.broken.map(\.id) == ["no-codes"])
    }

    @Test func aRepairedReportRestartedIsNotRepairedTwice() throws {
        var broken = ReportFixtures.Draft()
        broken.add("Voir aussi [un forum](https://forum.example.net/orientation).")
        let saved: JSONValue = [
            "initial": ReportFixtures.validInitialAnalysis, "psychopedagogique": .string(String(repeating: "mot ", count: 300)),
            "terrain": .string(broken.text), "repair": .string(Self.goodReport),
        ]
        let run = try Self.run([], checkpoints: saved)
        #expect(run.outcome == .completed && run.gemini.requests.isEmpty)
        #expect(run.store.verdict?.repaired == true)
    }

    @Test func refusedContentFailsAtOnceWithoutAskingToRephrase() throws {
        let run = try Self.run([Self.failure(GeminiError(.refused, "prompt blocked: SAFETY"))])
        #expect(run.store.failure?.kind == .contentRefused)
        #expect(run.store.failure?.message == BilanMessages.contentRefused)
        #expect(!TextFolding.fold(BilanMessages.contentRefused).contains("reformul"))
        #expect(run.gemini.requests.count == 1)
    }

    @Test func noModelLeftForADayFailsTheBilan() throws {
        var run = Run(gemini: ScriptedGemini([Self.failure(GeminiError(.modelMissing, "404", httpStatus: 404))]))
        let materials = try TestSupport.materials()
        let runner = PassRunner(
            store: run.store, gemini: run.gemini,
            prompts: PromptBuilder(
                templates: TemplateLibrary(directory: TestSupport.templatesDirectory), materials: materials,
                today: CivilDate(year: 2026, month: 12, day: 2), linkHosts: ReportOutline.defaultLinkHosts),
            materials: materials, check: ReportFixtures.check, logger: Self.logger, maxAttempts: 3, requeueBaseSeconds: 60)
        var bilan = ClaimedBilan(
            id: "b1", attempts: 1, step: 0, questionnaire: try ReportFixtures.questionnaire(), checkpoints: [:],
            distressFlag: false)
        bilan.ageSeconds = 86_401
        run.outcome = try runner.run(bilan)
        #expect(run.store.failure?.kind == .service && run.store.requeues.isEmpty)
    }

    @Test func noModelLeftRequeuesWithoutUsingAnAttempt() throws {
        let run = try Self.run([Self.failure(GeminiError(.modelMissing, "every model answered 404", httpStatus: 404))])
        #expect(run.store.status == "PENDING")
        #expect(run.store.requeues.count == 1 && run.store.requeues[0].counted == false)
    }

    @Test func anInvalidPassOneIsTriedTwiceThenRequeued() throws {
        let run = try Self.run([Self.answer("{\"synthese\": \"trop court\"}"), Self.answer("pas du JSON")])
        #expect(run.gemini.requests.count == 2)
        #expect(run.store.requeues.count == 1 && run.store.requeues[0].counted)
        #expect(run.store.checkpoints.isEmpty)
    }

    @Test func theLastAttemptFailsInsteadOfRequeueing() throws {
        let run = try Self.run([Self.failure(GeminiError(.retryable, "503", httpStatus: 503))], attempts: 3)
        #expect(run.store.failure?.kind == .attempts && run.store.requeues.isEmpty)
    }

    @Test func distressFoundTodayFlagsTheBilanAndReachesThePrompts() throws {
        var answers = try ReportFixtures.questionnaire()
        answers = TestSupport.setting(answers, "difficultes", .string("Je n'en peux plus, j'ai envie de disparaître."))
        let run = try Self.run([Self.initial, Self.analysis, Self.answer(Self.goodReport)], questionnaire: answers)
        #expect(run.store.flagged)
        #expect(run.gemini.requests.allSatisfy { $0.prompt.contains("SIGNAL DE DÉTRESSE") })
    }
}
