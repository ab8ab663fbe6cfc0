public import BilanCore

/// What a handler answers. `afterFinish` runs once the response has gone to
/// the web server: work there (spawning the generator) never delays the client.
public struct Response {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var afterFinish: [() -> Void] = []

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer with the headers every API response carries (SPEC §3).
    public static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: jsonHeaders + headers, body: value.serializedBytes)
    }

    static let jsonHeaders = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]

    /// An HTML page with the security headers of every page we render;
    /// `headers` replace those of the same name.
    public static func html(_ status: Int, _ page: String, headers: [(String, String)] = []) -> Response {
        let replaced = Set(headers.map { $0.0.lowercased() })
        let defaults = htmlHeaders.filter { !replaced.contains($0.0.lowercased()) }
        return Response(status: status, headers: defaults + headers, body: Array(page.utf8))
    }

    /// Inline scripts are never allowed: the report is untrusted LLM output.
    public static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let htmlHeaders = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", contentSecurityPolicy),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]

    /// A redirect (302, 303) to a path on this site or an absolute URL we built.
    public static func redirect(_ status: Int, to location: String, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: [("Location", location), ("Cache-Control", "no-store")] + headers)
    }

    /// The CGI/FastCGI wire form: a `Status:` header, the headers, a blank line, the body.
    public func serializedHead() -> [UInt8] {
        var head = "Status: \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || status != 304 { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
