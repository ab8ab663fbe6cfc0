public import BilanCore

/// Same-origin check for state-changing requests: `Origin` (or, failing
/// that, `Referer`) must be `PUBLIC_URL`'s origin.
public enum OriginCheck {
    public static func verify(_ request: Request, publicURL: PublicURL, requirePresence: Bool = true) throws {
        let expected = publicURL.origin
        if let origin = request.header("Origin"), origin != "null" {
            guard origin.lowercased() == expected else {
                throw reject("Origin \(origin)")
            }
            return
        }
        if let referer = request.header("Referer") {
            let lower = referer.lowercased()
            guard lower == expected || lower.hasPrefix(expected + "/") else {
                throw reject("Referer \(referer)")
            }
            return
        }
        if requirePresence { throw reject("neither Origin nor Referer") }
    }

    private static func reject(_ cause: String) -> HTTPError {
        var error = HTTPError.forbiddenOrigin
        error.cause = cause
        return error
    }
}
