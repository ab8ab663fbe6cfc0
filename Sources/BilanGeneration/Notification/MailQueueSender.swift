import BilanCore
import BilanMail
import Logging

/// Sends what handlers queued (login links, SPEC §16): spawned detached
/// after the answer (`bilan-generator send-mail`) and run by `recover`. Each
/// mail is claimed before sending, so two senders never send one twice; a
/// refused mail waits longer each time; a login link is never sent after it
/// expired.
public struct MailQueueSender {
    /// A claim older than this belongs to a sender that died mid-send.
    static let claimSeconds = 300
    static let maxAttempts = 10

    let connection: PGConnection
    let mailer: Mailer
    let logger: Logger

    public init(connection: PGConnection, mailer: Mailer, logger: Logger) {
        self.connection = connection
        self.mailer = mailer
        self.logger = logger
    }

    /// Sends every due mail; returns how many left and how many were refused.
    @discardableResult
    public func drain() throws -> (sent: Int, failed: Int) {
        var sent = 0
        var failed = 0
        while let mail = try claimNext() {
            if send(mail) {
                try connection.query(MailQueueQueries.markSent.sql, [mail.id])
                sent += 1
            } else {
                failed += 1
            }
        }
        return (sent, failed)
    }

    /// The one-sender lock (session-level: it dies with the process); false
    /// when another sender holds it.
    public func holdSenderLock() throws -> Bool {
        try connection.query(LockSpace.mailSender.trySessionLock, []).bool(0, 0) == true
    }

    public func releaseSenderLock() throws {
        try connection.query(LockSpace.mailSender.sessionUnlock, [])
    }

    /// Unsent mails still worth sending.
    public func dueCount() throws -> Int {
        try connection.query(MailQueueQueries.due.sql, []).int(0, 0) ?? 0
    }

    /// Sent mails older than a week go; unsendable links lose their token.
    public func purge() throws -> Int {
        try connection.query(MailQueueQueries.purge.sql, []).int(0, 0) ?? 0
    }

    struct QueuedMail {
        var id: String
        var recipient: String
        var subject: String
        var template: String
        var values: TemplateValue
        var attempts: Int
    }

    private func claimNext() throws -> QueuedMail? {
        let row = try connection.query(MailQueueQueries.claimNext.sql, [String(Self.claimSeconds), String(Self.maxAttempts)])
        guard row.rowCount == 1, let id = row.string(0, 0), let recipient = row.string(0, 1) else { return nil }
        var values: [String: TemplateValue] = [:]
        for (key, value) in (try? JSONParser.parse(row.string(0, 4) ?? "{}"))?.objectValue ?? [] {
            values[key] = .text(value.stringValue ?? value.serialized)
        }
        return QueuedMail(
            id: id, recipient: recipient, subject: row.string(0, 2) ?? "", template: row.string(0, 3) ?? "",
            values: .object(values), attempts: row.int(0, 5) ?? 1)
    }

    /// False when the transport refused it: released with a growing delay.
    private func send(_ mail: QueuedMail) -> Bool {
        let metadata: Logger.Metadata = ["mail": "\(mail.id)", "template": "\(mail.template)", "attempt": "\(mail.attempts)"]
        do {
            try mailer.send(template: mail.template, to: mail.recipient, subject: mail.subject, values: mail.values)
            logger.info("queued mail sent", metadata: metadata)
            return true
        } catch {
            let delay = min(3600, 30 << min(mail.attempts - 1, 7))
            logger.error("queued mail not sent; retried later", metadata: metadata.merging(["cause": "\(error)", "retry_in_s": "\(delay)"]) { $1 })
            _ = try? connection.query(MailQueueQueries.release.sql, [mail.id, String(delay), "\(error)"])
            return false
        }
    }
}
