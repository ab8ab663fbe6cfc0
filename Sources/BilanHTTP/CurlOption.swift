/// The libcurl options the service uses, as Swift values: callers never see
/// a `CURLOPT_…` constant (one place maps them, `CurlEasy.set`).
public enum CurlOption: Sendable {
    case url(String)
    /// HTTP request headers, `Name: value`.
    case headers([String])
    case connectTimeout(seconds: Int)
    /// The whole transfer.
    case timeout(seconds: Int)
    /// SMTP `MAIL FROM`, `<a@b>`.
    case mailFrom(String)
    /// SMTP `RCPT TO`, each `<a@b>`.
    case mailRecipients([String])
    /// A request other than the transfer's default (SMTP `NOOP`).
    case customRequest(String)
    /// No body is transferred (a connection check).
    case noBody
    /// STARTTLS or implicit TLS required, or plain text (a local relay).
    case tls(TLSMode)
    case username(String)
    case password(String)

    public enum TLSMode: Sendable { case none, required }
}
