import BilanCore
import Logging

/// The HTML answers `bilan-page` gives on all its routes (the result page,
/// its PDF, the history): the login redirect, the 404 page, the 503 page
/// while PostgreSQL is away, and the templates of `templates/pages/`. One
/// place, so the three routes keep the same rules (SPEC §3, §14).
struct PageResponses {
    let configuration: Configuration
    let logger: Logger
    let templates: TemplateLibrary

    /// 302 to the login page, which comes back here once signed in.
    func redirectToLogin(_ request: Request) -> Response {
        let target = configuration.loginPath + "?returnTo=" + FormDecoding.encode(request.path)
        return Response.redirect(302, to: target)
    }

    /// Unknown, malformed and foreign ids alike (nothing tells them apart).
    func notFoundPage() throws -> Response {
        Response.html(404, try pageTemplate(TemplateNames.notFoundPage).render([:]))
    }

    func unavailablePage() -> Response {
        Response.html(
            503,
            SimplePage.render(
                title: "Service momentanément indisponible",
                message: "Votre bilan est en sécurité. Réessayez dans quelques instants.",
                linkText: "Recharger", linkHref: "."),
            headers: [("Retry-After", "5")])
    }

    /// `body`'s answer, or nil while the database is unreachable: the route
    /// then says so in HTML (a browser asked) rather than in JSON.
    func whileDatabaseAnswers<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch let error as DatabaseError where error.kind == .connectionLost {
            logger.warning("database unavailable", metadata: ["cause": "\(error.message)"])
            return nil
        }
    }

    func pageTemplate(_ name: String) throws -> Template {
        do {
            return try templates.template(name)
        } catch {
            logger.error("page template unusable", metadata: ["cause": "\(error)"])
            throw HTTPError.internalError
        }
    }
}
