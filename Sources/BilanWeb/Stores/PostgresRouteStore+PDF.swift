import BilanCore

extension PostgresRouteStore: ReportPDFLookup {
    func reportPDF(id: String?, forSession token: String) throws -> SessionPDF {
        let row = try database.run(PDFQueries.forSession, [token, id])
        guard row.string(0, 0) != nil else { return .noSession }
        guard let etag = row.string(0, 1), let bytes = row.bytes(0, 2), let completedAt = row.int64(0, 3) else {
            return .notFound
        }
        return .found(ReportPDF(bytes: bytes, etag: etag, completedAtMs: completedAt))
    }

    func hasReportPDF(_ id: String) throws -> Bool {
        try database.run(PDFQueries.exists, [id]).rowCount == 1
    }
}
