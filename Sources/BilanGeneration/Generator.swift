import BilanCore
import BilanMail
import Logging

/// The detached generator: holds a host slot, drains the queue (the bilan it
/// was spawned for first, then the oldest), mails each completed bilan and
/// pushes each settled one to the student's subscribed browsers.
public struct Generator {
    let queue: BilanQueue
    let runner: PassRunner
    let notifier: BilanNotifier
    /// Nil when Web Push is off (no VAPID settings).
    let pushes: PushNotifier?
    let logger: Logger

    public init(queue: BilanQueue, runner: PassRunner, notifier: BilanNotifier, pushes: PushNotifier? = nil, logger: Logger) {
        self.queue = queue
        self.runner = runner
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
            if outcome == .completed {
                try notifier.sendIfOwed(bilan.id)
            }
            // Completed or failed alike: the student waiting should know.
            if outcome.settlesTheBilan { try pushes?.sendIfOwed(bilan.id) }
            handled += 1
        }
        return handled
    }
}

/// `bilan-generator recover`, for a one-minute timer: fails what used up its
/// attempts, mails and pushes what is owed, then drains whatever is queued
/// (bilans whose generator died are queued again by the mere death: their
/// lock is gone).
public struct Recovery {
    public static let maxMailAttempts = 20

    let store: any QueueStore
    let queue: BilanQueue
    let notifier: BilanNotifier
    let pushes: PushNotifier?
    let maxAttempts: Int
    let logger: Logger

    public init(
        store: any QueueStore, queue: BilanQueue, notifier: BilanNotifier, pushes: PushNotifier? = nil,
        maxAttempts: Int, logger: Logger
    ) {
        self.store = store
        self.queue = queue
        self.notifier = notifier
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
        var sent = 0
        var failed = 0
        for id in owed {
            guard try queue.lock(id) else { continue }
            defer { try? queue.release(id) }
            if try notifier.sendIfOwed(id) { sent += 1 } else { failed += 1 }
        }
        return (sent, failed)
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
