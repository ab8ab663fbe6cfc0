import BilanCore

/// Local development: each mail becomes an `.eml` file in `MAIL_DIR`,
/// written atomically so a reader never sees half a message.
public struct FileTransport: MailTransport {
    let directory: String

    public init(directory: String) { self.directory = directory }

    public func send(_ message: [UInt8], envelopeFrom: String, recipient: String) throws {
        let name = "\(UTCTime.nowMilliseconds())-\(SessionIdentifier.unique()).eml"
        do {
            try writeFileAtomically(directory + "/" + name, message)
        } catch {
            throw MailError(transport: "file", detail: error.description)
        }
    }
}
