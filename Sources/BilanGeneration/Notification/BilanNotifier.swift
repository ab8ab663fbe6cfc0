import BilanCore
import BilanMail
import Logging

/// Sends "✅ Votre Bilan d'Orientation est prêt !" once per bilan. The caller
/// holds the bilan's advisory lock, so two processes never mail the same one.
/// The claim (`"emailClaimedAt"`) is committed before sending and stands for
/// "maybe sent": it is released when the transport refuses the message, and
/// `"emailSentAt"` is stamped once it accepted it (or noted in the ledger
/// when the database is gone by then). A claim left by a generator that died
/// mid-send is taken over only after `unconfirmedRetrySeconds`. The report
/// PDF goes with the mail when it was made by then (SPEC §14).
public struct BilanNotifier {
    public static let subject = "✅ Votre Bilan d'Orientation est prêt !"
    /// Bigger PDFs stay on the site: many mail servers refuse messages over
    /// 10 MB, and base64 adds a third.
    public static let maxAttachedBytes = 7 * 1024 * 1024

    let store: any NotificationStore
    let pdfs: any ReportPDFAttachments
    let mailer: Mailer
    let publicURL: PublicURL
    let ledger: SentMailLedger
    let unconfirmedRetrySeconds: Int
    let logger: Logger

    public init(
        store: any NotificationStore, pdfs: any ReportPDFAttachments, mailer: Mailer, publicURL: PublicURL,
        ledger: SentMailLedger, unconfirmedRetrySeconds: Int, logger: Logger
    ) {
        self.store = store
        self.pdfs = pdfs
        self.mailer = mailer
        self.publicURL = publicURL
        self.ledger = ledger
        self.unconfirmedRetrySeconds = unconfirmedRetrySeconds
        self.logger = logger
    }

    /// True when a mail went out (or none was owed); false when it must be retried.
    @discardableResult
    public func sendIfOwed(_ id: String) throws -> Bool {
        guard let claim = try store.claimNotification(id, unconfirmedRetrySeconds: unconfirmedRetrySeconds) else { return true }
        guard let recipient = claim.recipient else {
            logger.error("no e-mail address for the bilan's user", metadata: ["bilan": "\(id)"])
            return false
        }
        let sections = MarkdownSections.headings(claim.report)
        let values: TemplateValue = [
            "link": .text(publicURL.link("/orientation/resultat/\(id)")),
            "sections": .list(sections.map { .text($0) }),
            "helpCard": .bool(claim.distressFlag),
        ]
        let attachments = attachedPDF(id)
        do {
            try mailer.send(
                template: TemplateNames.readyMail, to: recipient, subject: Self.subject, values: values, attachments: attachments)
        } catch {
            logger.error(
                "notification not sent; recovery will retry",
                metadata: ["bilan": "\(id)", "attempt": "\(claim.attempts)", "cause": "\(error)"])
            try store.releaseNotificationClaim(id)
            return false
        }
        try recordSent(id)
        logger.info("notification sent", metadata: ["bilan": "\(id)", "pdf_attached": "\(!attachments.isEmpty)"])
        return true
    }

    /// The report PDF as an attachment when it was made; one that cannot be
    /// read or is too big never holds the mail back (the page offers it).
    private func attachedPDF(_ id: String) -> [MailAttachment] {
        do {
            guard let pdf = try pdfs.pdfAttachment(id) else { return [] }
            guard pdf.bytes.count <= Self.maxAttachedBytes else {
                logger.warning("pdf too big to attach; the page offers it", metadata: ["bilan": "\(id)", "bytes": "\(pdf.bytes.count)"])
                return []
            }
            return [MailAttachment(fileName: pdf.fileName, contentType: "application/pdf", bytes: pdf.bytes)]
        } catch {
            logger.warning("pdf not attached: unreadable", metadata: ["bilan": "\(id)", "cause": "\(error)"])
            return []
        }
    }

    /// Stamps `"emailSentAt"`; the ledger note covers the moment the database
    /// may be lost between the transport's answer and this write.
    func recordSent(_ id: String) throws {
        do {
            try ledger.record(id)
        } catch {
            logger.warning("could not note the sent notification locally", metadata: ["bilan": "\(id)", "cause": "\(error)"])
        }
        try stampSent(id)
    }

    /// `"emailSentAt"`, then the ledger note is no longer needed.
    private func stampSent(_ id: String) throws {
        try store.markNotificationSent(id)
        ledger.forget(id)
    }

    /// Recovery: notes of mails that left while the database was unreachable
    /// become `"emailSentAt"`. Returns how many were settled.
    @discardableResult
    public func settleLedger() throws -> Int {
        let ids = ledger.recordedBilans()
        for id in ids {
            try stampSent(id)
            logger.info("notification sent earlier recorded", metadata: ["bilan": "\(id)"])
        }
        return ids.count
    }
}

/// The notification's writes: claimed before sending ("maybe sent"),
/// released when the transport refused it, stamped once it left.
public protocol NotificationStore {
    /// The mail still owed and not being sent, now claimed; nil when none is owed.
    func claimNotification(_ id: String, unconfirmedRetrySeconds: Int) throws -> NotificationClaim?
    func releaseNotificationClaim(_ id: String) throws
    func markNotificationSent(_ id: String) throws
}

public struct NotificationClaim: Sendable {
    /// Nil when the user's address is unknown (a site's own user table).
    public var recipient: String?
    public var report: String
    public var attempts: Int
    public var distressFlag: Bool

    public init(recipient: String?, report: String, attempts: Int, distressFlag: Bool) {
        self.recipient = recipient
        self.report = report
        self.attempts = attempts
        self.distressFlag = distressFlag
    }
}

extension BilanTransitions: NotificationStore {
    public func claimNotification(_ id: String, unconfirmedRetrySeconds: Int) throws -> NotificationClaim? {
        let claim = try connection.query(GenerationQueries.claimEmail.sql, [id, String(unconfirmedRetrySeconds)])
        guard claim.rowCount == 1 else { return nil }
        return NotificationClaim(
            recipient: claim.string(0, 0), report: claim.string(0, 1) ?? "", attempts: claim.int(0, 2) ?? 0,
            distressFlag: claim.bool(0, 3) == true)
    }

    public func releaseNotificationClaim(_ id: String) throws {
        try connection.query(GenerationQueries.releaseEmailClaim.sql, [id])
    }

    public func markNotificationSent(_ id: String) throws {
        try connection.query(GenerationQueries.markEmailSent.sql, [id])
    }
}
