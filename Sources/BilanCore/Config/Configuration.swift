/// Every setting of SPEC §9, read once at start-up and checked there, so a bad
/// value stops the program with one line naming it instead of failing later.
public struct Configuration: Sendable {
    public enum MailTransportKind: String, Sendable { case smtp, sendmail, file }
    public enum SMTPSecurity: String, Sendable { case starttls, tls, none }

    public var databaseURL: String
    public var directURL: String
    public var usePreparedStatements: Bool
    public var publicURL: PublicURL
    public var geminiAPIKey: String?
    public var geminiModel: String
    /// Tried in order when a model answers 404 (retired or unknown).
    public var geminiFallbackModels: [String]
    /// `thinkingLevel` for Gemini 3.x.
    public var geminiThinkingLevel: String
    /// `thinkingBudget` for Gemini 2.x.
    public var geminiThinkingBudget: Int
    /// Sent only when set: Google advises the default for Gemini 3.
    public var geminiTemperature: Double?
    /// The hosts a report may link to (SPEC §12).
    public var reportLinkHosts: [String]
    public var geminiBaseURL: String
    public var geminiTimeoutSeconds: Int
    public var geminiMaxTries: Int
    /// First wait between two tries of a Gemini call (doubles each try).
    public var geminiRetryBaseSeconds: Double
    /// First wait before a bilan whose run failed transiently runs again.
    public var requeueBaseSeconds: Double
    /// How long a notification whose sending was started but never confirmed
    /// (the generator died mid-send) counts as "maybe sent" before recovery
    /// sends it again: longer than any transport timeout.
    public var mailUnconfirmedRetrySeconds: Int
    public var mailTransport: MailTransportKind
    public var smtpURL: String?
    public var smtpSecurity: SMTPSecurity
    public var mailDirectory: String?
    public var mailFrom: String
    public var sendmailPath: String
    public var supportURL: String
    public var sessionCookie: String
    public var maxGenerators: Int
    public var maxAttempts: Int
    public var generatorPath: String
    public var generatorLog: String
    public var templatesDirectory: String
    public var runtimeDirectory: String
    public var loginPath: String
    public var demoMode: Bool
    /// WeasyPrint, by path or by name (looked up in `PATH` when it runs).
    public var weasyprintPath: String
    /// How long one PDF may take before WeasyPrint is killed (SPEC §14).
    public var pdfTimeoutSeconds: Int
    /// Web Push's VAPID identity; nil when the feature is off (SPEC §14).
    public var push: PushSettings?
    /// `PUSH_ALLOW_HTTP=true`: plain-http endpoints, for local test push services only.
    public var pushAllowHTTP: Bool
    /// `PUSH_SERVICE_HOSTS`: the hosts (and their subdomains) a push may be posted to.
    public var pushServiceHosts: [String]
    /// What a stored or sent endpoint must be.
    public var pushEndpointPolicy: PushEndpointPolicy {
        PushEndpointPolicy(allowHTTP: pushAllowHTTP, hosts: pushServiceHosts)
    }

    /// What a program needs beyond the database: checked only where it is used.
    public struct Needs: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let gemini = Needs(rawValue: 1)
        public static let mail = Needs(rawValue: 2)
    }

    public static func load(_ env: Environment, needs: Needs = []) throws -> Configuration {
        let reader = SettingReader(env: env)
        let databaseURL = try reader.required("DATABASE_URL")
        let publicURL = try reader.publicURL("PUBLIC_URL")
        let transport = try reader.mailTransport()
        let mailDirectory = env["MAIL_DIR"]
        if needs.contains(.mail) {
            if transport == .smtp, env["SMTP_URL"] == nil {
                throw ConfigurationError(setting: "SMTP_URL", problem: "required when MAIL_TRANSPORT=smtp")
            }
            if transport == .file, mailDirectory == nil {
                throw ConfigurationError(setting: "MAIL_DIR", problem: "required when MAIL_TRANSPORT=file")
            }
        }
        let apiKey = env["GEMINI_API_KEY"]
        if needs.contains(.gemini), apiKey == nil {
            throw ConfigurationError(setting: "GEMINI_API_KEY", problem: "required to call Gemini")
        }
        let executableDirectory = ExecutablePath.directory()
        return Configuration(
            databaseURL: databaseURL,
            directURL: env["DIRECT_URL"] ?? databaseURL,
            // A DIRECT_URL different from DATABASE_URL says a pooler stands in between.
            usePreparedStatements: try reader.flag(
                "DATABASE_PREPARED", default: (env["DIRECT_URL"] ?? databaseURL) == databaseURL),
            publicURL: publicURL,
            geminiAPIKey: apiKey,
            geminiModel: try reader.token("GEMINI_MODEL", default: "gemini-3.6-flash"),
            geminiFallbackModels: try reader.tokenList("GEMINI_FALLBACK_MODELS", default: ["gemini-3.5-flash"]),
            geminiThinkingLevel: try reader.choice(
                "GEMINI_THINKING_LEVEL", default: "low", among: ["minimal", "low", "medium", "high"]),
            geminiThinkingBudget: try reader.integer("GEMINI_THINKING_BUDGET", default: 1024, range: 0...32768),
            geminiTemperature: try reader.decimal("GEMINI_TEMPERATURE", range: 0...2),
            reportLinkHosts: try reader.hostList("REPORT_LINK_HOSTS", default: ReportOutline.defaultLinkHosts),
            geminiBaseURL: try reader.url("GEMINI_BASE_URL", default: "https://generativelanguage.googleapis.com"),
            geminiTimeoutSeconds: try reader.integer("GEMINI_TIMEOUT", default: 120, range: 1...900),
            geminiMaxTries: try reader.integer("GEMINI_MAX_TRIES", default: 4, range: 1...10),
            geminiRetryBaseSeconds: Double(try reader.integer("GEMINI_RETRY_BASE_MS", default: 1000, range: 0...60000)) / 1000,
            requeueBaseSeconds: Double(try reader.integer("REQUEUE_BASE_SECONDS", default: 60, range: 0...3600)),
            mailUnconfirmedRetrySeconds: try reader.integer(
                "MAIL_UNCONFIRMED_RETRY_SECONDS", default: 900, range: 0...86400),
            mailTransport: transport,
            smtpURL: try reader.smtpURL(),
            smtpSecurity: try reader.smtpSecurity(),
            mailDirectory: mailDirectory,
            mailFrom: try reader.mailFrom(publicURL: publicURL),
            sendmailPath: env["SENDMAIL_PATH"] ?? "/usr/sbin/sendmail",
            supportURL: env["SUPPORT_URL"] ?? publicURL.origin + "/contact",
            // `__Host-` on https (SPEC §16): the browser then refuses the cookie
            // unless it is Secure, for this host only and Path=/, so a
            // sibling subdomain cannot plant a session. A site that names its
            // own cookie keeps its name.
            sessionCookie: try reader.token(
                "SESSION_COOKIE", default: publicURL.isHTTPS ? "__Host-bilan_session" : "bilan_session"),
            maxGenerators: try reader.integer("MAX_GENERATORS", default: 4, range: 1...256),
            maxAttempts: try reader.integer("MAX_ATTEMPTS", default: 5, range: 1...50),
            generatorPath: env["GENERATOR_PATH"] ?? executableDirectory + "/bilan-generator",
            generatorLog: env["GENERATOR_LOG"] ?? "/var/log/bilan/generator.log",
            templatesDirectory: env["TEMPLATES_DIR"] ?? executableDirectory + "/../share/bilan/templates",
            runtimeDirectory: env["RUNTIME_DIR"] ?? "/run/bilan",
            loginPath: env["LOGIN_PATH"] ?? "/auth/login.html",
            demoMode: try reader.flag("BILAN_DEMO", default: false),
            weasyprintPath: env["WEASYPRINT_PATH"] ?? "weasyprint",
            pdfTimeoutSeconds: try reader.integer("PDF_TIMEOUT", default: 60, range: 1...600),
            push: try PushSettings.load(env),
            pushAllowHTTP: try reader.flag("PUSH_ALLOW_HTTP", default: false),
            pushServiceHosts: try reader.hostList("PUSH_SERVICE_HOSTS", default: PushEndpointPolicy.defaultHosts))
    }
}

extension Configuration {
    /// `REPORT_LINK_HOSTS` alone, for tools that check a report without the
    /// rest of the settings.
    public static func linkHosts(_ env: Environment) throws(ConfigurationError) -> [String] {
        try SettingReader(env: env).hostList("REPORT_LINK_HOSTS", default: ReportOutline.defaultLinkHosts)
    }
}

/// Reads and checks one setting at a time; each failure names its setting.
struct SettingReader {
    let env: Environment

    func required(_ key: String) throws(ConfigurationError) -> String {
        guard let value = env[key] else { throw ConfigurationError(setting: key, problem: "missing") }
        return value
    }

    func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = env[key] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(setting: key, problem: "\"\(text)\" is not an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func flag(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let text = env[key] else { return fallback }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(setting: key, problem: "\"\(text)\" is neither true nor false")
        }
    }

    /// A value that goes into a URL path or a cookie name: letters, digits, `-`, `_`, `.`.
    func token(_ key: String, default fallback: String) throws(ConfigurationError) -> String {
        guard let text = env[key] else { return fallback }
        guard text.utf8.allSatisfy({ isTokenByte($0) }) else {
            throw ConfigurationError(setting: key, problem: "\"\(text)\" may only hold letters, digits, -, _ and .")
        }
        return text
    }

    /// A comma-separated list of tokens; an empty value (set but blank) is an empty list.
    func tokenList(_ key: String, default fallback: [String]) throws(ConfigurationError) -> [String] {
        guard let text = env.values[key] else { return fallback }
        let items = text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        for item in items where !item.utf8.allSatisfy({ isTokenByte($0) }) {
            throw ConfigurationError(setting: key, problem: "\"\(item)\" may only hold letters, digits, -, _ and .")
        }
        return items
    }

    func hostList(_ key: String, default fallback: [String]) throws(ConfigurationError) -> [String] {
        let hosts = try tokenList(key, default: fallback).map { $0.lowercased() }
        guard !hosts.isEmpty else { throw ConfigurationError(setting: key, problem: "lists no host") }
        return hosts
    }

    func choice(_ key: String, default fallback: String, among choices: [String]) throws(ConfigurationError) -> String {
        guard let text = env[key] else { return fallback }
        guard choices.contains(text) else {
            throw ConfigurationError(setting: key, problem: "\"\(text)\": expected " + choices.joined(separator: ", "))
        }
        return text
    }

    func decimal(_ key: String, range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = env[key] else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw ConfigurationError(setting: key, problem: "\"\(text)\" is not a number between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func url(_ key: String, default fallback: String) throws(ConfigurationError) -> String {
        guard let text = env[key] else { return fallback }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            throw ConfigurationError(setting: key, problem: "\"\(text)\" is not an http(s) URL")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    func publicURL(_ key: String) throws(ConfigurationError) -> PublicURL {
        let text = try required(key)
        guard let url = PublicURL(text) else {
            throw ConfigurationError(setting: key, problem: "\"\(text)\" is not an http(s)://host[:port] URL")
        }
        return url
    }

    func mailTransport() throws(ConfigurationError) -> Configuration.MailTransportKind {
        guard let text = env["MAIL_TRANSPORT"] else {
            if env["SMTP_URL"] != nil { return .smtp }
            return env["MAIL_DIR"] != nil ? .file : .sendmail
        }
        guard let kind = Configuration.MailTransportKind(rawValue: text) else {
            throw ConfigurationError(setting: "MAIL_TRANSPORT", problem: "\"\(text)\": expected smtp, sendmail or file")
        }
        return kind
    }

    func smtpURL() throws(ConfigurationError) -> String? {
        guard let text = env["SMTP_URL"] else { return nil }
        guard text.hasPrefix("smtp://") || text.hasPrefix("smtps://") else {
            // The value may hold a password: never echo it.
            throw ConfigurationError(setting: "SMTP_URL", problem: "must start with smtp:// or smtps://")
        }
        return text
    }

    func smtpSecurity() throws(ConfigurationError) -> Configuration.SMTPSecurity {
        guard let text = env["SMTP_TLS"] else { return .starttls }
        guard let mode = Configuration.SMTPSecurity(rawValue: text) else {
            throw ConfigurationError(setting: "SMTP_TLS", problem: "\"\(text)\": expected starttls, tls or none")
        }
        return mode
    }

    func mailFrom(publicURL: PublicURL) throws(ConfigurationError) -> String {
        guard let text = env["MAIL_FROM"] else { return "Bilan d'orientation <no-reply@\(publicURL.host)>" }
        guard text.contains("@"), !text.contains("\n"), !text.contains("\r") else {
            throw ConfigurationError(setting: "MAIL_FROM", problem: "\"\(text)\" is not an e-mail address")
        }
        return text
    }
}

func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
        return true
    default:
        return false
    }
}
