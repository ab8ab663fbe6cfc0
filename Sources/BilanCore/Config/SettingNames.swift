/// Every setting the programs read from the environment: what a spawned
/// generator or mail sender may inherit from the handler that starts it
/// (SPEC §16). Nothing else passes: in CGI mode the handler's environment
/// holds the request itself (`HTTP_COOKIE`, `QUERY_STRING`…).
public enum SettingNames {
    public static let all: Set<String> = [
        "BILAN_CONFIG", "BILAN_DEMO", "DATABASE_URL", "DIRECT_URL", "DATABASE_PREPARED", "PUBLIC_URL",
        "GEMINI_API_KEY", "GEMINI_MODEL", "GEMINI_FALLBACK_MODELS", "GEMINI_BASE_URL", "GEMINI_TIMEOUT",
        "GEMINI_MAX_TRIES", "GEMINI_RETRY_BASE_MS", "GEMINI_THINKING_LEVEL", "GEMINI_THINKING_BUDGET",
        "GEMINI_TEMPERATURE", "REPORT_LINK_HOSTS", "REQUEUE_BASE_SECONDS", "MAIL_UNCONFIRMED_RETRY_SECONDS",
        "MAIL_TRANSPORT", "SMTP_URL", "SMTP_TLS", "MAIL_DIR", "MAIL_FROM", "SENDMAIL_PATH", "SUPPORT_URL",
        "SESSION_COOKIE", "MAX_GENERATORS", "MAX_ATTEMPTS", "GENERATOR_PATH", "GENERATOR_LOG", "TEMPLATES_DIR",
        "MIGRATIONS_DIR", "RUNTIME_DIR", "LOGIN_PATH", "LOG_LEVEL", "PDF_TIMEOUT", "WEASYPRINT_PATH",
        "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_ALLOW_HTTP", "PUSH_SERVICE_HOSTS",
    ]

    /// What the system needs to run a program: the search path, the
    /// locale and time zone, libcurl's proxy and CA settings, libpq's.
    public static let system: Set<String> = [
        "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
        // libpq's own settings, for sites that configure the connection through them.
        "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE",
        "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGAPPNAME", "PGCONNECT_TIMEOUT", "PGTZ",
    ]

    /// `KEY=value` strings of `environment` whose key is allowed.
    public static func inheritable(from environment: [String: String]) -> [String] {
        environment.filter { all.contains($0.key) || system.contains($0.key) }.map { "\($0.key)=\($0.value)" }.sorted()
    }
}
