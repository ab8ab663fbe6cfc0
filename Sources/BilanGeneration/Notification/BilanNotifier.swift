import BilanCore
import BilanMail
import Logging

/// Sends "✅ Votre Bilan d'Orientation est prêt !" once per bilan. The caller
/// holds the bilan's advisory lock, so two processes never mail the same one.
/// The claim (`"emailClaimedAt"`) is committed before sending and stands for
/// "maybe sent": it is released when the transport refuses the message, and
/// `"emailSentAt"` is stamped once it accepted it (or noted in the ledger
/// when the database is gone by then). A claim left by a generator that died
/// mid-send is taken over only after `unconfirmedRetrySeconds`.
public struct BilanNotifier {
    public static let subject = "✅ Votre Bilan d'Orientation est prêt !"

    let connection: PGConnection
    let mailer: Mailer
    let publicURL: PublicURL
    let ledger: SentMailLedger
    let unconfirmedRetrySeconds: Int
    let logger: Logger

    public init(
        connection: PGConnection, mailer: Mailer, publicURL: PublicURL, ledger: SentMailLedger,
        unconfirmedRetrySeconds: Int, logger: Logger
    ) {
        self.connection = connection
        self.mailer = mailer
        self.publicURL = publicURL
        self.ledger = ledger
        self.unconfirmedRetrySeconds = unconfirmedRetrySeconds
        self.logger = logger
    }

    /// True when a mail went out (or none was owed); false when it must be retried.
    @discardableResult
    public func sendIfOwed(_ id: String) throws -> Bool {
        let claim = try connection.query(GenerationQueries.claimEmail.sql, [id, String(unconfirmedRetrySeconds)])
        guard claim.rowCount == 1 else { return true }
        guard let recipient = claim.string(0, 0) else {
            logger.error("no e-mail address for the bilan's user", metadata: ["bilan": "\(id)"])
            return false
        }
        let sections = MarkdownSections.headings(claim.string(0, 1) ?? "")
        let values: TemplateValue = [
            "link": .text(publicURL.link("/orientation/resultat/\(id)")),
            "sections": .list(sections.map { .text($0) }),
            "helpCard": .bool(claim.bool(0, 3) == true),
        ]
        do {
            try mailer.send(template: "bilan-ready", to: recipient, subject: Self.subject, values: values)
        } catch {
            logger.error(
                "notification not sent; recovery will retry",
                metadata: ["bilan": "\(id)", "attempt": "\(claim.int(0, 2) ?? 0)", "cause": "\(error)"])
            try connection.query(GenerationQueries.releaseEmailClaim.sql, [id])
            return false
        }
        try recordSent(id)
        logger.info("notification sent", metadata: ["bilan": "\(id)"])
        return true
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
        try connection.query(GenerationQueries.markEmailSent.sql, [id])
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
