import BilanCore
import BilanMail
import BilanPush
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Wires the generator from the configuration: `run <id>` and `recover`.
public struct GeneratorProgram {
    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// `VAPID_PUBLIC_KEY` must be the public half of `VAPID_PRIVATE_KEY`:
    /// checked at start like any malformed setting (the handlers, which link
    /// no elliptic-curve code, check only their lengths).
    public static func verifyPushKeys(_ configuration: Configuration) throws(ConfigurationError) {
        guard let settings = configuration.push else { return }
        _ = try VAPIDSigner(settings: settings)
    }

    /// Exit status: 0 when the work was done or left queued on purpose.
    public func run(bilanId: String) -> Int32 {
        logger.info("generator started", metadata: ["bilan": "\(bilanId)", "pid": "\(getpid())"])
        return withSlotAndConnection(purpose: "run", bilan: bilanId) { parts in
            let handled = try parts.generator.drainQueue(startingWith: bilanId)
            logger.info("generator finished", metadata: ["bilan": "\(bilanId)", "handled": "\(handled)"])
        }
    }

    /// Queued mail and the purge first, on a connection of their own: they
    /// must not wait for a free generator slot nor for the report files.
    public func recover() -> Int32 {
        let mailStatus = sendQueuedMail(purging: true)
        let status = withSlotAndConnection(purpose: "recover", bilan: nil) { parts in
            let failed = try parts.recovery.failExhaustedBilans()
            let mails = try parts.recovery.retryUnsentEmails()
            let pdfs = try parts.recovery.makeMissingPDFs()
            let pushes = try parts.recovery.retryUnsentPushes()
            let handled = try parts.generator.drainQueue(startingWith: nil)
            logger.info(
                "recovery finished",
                metadata: ["failed": "\(failed)", "mails_sent": "\(mails.sent)", "mails_failed": "\(mails.failed)",
                           "pdfs_made": "\(pdfs.made)", "pdfs_failed": "\(pdfs.failed)",
                           "pushes_sent": "\(pushes.delivered)", "pushes_failed": "\(pushes.retryLater)",
                           "generated": "\(handled)"])
        }
        return status != 0 ? status : mailStatus
    }

    /// `send-mail`: what the handlers queued (login links), now. Takes no
    /// generator slot: a login must not wait for reports being written. One
    /// sender at a time on the whole database (a session lock): a class of
    /// 60 logging in starts one sender's work, not 60 connections.
    public func sendQueuedMail(purging: Bool = false) -> Int32 {
        do {
            let connection = try PGConnection(url: configuration.directURL, applicationName: "bilan-mail-sender")
            let sender = MailQueueSender(connection: connection, mailer: mailer(), logger: logger)
            if purging {
                let sessions = try connection.query(SessionQueries.purgeExpired.sql, []).int(0, 0) ?? 0
                let mails = try sender.purge()
                logger.info("expired rows purged", metadata: ["sessions_and_links": "\(sessions)", "mails": "\(mails)"])
            }
            // Another sender drains the queue: it re-checks after letting go,
            // so a mail queued meanwhile is not left behind.
            while try sender.holdSenderLock() {
                let result = try sender.drain()
                try sender.releaseSenderLock()
                logger.info("mail queue drained", metadata: ["sent": "\(result.sent)", "failed": "\(result.failed)"])
                guard try sender.dueCount() > 0, result.sent > 0 else { break }
            }
            return 0
        } catch {
            logger.error("mail sender stopped on an error; recovery will retry", metadata: ["cause": "\(error)"])
            return 75
        }
    }

    private func mailer() -> Mailer {
        Mailer(
            configuration: configuration, transport: MailTransports.make(configuration),
            templates: TemplateLibrary(directory: configuration.templatesDirectory))
    }

    /// Sends a bilan's notification now (after `adminResend` made it owed again).
    public func sendNotification(bilanId: String) -> Int32 {
        withSlotAndConnection(purpose: "resend-email", bilan: bilanId) { parts in
            guard try parts.queue.lock(bilanId) else { throw GeneratorBusy(bilan: bilanId) }
            defer { try? parts.queue.release(bilanId) }
            guard try parts.notifier.sendIfOwed(bilanId) else { throw NotificationFailed(bilan: bilanId) }
        }
    }

    struct GeneratorBusy: Error, CustomStringConvertible {
        let bilan: String
        var description: String { "a generator is working on \(bilan); try again shortly" }
    }

    struct NotificationFailed: Error, CustomStringConvertible {
        let bilan: String
        var description: String { "the notification for \(bilan) was not sent (see the log); recovery will retry" }
    }

    struct Parts {
        let generator: Generator
        let recovery: Recovery
        let queue: BilanQueue
        let notifier: BilanNotifier
    }

    private func withSlotAndConnection(purpose: String, bilan: String?, _ body: (Parts) throws -> Void) -> Int32 {
        var metadata: Logger.Metadata = ["mode": "\(purpose)"]
        if let bilan { metadata["bilan"] = "\(bilan)" }
        // Before any bilan is claimed: a broken labels, facts, level or
        // phrase file stops here, naming the file and line, and the bilan
        // stays queued until the file is fixed.
        let materials: ReportMaterials
        do {
            materials = try ReportMaterials.load(templatesDirectory: configuration.templatesDirectory)
        } catch {
            logger.critical("report engine files unusable; bilan stays queued", metadata: metadata.merging(["cause": "\(error)"]) { $1 })
            return 78  // EX_CONFIG
        }
        let slot: HostSlots.Slot?
        do {
            slot = try HostSlots(directory: configuration.runtimeDirectory, count: configuration.maxGenerators).acquire()
        } catch {
            logger.critical("no generator slot available", metadata: metadata.merging(["cause": "\(error)"]) { $1 })
            return 75
        }
        guard let slot else {
            logger.info("all generator slots busy; bilan stays queued", metadata: metadata)
            return 0
        }
        defer { slot.release() }
        do {
            let connection = try PGConnection(url: configuration.directURL, applicationName: "bilan-generator")
            try body(makeParts(connection, materials: materials))
            return 0
        } catch {
            // The lock dies with the connection: recovery picks the bilan up.
            logger.error("generator stopped on an error", metadata: metadata.merging(["cause": "\(error)"]) { $1 })
            return 75  // EX_TEMPFAIL
        }
    }

    private func makeParts(_ connection: PGConnection, materials: ReportMaterials) -> Parts {
        let templates = TemplateLibrary(directory: configuration.templatesDirectory)
        let policy = RetryPolicy(
            maxTries: configuration.geminiMaxTries, baseSeconds: configuration.geminiRetryBaseSeconds)
        let gemini = GeminiClient(configuration: configuration, policy: policy, logger: logger)
        let queueStore = PostgresQueueStore(connection: connection)
        let queue = BilanQueue(store: queueStore)
        let mailer = mailer()
        let pdfStore = PostgresPDFStore(connection: connection)
        let pdfs = ReportPDFMaker(
            store: pdfStore, renderer: WeasyPrintRenderer(configuration: configuration),
            document: ReportPrintDocument(
                templates: templates, wording: AnswerWording(labels: materials.labels),
                linkHosts: configuration.reportLinkHosts),
            logger: logger)
        let notifier = BilanNotifier(
            store: BilanTransitions(connection: connection), pdfs: pdfStore, mailer: mailer,
            publicURL: configuration.publicURL, ledger: SentMailLedger(runtimeDirectory: configuration.runtimeDirectory),
            unconfirmedRetrySeconds: configuration.mailUnconfirmedRetrySeconds, logger: logger)
        let today = ParisCalendar.today()
        let prompts = PromptBuilder(
            templates: templates, materials: materials, today: today, linkHosts: configuration.reportLinkHosts)
        let runner = PassRunner(
            store: BilanTransitions(connection: connection), gemini: gemini, prompts: prompts, materials: materials,
            check: ReportCheck(linkHosts: configuration.reportLinkHosts, facts: prompts.validFacts), logger: logger,
            maxAttempts: configuration.maxAttempts, requeueBaseSeconds: configuration.requeueBaseSeconds,
            catalog: ParcoursupCatalog(connection: connection))
        let pushes = pushNotifier(connection)
        return Parts(
            generator: Generator(queue: queue, runner: runner, pdfs: pdfs, notifier: notifier, pushes: pushes, logger: logger),
            recovery: Recovery(
                store: queueStore, queue: queue, notifier: notifier, pdfs: pdfs, pushes: pushes,
                maxAttempts: configuration.maxAttempts, logger: logger),
            queue: queue, notifier: notifier)
    }

    /// Nil when Web Push is off. The key pair was checked at start (`main.swift`).
    private func pushNotifier(_ connection: PGConnection) -> PushNotifier? {
        guard let settings = configuration.push, let signer = try? VAPIDSigner(settings: settings) else { return nil }
        return PushNotifier(
            store: PostgresPushStore(connection: connection),
            sender: PushSender(signer: signer, policy: configuration.pushEndpointPolicy), publicURL: configuration.publicURL,
            unconfirmedRetrySeconds: configuration.mailUnconfirmedRetrySeconds, logger: logger)
    }
}
