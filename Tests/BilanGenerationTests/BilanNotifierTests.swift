import Logging
import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration
@testable import BilanMail

/// `BilanNotifier` with an in-memory store and transport: « prêt » is sent
/// once, a refused mail is given back for recovery, a flagged bilan's mail
/// carries the help card, a mail that left while the database went away is
/// noted locally and stamped later (SPEC §8, §12).
@Suite("Notification with in-memory fakes")
struct BilanNotifierTests {
    final class MemoryStore: NotificationStore {
        var owed = true
        var claimed = false
        var sent = false
        var claims = 0
        var failStamp = false
        var recipient: String? = "eleve@example.org"
        var distress = false

        func claimNotification(_ id: String, unconfirmedRetrySeconds: Int) throws -> NotificationClaim? {
            guard owed, !claimed, !sent else { return nil }
            claimed = true
            claims += 1
            return NotificationClaim(recipient: recipient, report: ReportFixtures.Draft().text, attempts: claims, distressFlag: distress)
        }
        func releaseNotificationClaim(_ id: String) throws { claimed = false }
        func markNotificationSent(_ id: String) throws {
            struct Lost: Error {}
            if failStamp { throw Lost() }
            sent = true
        }
    }

    final class MemoryTransport: MailTransport {
        var messages: [(bytes: [UInt8], recipient: String)] = []
        var refuse = false
        func send(_ message: [UInt8], envelopeFrom: String, recipient: String) throws {
            if refuse { throw MailError(transport: "memory", detail: "451 try later") }
            messages.append((message, recipient))
        }
    }

    static let id = "0f8fad5b-d9cb-469f-a165-70867728950e"

    func notifier(
        _ store: any NotificationStore, _ transport: MemoryTransport, runtime: String,
        pdfs: any ReportPDFAttachments = MemoryPDFStore()
    ) throws -> BilanNotifier {
        let configuration = try Configuration.load(Environment([
            "DATABASE_URL": "postgresql:///x", "PUBLIC_URL": "https://www.example.org", "MAIL_DIR": "/tmp",
            "MAIL_FROM": "Bilan <bilan@example.org>", "TEMPLATES_DIR": TestSupport.templatesDirectory,
        ]))
        let mailer = Mailer(
            configuration: configuration, transport: transport,
            templates: TemplateLibrary(directory: TestSupport.templatesDirectory))
        return BilanNotifier(
            store: store, pdfs: pdfs, mailer: mailer, publicURL: configuration.publicURL,
            ledger: SentMailLedger(runtimeDirectory: runtime), unconfirmedRetrySeconds: 900,
            logger: Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// The message as a reader sees it: quoted-printable decoded.
    func text(_ bytes: [UInt8]) -> String {
        String(decoding: TestSupport.quotedPrintableDecode(String(decoding: bytes, as: UTF8.self)), as: UTF8.self)
    }

    @Test func theReadyMailLeavesOnceWithTheLinkAndTheSections() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (store, transport) = (MemoryStore(), MemoryTransport())
        let notifier = try notifier(store, transport, runtime: folder.path)
        #expect(try notifier.sendIfOwed(Self.id))
        #expect(try notifier.sendIfOwed(Self.id))  // nothing owed any more: nothing sent
        #expect(transport.messages.count == 1 && store.sent)
        let mail = text(transport.messages[0].bytes)
        #expect(mail.contains("https://www.example.org/orientation/resultat/\(Self.id)"))
        #expect(ReportOutline.headings.allSatisfy { mail.contains($0) || mail.contains($0.replacingOccurrencesOfApostrophe()) })
        #expect(!mail.contains("3114"))
        #expect(SentMailLedger(runtimeDirectory: folder.path).recordedBilans().isEmpty)
    }

    @Test func aRefusedMailIsGivenBackForRecovery() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (store, transport) = (MemoryStore(), MemoryTransport())
        transport.refuse = true
        let notifier = try notifier(store, transport, runtime: folder.path)
        #expect(try notifier.sendIfOwed(Self.id) == false)
        #expect(!store.claimed && !store.sent)
        transport.refuse = false
        #expect(try notifier.sendIfOwed(Self.id))
        #expect(transport.messages.count == 1 && store.claims == 2)
    }

    @Test func aFlaggedBilansMailCarriesTheHelpCard() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (store, transport) = (MemoryStore(), MemoryTransport())
        store.distress = true
        #expect(try notifier(store, transport, runtime: folder.path).sendIfOwed(Self.id))
        let mail = text(transport.messages[0].bytes)
        #expect(mail.contains("BESOIN D'EN PARLER") && mail.contains("3114") && mail.contains("0 800 235 236"))
    }

    @Test func noAddressNoMail() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (store, transport) = (MemoryStore(), MemoryTransport())
        store.recipient = nil
        #expect(try notifier(store, transport, runtime: folder.path).sendIfOwed(Self.id) == false)
        #expect(transport.messages.isEmpty)
    }

    @Test func aMailThatLeftWhileTheDatabaseWentAwayIsNotedThenStamped() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (store, transport) = (MemoryStore(), MemoryTransport())
        store.failStamp = true
        let notifier = try notifier(store, transport, runtime: folder.path)
        #expect(throws: (any Error).self) { try notifier.sendIfOwed(Self.id) }
        #expect(transport.messages.count == 1 && !store.sent)
        #expect(SentMailLedger(runtimeDirectory: folder.path).recordedBilans() == [Self.id])
        store.failStamp = false
        #expect(try notifier.settleLedger() == 1)
        #expect(store.sent && SentMailLedger(runtimeDirectory: folder.path).recordedBilans().isEmpty)
    }
}

extension String {
    fileprivate func replacingOccurrencesOfApostrophe() -> String { String(map { $0 == "'" ? "’" : $0 }) }
}
