import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration

/// The report PDF in the generator (SPEC §14), over in-memory fakes: made
/// after COMPLETED and attached to the mail; a PDF that fails is noted and
/// never stops the bilan nor its mail; recovery makes the missing ones, a
/// few per run, skipping a bilan another generator holds.
@Suite("Report PDF: maker, drain, recovery, attachment")
struct ReportPDFTests {
    static let id = "0f8fad5b-d9cb-469f-a165-70867728950e"

    func mailText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func aCompletedBilanIsPrintedFromItsReportAndStored() throws {
        let (store, renderer) = (MemoryPDFStore(), ScriptedRenderer())
        #expect(try PDFFakes.maker(store, renderer).makePDF(for: Self.id))
        #expect(renderer.documents.count == 1)
        let document = try #require(renderer.documents.first)
        #expect(document.contains(#"<h2 id="section-1">Synthèse de votre profil</h2>"#))
        #expect(store.pdfs[Self.id] == Array("%PDF-1.7 rendu 1\n".utf8))
        #expect(store.failures.isEmpty)
    }

    @Test func aBilanThatIsNotCompletedGetsNoPDF() throws {
        let (store, renderer) = (MemoryPDFStore(), ScriptedRenderer())
        store.isCompleted = { _ in false }
        #expect(try PDFFakes.maker(store, renderer).makePDF(for: Self.id) == false)
        #expect(renderer.documents.isEmpty && store.pdfs.isEmpty && store.failures.isEmpty)
    }

    @Test(arguments: [PDFRenderError.Kind.missing, .failed, .timedOut])
    func aRendererFailureIsNotedNotThrown(_ kind: PDFRenderError.Kind) throws {
        let (store, renderer) = (MemoryPDFStore(), ScriptedRenderer())
        renderer.failure = PDFRenderError(kind, "détail")
        #expect(try PDFFakes.maker(store, renderer).makePDF(for: Self.id) == false)
        #expect(store.pdfs.isEmpty)
        #expect(store.failures[Self.id] == ["WeasyPrint \(kind.rawValue): détail"])
    }

    @Test func theDrainAttachesThePDFToTheReadyMail() throws {
        let table = BilanQueueTests.MemoryTable(["b1"])
        let pdfs = MemoryPDFStore()
        let result = try BilanQueueTests().drain(table, BilanQueueTests.threePasses, preferred: "b1", pdfs: pdfs)
        #expect(result.handled == 1 && result.mails == 1)
        #expect(pdfs.pdfs["b1"] != nil)
        let mail = mailText(try #require(result.messages.first))
        #expect(mail.contains("Content-Type: multipart/mixed;"))
        #expect(mail.contains("Content-Disposition: attachment; filename=\"bilan-orientation-2026-12-02.pdf\""))
        #expect(mail.contains("Content-Type: application/pdf"))
    }

    @Test func withoutWeasyPrintTheBilanCompletesAndIsMailedWithoutAttachment() throws {
        let table = BilanQueueTests.MemoryTable(["b1", "b2"])
        let (pdfs, renderer) = (MemoryPDFStore(), ScriptedRenderer())
        renderer.failure = PDFRenderError(.missing, "weasyprint not found in PATH")
        let result = try BilanQueueTests().drain(
            table, BilanQueueTests.threePasses + BilanQueueTests.threePasses, preferred: nil, pdfs: pdfs,
            renderer: renderer)
        #expect(result.handled == 2 && result.mails == 2)
        #expect(table.rows.allSatisfy { $0.status == "COMPLETED" && !$0.mailOwed })
        #expect(pdfs.pdfs.isEmpty && pdfs.failures.count == 2)
        for message in result.messages {
            let mail = mailText(message)
            #expect(mail.contains("Content-Type: multipart/alternative;") && !mail.contains("multipart/mixed"))
        }
    }

    @Test func recoveryMakesMissingPDFsAFewPerRunAndSkipsWhatAGeneratorHolds() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let ids = ["c1", "c2", "c3", "c4", "c5", "queued"]
        let table = BilanQueueTests.MemoryTable(ids)
        for id in ids.dropLast() { table.update(id) { $0.status = "COMPLETED" } }
        table.locks["c1"] = "g-other"  // its generator is making that PDF right now
        let pdfs = MemoryPDFStore()
        let recovery = try BilanQueueTests().recovery(table, "recover", folder: folder, pdfs: pdfs)

        let first = try recovery.makeMissingPDFs()
        #expect(first.made == 2 && first.failed == 0, "c1 is held: the run's three are c1 (skipped), c2, c3")
        #expect(Set(pdfs.pdfs.keys) == ["c2", "c3"])
        table.locks["c1"] = nil
        let second = try recovery.makeMissingPDFs()
        #expect(second.made == Recovery.maxPDFsPerRun)
        #expect(Set(pdfs.pdfs.keys) == ["c1", "c2", "c3", "c4", "c5"], "the PENDING bilan gets none")
        #expect(try recovery.makeMissingPDFs().made == 0)
        #expect(table.locks.isEmpty)
    }

    @Test func recoveryCountsTheTriesThatStillFail() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let table = BilanQueueTests.MemoryTable(["c1"])
        table.update("c1") { $0.status = "COMPLETED" }
        let (pdfs, renderer) = (MemoryPDFStore(), ScriptedRenderer())
        renderer.failure = PDFRenderError(.timedOut, "killed after 60 s (PDF_TIMEOUT)")
        let recovery = try BilanQueueTests().recovery(table, "recover", folder: folder, pdfs: pdfs, renderer: renderer)
        let run = try recovery.makeMissingPDFs()
        #expect(run.made == 0 && run.failed == 1)
        #expect(pdfs.failures["c1"]?.count == 1)
        renderer.failure = nil
        #expect(try recovery.makeMissingPDFs().made == 1)
    }

    @Test func aPDFTooBigForMailStaysOnTheSite() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (store, transport) = (BilanNotifierTests.MemoryStore(), BilanNotifierTests.MemoryTransport())
        let pdfs = MemoryPDFStore()
        pdfs.pdfs[Self.id] = [UInt8](repeating: 0x25, count: BilanNotifier.maxAttachedBytes + 1)
        #expect(try BilanNotifierTests().notifier(store, transport, runtime: folder.path, pdfs: pdfs).sendIfOwed(Self.id))
        let mail = mailText(try #require(transport.messages.first?.bytes))
        #expect(!mail.contains("multipart/mixed") && mail.contains("multipart/alternative"))
    }
}
