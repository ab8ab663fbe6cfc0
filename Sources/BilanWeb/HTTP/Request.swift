import BilanCore

/// One HTTP request as the web server hands it over: the CGI meta-variables
/// (`REQUEST_METHOD`, `HTTP_COOKIE`, …) and the body, read up to a limit.
///
/// Parameters are read on demand: a status poll looks at four or five of
/// the ~30 nginx sends, so copying them all into a dictionary per request
/// was most of the server's own cost (SPEC §17). Under FastCGI they stay in
/// libfcgi's array, which is freed by `FCGX_Finish_r`: a `Request` lives for
/// one `handle(_:)` call only, and nothing (an `afterFinish` closure above
/// all) may keep it; copy the values needed later into `String`s.
public struct Request {
    /// Where the parameters are read from.
    enum Parameters {
        /// Tests, and any caller that has them at hand.
        case table([String: String])
        /// `NAME=value` C strings, NULL-terminated: libfcgi's `envp`, valid
        /// until `FCGX_Finish_r`, or `environ` in CGI mode.
        case list(UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?)
    }

    let parameters: Parameters
    public var body: [UInt8]
    /// True when the body was longer than the reading limit (it was cut there).
    public var bodyTooLarge: Bool

    public init(params: [String: String], body: [UInt8] = [], bodyTooLarge: Bool = false) {
        self.parameters = .table(params)
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// A request whose parameters are read from a `NAME=value` array that
    /// outlives it (see the type's comment).
    init(parameterList: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, body: [UInt8], bodyTooLarge: Bool) {
        self.parameters = .list(parameterList)
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// A CGI meta-variable by name (`REQUEST_METHOD`, `CONTENT_TYPE`, …).
    public func param(_ name: String) -> String? {
        switch parameters {
        case .table(let values): return values[name]
        case .list(let list): return Environment.value(named: name, in: list)
        }
    }

    public var method: String { param("REQUEST_METHOD") ?? "GET" }

    /// The decoded path without the query string (nginx's normalised `DOCUMENT_URI`).
    public var path: String {
        if let uri = param("DOCUMENT_URI"), !uri.isEmpty { return uri }
        let raw = param("REQUEST_URI") ?? param("SCRIPT_NAME") ?? "/"
        return String(raw.prefix { $0 != "?" })
    }

    public var queryString: String { param("QUERY_STRING") ?? "" }

    /// A request header by its HTTP name (`Cookie`, `If-None-Match`, …).
    public func header(_ name: String) -> String? {
        var key = "HTTP_"
        for byte in name.utf8 {
            if byte == UInt8(ascii: "-") {
                key += "_"
            } else if byte >= 0x61 && byte <= 0x7A {
                key.unicodeScalars.append(Unicode.Scalar(byte - 0x20))
            } else {
                key.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return param(key)
    }

    /// The media type without parameters, lower-cased (`application/json`).
    public var mediaType: String? {
        guard let type = param("CONTENT_TYPE"), !type.isEmpty else { return nil }
        return type.prefix { $0 != ";" }.trimmingSpaces().lowercased()
    }

    public var declaredContentLength: Int? { param("CONTENT_LENGTH").flatMap { Int($0) } }

    /// The value of one query-string parameter (first occurrence), decoded.
    public func queryParameter(_ name: String) -> String? {
        guard let pairs = try? FormDecoding.pairs(Array(queryString.utf8)) else { return nil }
        return pairs.first { $0.0 == name }?.1
    }

    /// A browser posting the no-JS form: errors are shown as pages, not JSON.
    public var wantsHTMLErrors: Bool {
        method == "POST" && mediaType == "application/x-www-form-urlencoded" && acceptsHTML
    }

    /// Whether the client wants an HTML answer (a browser following a link or a form).
    public var acceptsHTML: Bool { header("Accept")?.contains("text/html") ?? false }
}
