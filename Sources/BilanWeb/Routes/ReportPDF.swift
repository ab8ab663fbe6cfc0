import BilanCore

/// `GET /orientation/resultat/<id>.pdf` (SPEC §14): the PDF the generator
/// made of a completed report, as a download named for its day, with the
/// result page's login redirect and 404 rules; a PDF not made yet is a 404
/// too (the page shows no link to it then).
struct ReportPDFDownload {
    static let suffix = ".pdf"
    let pages: PageResponses
    let pdfs: any ReportPDFLookup

    func respond(_ request: Request, idText: Substring, token: String) throws -> Response {
        let id = BilanID.parse(idText)
        guard let found = try pages.whileDatabaseAnswers({ try pdfs.reportPDF(id: id, forSession: token) }) else {
            return pages.unavailablePage()
        }
        let pdf: ReportPDF
        switch found {
        case .noSession: return pages.redirectToLogin(request)
        case .notFound: return try pages.notFoundPage()
        case .found(let stored): pdf = stored
        }
        // Kept by the browser and revalidated (ETag → 304): a student who
        // opens the same PDF twice downloads it once. Private: it is theirs.
        let headers = [("ETag", pdf.etag), ("Cache-Control", "private, no-cache"), ("X-Content-Type-Options", "nosniff")]
        if ETag.matches(request.header("If-None-Match"), pdf.etag) {
            return Response(status: 304, headers: headers)
        }
        let name = ReportPDFName.fileName(completedAtMs: pdf.completedAtMs)
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "application/pdf"), ("Content-Disposition", "attachment; filename=\"\(name)\""),
            ] + headers,
            body: request.method == "HEAD" ? [] : pdf.bytes)
    }
}
