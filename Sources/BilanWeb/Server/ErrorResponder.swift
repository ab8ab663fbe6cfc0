import BilanCore
public import Logging

/// The one place where a thrown error becomes a response and a log line.
/// Clients see the code and French message only; the cause goes to the log.
public enum ErrorResponder {
    public static func response(for error: any Error, request: Request, logger: Logger) -> Response {
        let failure: HTTPError
        switch error {
        case let httpError as HTTPError:
            failure = httpError
        case let databaseError as DatabaseError where databaseError.kind == .connectionLost:
            failure = HTTPError.unavailable
            logger.warning("database unavailable", metadata: ["cause": "\(databaseError.message)"])
        default:
            failure = HTTPError.internalError
            logger.error("internal error", metadata: ["cause": "\(error)"])
        }
        if let cause = failure.cause {
            logger.info("request refused", metadata: ["code": "\(failure.code)", "cause": "\(cause)"])
        }
        if request.wantsHTMLErrors { return htmlResponse(for: failure) }
        return Response.json(failure.status, failure.body, headers: failure.headers)
    }

    /// The no-JS form gets a page a student can read, with the same status;
    /// an expired session sends them to the login page and back.
    static func htmlResponse(for failure: HTTPError) -> Response {
        if failure.status == 401 {
            return Response.redirect(303, to: "/auth/login.html?returnTo=%2Forientation%2F")
        }
        let page = SimplePage.render(
            title: failure.status == 400 ? "Le questionnaire est à corriger" : "Demande non aboutie",
            message: failure.message, linkText: "Revenir au questionnaire", linkHref: "/orientation/")
        return Response.html(failure.status, page, headers: failure.headers)
    }
}
