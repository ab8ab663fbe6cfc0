import BilanCore
#if canImport(Glibc)
import Glibc
#endif

/// A local note, one empty file per bilan under `RUNTIME_DIR/mail-sent/`,
/// that a notification left although `"emailSentAt"` could not be written
/// (the database went away right after the transport accepted the mail).
/// Recovery on this host turns each note into `"emailSentAt"` before it
/// looks for unsent mail, so such a bilan is not mailed twice.
public struct SentMailLedger {
    let directory: String

    public init(runtimeDirectory: String) {
        directory = runtimeDirectory + "/mail-sent"
    }

    /// Best effort: without the note the worst case is one duplicate mail.
    public func record(_ bilanId: String) throws(SystemError) {
        mkdir(directory, 0o750)
        try writeFileAtomically(path(bilanId), [])
    }

    public func forget(_ bilanId: String) {
        unlink(path(bilanId))
    }

    public func recordedBilans() -> [String] {
        (DirectoryListing.names(in: directory) ?? []).compactMap { BilanID.parse($0) }
    }

    private func path(_ bilanId: String) -> String { "\(directory)/\(bilanId)" }
}
