import BilanCore
import BilanMail
import Logging

/// Sends "✅ Votre Bilan d'Orientation est prêt !" once per bilan. The caller
/// holds the bilan's advisory lock, so two processes never mail the same one;
/// `"emailSentAt"` is stamped only after the transport accepted the message.
public struct BilanNotifier {
    public static let subject = "✅ Votre Bilan d'Orientation est prêt !"

    let connection: PGConnection
    let mailer: Mailer
    let publicURL: PublicURL
    let logger: Logger

    public init(connection: PGConnection, mailer: Mailer, publicURL: PublicURL, logger: Logger) {
        self.connection = connection
        self.mailer = mailer
        self.publicURL = publicURL
        self.logger = logger
    }

    /// True when a mail went out (or none was owed); false when it must be retried.
    @discardableResult
    public func sendIfOwed(_ id: String) throws -> Bool {
        let claim = try connection.query(GenerationQueries.claimEmail.sql, [id])
        guard claim.rowCount == 1 else { return true }
        guard let recipient = claim.string(0, 0) else {
            logger.error("no e-mail address for the bilan's user", metadata: ["bilan": "\(id)"])
            return false
        }
        let sections = MarkdownSections.headings(claim.string(0, 1) ?? "")
        let values: TemplateValue = [
            "link": .text(publicURL.link("/orientation/resultat/\(id)")),
            "sections": .list(sections.map { .text($0) }),
        ]
        do {
            try mailer.send(template: "bilan-ready", to: recipient, subject: Self.subject, values: values)
        } catch {
            logger.error(
                "notification not sent; recovery will retry",
                metadata: ["bilan": "\(id)", "attempt": "\(claim.int(0, 2) ?? 0)", "cause": "\(error)"])
            return false
        }
        try connection.query(GenerationQueries.markEmailSent.sql, [id])
        logger.info("notification sent", metadata: ["bilan": "\(id)"])
        return true
    }
}
