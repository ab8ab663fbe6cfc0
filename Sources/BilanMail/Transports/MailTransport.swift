public import BilanCore

/// Hands a finished RFC 5322 message to whatever delivers it.
public protocol MailTransport {
    func send(_ message: [UInt8], envelopeFrom: String, recipient: String) throws
}

/// A delivery that did not happen; `transient` failures are retried later.
public struct MailError: Error, CustomStringConvertible, Sendable {
    public var transport: String
    public var detail: String
    public var description: String { "\(transport): \(detail)" }
}

public enum MailTransports {
    /// The transport `MAIL_TRANSPORT` names.
    public static func make(_ configuration: Configuration) -> any MailTransport {
        switch configuration.mailTransport {
        case .file: return FileTransport(directory: configuration.mailDirectory ?? "mail")
        case .sendmail: return SendmailTransport(path: configuration.sendmailPath)
        case .smtp: return SMTPTransport(url: configuration.smtpURL ?? "", security: configuration.smtpSecurity)
        }
    }
}

/// Builds and sends mails from the templates under `mail/`.
public struct Mailer {
    let configuration: Configuration
    let transport: any MailTransport
    let templates: TemplateLibrary

    public init(configuration: Configuration, transport: any MailTransport, templates: TemplateLibrary) {
        self.configuration = configuration
        self.transport = transport
        self.templates = templates
    }

    /// Renders `mail/<name>.txt` and `mail/<name>.html` with `values` and sends them.
    public func send(
        template name: String, to recipient: String, subject: String, values: TemplateValue,
        attachments: [MailAttachment] = []
    ) throws {
        guard MailAddress.isPlausible(recipient) else {
            throw MailError(transport: "mail", detail: "adresse destinataire invalide")
        }
        let text = try templates.template(TemplateNames.mailText(name)).render(values, escape: { $0 })
        let html = try templates.template(TemplateNames.mailHTML(name)).render(values)
        let message = MailMessage(
            from: configuration.mailFrom, to: recipient, subject: subject, textBody: text, htmlBody: html,
            domain: MailAddress.bare(configuration.mailFrom).split(separator: "@").last.map(String.init) ?? "localhost",
            attachments: attachments)
        let unique = SessionIdentifier.unique()
        let bytes = MIMEBuilder.build(message, dateMs: UTCTime.nowMilliseconds(), unique: unique)
        try transport.send(bytes, envelopeFrom: message.envelopeFrom, recipient: recipient)
    }
}

/// Random identifiers for Message-IDs and file names.
public enum SessionIdentifier {
    public static func unique() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = String(generator.next() as UInt64, radix: 36)
        return String(UTCTime.nowMicroseconds(), radix: 36) + "." + random
    }
}
