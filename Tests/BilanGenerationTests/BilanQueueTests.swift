import Logging
import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration
import BilanMarkdown

/// The queue, the drain and recovery over an in-memory table: one generator
/// per bilan (locks), the preferred bilan first, a bilan that finished between
/// the listing and the lock given back, attempts used up turned into FAILED —
/// what `integration/reliability` shows with several real generators, here in
/// milliseconds.
@Suite("Queue, drain and recovery with an in-memory table")
struct BilanQueueTests {
    /// `orientation_bilans` and the advisory locks, as several generators
    /// (sessions) sharing one database see them. Also the transitions and the
    /// notification store, so a whole drain runs on the same rows.
    final class MemoryTable: GenerationStore, NotificationStore {
        struct Row {
            var id: String
            var status = "PENDING"
            var attempts = 0
            var delayed = false
            var claimer: String?
            var mailOwed = true
        }
        var rows: [Row]
        var locks: [String: String] = [:]
        /// Bilans another generator finishes right after our listing.
        var finishedByOthersOnLock: Set<String> = []

        init(_ ids: [String]) { rows = ids.map { Row(id: $0) } }

        func row(_ id: String) -> Row? { rows.first { $0.id == id } }
        func update(_ id: String, _ change: (inout Row) -> Void) {
            if let index = rows.firstIndex(where: { $0.id == id }) { change(&rows[index]) }
        }

        func startPass(_ id: String, step: Int) {}
        func saveCheckpoint(_ id: String, key: String, value: JSONValue, nextStep: Int, modelVersion: String) {}
        func complete(_ id: String, report: String, verdict: ReportVerdict, rendered: RenderedReport?) {
            update(id) { $0.status = "COMPLETED" }
        }
        func fail(_ id: String, kind: FailureKind, message: String, detail: String, verdict: ReportVerdict?) {
            update(id) { $0.status = "FAILED" }
        }
        func requeue(_ id: String, delaySeconds: Double, detail: String, countsAsAttempt: Bool) {
            update(id) { $0.delayed = delaySeconds > 0 }
        }
        func flagDistress(_ id: String) {}
        func saveProgrammes(_ id: String, selection: ProgrammeSelection) {}

        func claimNotification(_ id: String, unconfirmedRetrySeconds: Int) -> NotificationClaim? {
            guard let row = row(id), row.status == "COMPLETED", row.mailOwed else { return nil }
            return NotificationClaim(recipient: "eleve@example.org", report: ReportFixtures.Draft().text, attempts: 1, distressFlag: false)
        }
        func releaseNotificationClaim(_ id: String) {}
        func markNotificationSent(_ id: String) { update(id) { $0.mailOwed = false } }
    }

    /// One generator's connection to the table.
    struct Session: QueueStore {
        let table: MemoryTable
        let name: String

        func queuedCandidates(preferred: String?, limit: Int) -> [String] {
            let ready = table.rows.filter { $0.status == "PENDING" && !$0.delayed }.map(\.id)
            let ordered = ready.filter { $0 == preferred } + ready.filter { $0 != preferred }
            return Array(ordered.prefix(limit))
        }
        func tryLock(_ id: String) -> Bool {
            if table.finishedByOthersOnLock.remove(id) != nil { table.update(id) { $0.status = "COMPLETED" } }
            guard table.locks[id] == nil || table.locks[id] == name else { return false }
            table.locks[id] = name
            return true
        }
        func unlock(_ id: String) {
            if table.locks[id] == name { table.locks[id] = nil }
        }
        func claim(_ id: String, claimer: String) -> ClaimedBilan? {
            guard let row = table.row(id), row.status == "PENDING" else { return nil }
            table.update(id) {
                $0.attempts += 1
                $0.claimer = claimer
            }
            return ClaimedBilan(
                id: id, attempts: row.attempts + 1, step: 0, questionnaire: (try? ReportFixtures.questionnaire()) ?? [:],
                checkpoints: [:], distressFlag: false)
        }
        func exhaustedBilans(maxAttempts: Int) -> [String] {
            table.rows.filter { $0.status == "PENDING" && $0.attempts >= maxAttempts }.map(\.id)
        }
        func failAfterLastAttempt(_ id: String, maxAttempts: Int) -> Bool {
            guard table.row(id)?.status == "PENDING" else { return false }
            table.update(id) { $0.status = "FAILED" }
            return true
        }
        func unsentEmails(maxMailAttempts: Int, unconfirmedRetrySeconds: Int) -> [String] {
            table.rows.filter { $0.status == "COMPLETED" && $0.mailOwed }.map(\.id)
        }
    }

    static let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    func queue(_ table: MemoryTable, _ name: String) -> BilanQueue {
        BilanQueue(store: Session(table: table, name: name), claimer: "host:\(name)")
    }

    @Test func thePreferredBilanFirstThenTheOldest() throws {
        let table = MemoryTable(["b1", "b2", "b3"])
        let claimed = try #require(try queue(table, "g1").claimNextQueuedBilan(preferred: "b3"))
        #expect(claimed.id == "b3" && claimed.attempts == 1)
        #expect(table.locks["b3"] == "g1" && table.row("b3")?.claimer == "host:g1")
        let next = try #require(try queue(table, "g2").claimNextQueuedBilan())
        #expect(next.id == "b1")
    }

    @Test func aBilanAnotherGeneratorHoldsIsSkipped() throws {
        let table = MemoryTable(["b1", "b2"])
        let first = queue(table, "g1")
        let second = queue(table, "g2")
        #expect(try first.claimNextQueuedBilan()?.id == "b1")
        #expect(try second.claimNextQueuedBilan()?.id == "b2")
        #expect(table.row("b1")?.attempts == 1, "the held bilan was not claimed a second time")
        try first.release("b1")
        #expect(table.locks["b1"] == nil && table.locks["b2"] == "g2")
    }

    @Test func aBilanFinishedBetweenTheListingAndTheLockIsGivenBack() throws {
        let table = MemoryTable(["b1", "b2"])
        table.finishedByOthersOnLock = ["b1"]
        let claimed = try #require(try queue(table, "g1").claimNextQueuedBilan())
        #expect(claimed.id == "b2")
        #expect(table.locks["b1"] == nil, "the lock of the finished bilan is released")
        #expect(table.row("b1")?.attempts == 0)
    }

    @Test func nothingQueuedMeansNothingClaimed() throws {
        let table = MemoryTable(["b1"])
        table.update("b1") { $0.status = "COMPLETED" }
        #expect(try queue(table, "g1").claimNextQueuedBilan() == nil)
        table.update("b1") {
            $0.status = "PENDING"
            $0.delayed = true
        }
        #expect(try queue(table, "g1").claimNextQueuedBilan() == nil, "a requeued bilan waits for its time")
        #expect(table.locks.isEmpty)
    }

    /// A drain by one generator; `pdfs` and `renderer` are its PDF store and
    /// WeasyPrint (a PDF made for every completed bilan unless told to fail).
    func drain(
        _ table: MemoryTable, _ script: [(GeminiRequest) -> Result<GeminiAnswer, GeminiError>], preferred: String?,
        pdfs: MemoryPDFStore = MemoryPDFStore(), renderer: ScriptedRenderer = ScriptedRenderer()
    ) throws -> (handled: Int, mails: Int, messages: [[UInt8]]) {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let transport = BilanNotifierTests.MemoryTransport()
        pdfs.isCompleted = { table.row($0)?.status == "COMPLETED" }
        let generator = Generator(
            queue: queue(table, "g1"),
            runner: try PassRunnerTests.runner(store: table, gemini: PassRunnerTests.ScriptedGemini(script)),
            pdfs: try PDFFakes.maker(pdfs, renderer),
            notifier: try BilanNotifierTests().notifier(table, transport, runtime: folder.path, pdfs: pdfs),
            logger: Self.logger)
        let handled = try generator.drainQueue(startingWith: preferred)
        return (handled, transport.messages.count, transport.messages.map(\.bytes))
    }

    static var threePasses: [(GeminiRequest) -> Result<GeminiAnswer, GeminiError>] { [PassRunnerTests.initial, PassRunnerTests.analysis, PassRunnerTests.answer(PassRunnerTests.goodReport)] }

    @Test func aDrainCompletesAndMailsEveryQueuedBilanThenLetsGo() throws {
        let table = MemoryTable(["b1", "b2"])
        let result = try drain(table, Self.threePasses + Self.threePasses, preferred: "b2")
        #expect(result.handled == 2 && result.mails == 2)
        #expect(table.rows.allSatisfy { $0.status == "COMPLETED" && !$0.mailOwed && $0.attempts == 1 })
        #expect(table.locks.isEmpty)
    }

    @Test func aRequeuedBilanIsNotTakenAgainInTheSameDrain() throws {
        let table = MemoryTable(["b1", "b2"])
        let busy = PassRunnerTests.failure(GeminiError(.retryable, "503 UNAVAILABLE"))
        let result = try drain(table, [busy] + Self.threePasses, preferred: nil)
        #expect(result.handled == 2 && result.mails == 1)
        #expect(table.row("b1")?.status == "PENDING" && table.row("b1")?.delayed == true)
        #expect(table.row("b2")?.status == "COMPLETED")
        #expect(table.locks.isEmpty)
    }

    func recovery(
        _ table: MemoryTable, _ name: String, folder: TemporaryDirectory, pdfs: MemoryPDFStore = MemoryPDFStore(),
        renderer: ScriptedRenderer = ScriptedRenderer()
    ) throws -> Recovery {
        let session = Session(table: table, name: name)
        pdfs.isCompleted = { table.row($0)?.status == "COMPLETED" }
        pdfs.known = table.rows.map(\.id)
        return Recovery(
            store: session, queue: BilanQueue(store: session, claimer: name),
            notifier: try BilanNotifierTests().notifier(
                table, BilanNotifierTests.MemoryTransport(), runtime: folder.path, pdfs: pdfs),
            pdfs: try PDFFakes.maker(pdfs, renderer), maxAttempts: 3, logger: Self.logger)
    }

    @Test func recoveryFailsWhatUsedUpItsAttemptsUnlessAGeneratorHoldsIt() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let table = MemoryTable(["spent", "held", "young"])
        table.update("spent") { $0.attempts = 3 }
        table.update("held") { $0.attempts = 4 }
        table.update("young") { $0.attempts = 1 }
        table.locks["held"] = "g-other"
        #expect(try recovery(table, "recover", folder: folder).failExhaustedBilans() == 1)
        #expect(table.row("spent")?.status == "FAILED")
        #expect(table.row("held")?.status == "PENDING" && table.row("young")?.status == "PENDING")
        #expect(table.locks == ["held": "g-other"])
    }

    @Test func recoveryMailsWhatIsOwedOnceAndSkipsWhatAGeneratorHolds() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let table = MemoryTable(["done", "sending"])
        for id in ["done", "sending"] { table.update(id) { $0.status = "COMPLETED" } }
        table.locks["sending"] = "g-other"
        let recovery = try recovery(table, "recover", folder: folder)
        let first = try recovery.retryUnsentEmails()
        #expect(first.sent == 1 && first.failed == 0)
        #expect(table.row("done")?.mailOwed == false && table.row("sending")?.mailOwed == true)
        table.locks["sending"] = nil
        #expect(try recovery.retryUnsentEmails().sent == 1)
        #expect(try recovery.retryUnsentEmails().sent == 0)
    }

    /// One writer per transition: the statements that change a bilan's
    /// `status` or `progressStep` are run from `BilanTransitions` only.
    @Test func onlyTheTransitionsTypeWritesABilansState() throws {
        let writers = ["setStep", "saveCheckpoint", "complete", "fail", "requeue", "adminRetry"]
        var offenders: [String] = []
        for file in TestSupport.swiftFiles(under: TestSupport.repositoryRoot + "/Sources") where !file.hasSuffix("/Queue/BilanTransitions.swift") {
            let text = try #require(readTextFile(file))
            for name in writers where text.contains("GenerationQueries.\(name).") || text.contains("GenerationQueries.\(name),") {
                offenders.append("\(file): \(name)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
