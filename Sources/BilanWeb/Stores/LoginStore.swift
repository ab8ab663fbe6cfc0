import BilanCore

/// Magic-link login's data: one-time links, their queued mail, sessions.
/// Tokens are passed in clear; the PostgreSQL store keeps only their hash.
protocol LoginStore {
    /// Under the address's login lock, so simultaneous requests cannot all
    /// pass the limits: records the link and queues its mail when the address
    /// belongs to a user who has not reached the limits.
    func queueLoginLink(_ link: LoginLink, limits: LoginLinkLimits) throws -> LoginLinkOutcome
    /// The address of a link still usable, consuming nothing (the
    /// confirmation page: a mail scanner opening the link logs no one in).
    func address(ofUsableLoginToken token: String) throws -> String?
    /// Consumes the link (and the user's other unused links), ends the
    /// user's other sessions and opens `session`, in one transaction; nil
    /// when the link is unknown, used or expired.
    func openSession(_ session: String, lifetimeSeconds: Int, consuming loginToken: String) throws -> OpenedSession?
    func endSession(_ token: String) throws
}

/// A one-time login link and the mail that carries it.
struct LoginLink {
    var token: String
    var email: String
    /// Where the browser goes once logged in (already sanitized).
    var returnTo: String
    /// The link and its mail expire together.
    var lifetimeSeconds: Int
    var mail: QueuedMail
}

/// A mail for the detached sender (`bilan-generator send-mail`).
struct QueuedMail {
    var kind: String
    var subject: String
    /// A template of `templates/mail/`, rendered by the sender with `values`.
    var template: String
    var values: JSONValue
}

/// Links sent to one address per 15 minutes and per day (SPEC §16).
struct LoginLinkLimits {
    var perQuarterHour: Int
    var perDay: Int
}

enum LoginLinkOutcome: Equatable {
    case queued(user: String)
    case unknownAddress
    case limitReached(user: String)
}

struct OpenedSession: Equatable {
    var user: String
    /// The return path stored with the link, as given at login.
    var returnTo: String?
}
