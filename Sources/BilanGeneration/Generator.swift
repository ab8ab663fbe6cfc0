import BilanCore
import BilanMail
import Logging

/// The detached generator: holds a host slot, drains the queue (the bilan it
/// was spawned for first, then the oldest), pushes each settled one to the
/// student's subscribed browsers, prints each completed bilan's PDF and mails it.
public struct Generator {
    let queue: BilanQueue
    let runner: PassRunner
    let pdfs: ReportPDFMaker
    let notifier: BilanNotifier
    /// Nil when Web Push is off (no VAPID settings).
    let pushes: PushNotifier?
    let logger: Logger

    public init(
        queue: BilanQueue, runner: PassRunner, pdfs: ReportPDFMaker, notifier: BilanNotifier, pushes: PushNotifier? = nil,
        logger: Logger
    ) {
        self.queue = queue
        self.runner = runner
        self.pdfs = pdfs
        self.notifier = notifier
        self.pushes = pushes
        self.logger = logger
    }

    /// Processes queued bilans until none is free; returns how many it handled.
    @discardableResult
    public func drainQueue(startingWith preferred: String?) throws -> Int {
        var handled = 0
        while let bilan = try queue.claimNextQueuedBilan(preferred: handled == 0 ? preferred : nil) {
            logger.info("bilan claimed", metadata: ["bilan": "\(bilan.id)", "attempt": "\(bilan.attempts)", "step": "\(bilan.step)"])
            defer { try? queue.release(bilan.id) }
            let outcome = try runner.run(bilan)
            // Completed or failed alike: the student waiting should know, at once.
            if outcome.settlesTheBilan { try pushes?.sendIfOwed(bilan.id) }
            if outcome == .completed {
                // The PDF before the mail, which attaches it; COMPLETED is
                // already written, and a PDF that fails only goes unattached.
                try pdfs.makePDF(for: bilan.id)
                try notifier.sendIfOwed(bilan.id)
            }
            handled += 1
        }
        return handled
    }
}

/// `bilan-generator recover`, for a one-minute timer: fails what used up its
/// attempts, mails and pushes what is owed, makes missing PDFs, then drains
/// whatever is queued (bilans whose generator died are queued again by the
/// mere death: their lock is gone).
public struct Recovery {
    public static let maxMailAttempts = 20
    /// PDFs made per run at most: each may take up to PDF_TIMEOUT, and the
    /// queue waits behind them; a backlog (reports completed before PDFs
    /// existed) is worked off a few a minute.
    public static let maxPDFsPerRun = 3

    let store: any QueueStore
    let queue: BilanQueue
    let notifier: BilanNotifier
    let pdfs: ReportPDFMaker
    let pushes: PushNotifier?
    let maxAttempts: Int
    let logger: Logger

    public init(
        store: any QueueStore, queue: BilanQueue, notifier: BilanNotifier, pdfs: ReportPDFMaker,
        pushes: PushNotifier? = nil, maxAttempts: Int, logger: Logger
    ) {
        self.store = store
        self.queue = queue
        self.notifier = notifier
        self.pdfs = pdfs
        self.pushes = pushes
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    public func failExhaustedBilans() throws -> Int {
        var failed = 0
        for id in try store.exhaustedBilans(maxAttempts: maxAttempts) {
            guard try queue.lock(id) else { continue }
            defer { try? queue.release(id) }
            if try store.failAfterLastAttempt(id, maxAttempts: maxAttempts) {
                failed += 1
                logger.error("bilan failed", metadata: ["bilan": "\(id)", "cause": "attempt limit reached"])
            }
        }
        return failed
    }

    public func retryUnsentEmails() throws -> (sent: Int, failed: Int) {
        try notifier.settleLedger()
        let owed = try store.unsentEmails(
            maxMailAttempts: Self.maxMailAttempts, unconfirmedRetrySeconds: notifier.unconfirmedRetrySeconds)
        let done = try eachUnderItsLock(owed) { try notifier.sendIfOwed($0) }
        return (done.succeeded, done.failed)
    }

    /// Completed bilans without a PDF (WeasyPrint was missing, crashed or too
    /// slow, or the generator died first), newest first, a few per run; each
    /// under its bilan lock, which a generator holds while it makes the PDF
    /// of a bilan it has just completed.
    public func makeMissingPDFs() throws -> (made: Int, failed: Int) {
        let done = try eachUnderItsLock(try pdfs.store.bilansMissingPDF(limit: Self.maxPDFsPerRun)) {
            try pdfs.makePDF(for: $0)
        }
        return (done.succeeded, done.failed)
    }

    /// Runs `work` on each bilan whose lock this process gets (one another
    /// generator holds is skipped: it is doing the same work); counts the
    /// bilans `work` succeeded and failed on.
    private func eachUnderItsLock(_ ids: [String], _ work: (String) throws -> Bool) throws -> (succeeded: Int, failed: Int) {
        var succeeded = 0
        var failed = 0
        for id in ids {
            guard try queue.lock(id) else { continue }
            defer { try? queue.release(id) }
            if try work(id) { succeeded += 1 } else { failed += 1 }
        }
        return (succeeded, failed)
    }

    /// Pushes owed by recently settled bilans: those failed just now by
    /// `failExhaustedBilans`, those whose generator died before pushing, and
    /// those whose push service answered 429/5xx or timed out.
    public func retryUnsentPushes() throws -> PushNotifier.Round {
        var total = PushNotifier.Round()
        guard let pushes else { return total }
        for id in try pushes.bilansOwingPushes() {
            guard try queue.lock(id) else { continue }
            defer { try? queue.release(id) }
            let round = try pushes.sendIfOwed(id)
            total.delivered += round.delivered
            total.retryLater += round.retryLater
        }
        return total
    }
}

extension GenerationOutcome {
    /// COMPLETED or FAILED: the states a student is told about.
    var settlesTheBilan: Bool {
        if case .requeued = self { return false }
        return true
    }
}
