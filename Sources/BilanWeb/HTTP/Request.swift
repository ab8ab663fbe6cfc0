import BilanCore

/// One HTTP request as the web server hands it over: the CGI meta-variables
/// (`REQUEST_METHOD`, `HTTP_COOKIE`, …) and the body, read up to a limit.
public struct Request: Sendable {
    public var params: [String: String]
    public var body: [UInt8]
    /// True when the body was longer than the reading limit (it was cut there).
    public var bodyTooLarge: Bool

    public init(params: [String: String], body: [UInt8] = [], bodyTooLarge: Bool = false) {
        self.params = params
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    public var method: String { params["REQUEST_METHOD"] ?? "GET" }

    /// The decoded path without the query string (nginx's normalised `DOCUMENT_URI`).
    public var path: String {
        if let uri = params["DOCUMENT_URI"], !uri.isEmpty { return uri }
        let raw = params["REQUEST_URI"] ?? params["SCRIPT_NAME"] ?? "/"
        return String(raw.prefix { $0 != "?" })
    }

    public var queryString: String { params["QUERY_STRING"] ?? "" }

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
        return params[key]
    }

    /// The media type without parameters, lower-cased (`application/json`).
    public var mediaType: String? {
        guard let type = params["CONTENT_TYPE"], !type.isEmpty else { return nil }
        return type.prefix { $0 != ";" }.trimmingSpaces().lowercased()
    }

    public var declaredContentLength: Int? { params["CONTENT_LENGTH"].flatMap { Int($0) } }

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
