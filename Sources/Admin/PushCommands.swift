import ArgumentParser
import BilanCore
import BilanPush

/// `bilan-admin vapid-keys`: a new VAPID identity for Web Push (SPEC §14),
/// printed in the settings file's `KEY=value` format. The private key goes
/// to standard output only: redirect it into the protected settings file.
struct VapidKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vapid-keys",
        abstract: "Print a new VAPID key pair (base64url) for the settings file: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY.",
        discussion: """
            Example: bilan-admin vapid-keys --subject mailto:admin@example.org >> /etc/bilan/bilan.env
            Changing the pair makes every existing browser subscription useless: students must subscribe again.
            """)
    @Option(help: "Also print VAPID_SUBJECT, the contact push services may use (mailto: or https:).")
    var subject: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            if let subject, !PushSettings.isValidSubject(subject) {
                throw AdminFailure("--subject \(subject): expected a mailto: address or an https: URL")
            }
            let pair = VAPIDKeyPair.generate()
            var lines = [
                "# Web Push identity made by bilan-admin vapid-keys: keep VAPID_PRIVATE_KEY secret.",
                "VAPID_PUBLIC_KEY=\(pair.publicKey)", "VAPID_PRIVATE_KEY=\(pair.privateKey)",
            ]
            lines.append(subject.map { "VAPID_SUBJECT=\($0)" } ?? "# VAPID_SUBJECT=mailto:you@example.org  (required: your contact)")
            var json: [(String, JSONValue)] = [("publicKey", .string(pair.publicKey)), ("privateKey", .string(pair.privateKey))]
            if let subject { json.append(("subject", .string(subject))) }
            emit(output, text: lines.joined(separator: "\n"), json: .object(json))
        }
    }
}
