import BilanCore

/// `GET /api/orientation/health` (JSON, for monitors and load balancers) and
/// `GET /api/orientation/metrics` (Prometheus text). Both read the table, so
/// they say what students see; the nginx snippet restricts them to localhost.
public struct MonitoringRoutes: RequestHandler {
    public static let healthPath = "/api/orientation/health"
    public static let metricsPath = "/api/orientation/metrics"
    let store: any MonitoringStore

    public init(context: WebContext) { self.init(store: PostgresRouteStore(database: context.database)) }

    init(store: any MonitoringStore) { self.store = store }

    public static func handles(_ path: String) -> Bool { path == healthPath || path == metricsPath }

    public func handle(_ request: Request) throws -> Response {
        guard request.method == "GET" || request.method == "HEAD" else { throw HTTPError.methodNotAllowed(["GET", "HEAD"]) }
        return request.path == Self.healthPath ? health() : try metrics()
    }

    /// 200 with the queue's state, or 503 while the database is unreachable.
    private func health() -> Response {
        do {
            let queue = try store.queueHealth()
            return Response.json(
                200,
                [
                    "status": "ok", "database": "ok",
                    "queueDepth": .number(Double(queue.pendingBilans)),
                    "oldestPendingSeconds": .number(Double(queue.oldestPendingSeconds)),
                ])
        } catch {
            return Response.json(503, ["status": "unavailable", "database": "unreachable"])
        }
    }

    private func metrics() throws -> Response {
        var byStatus: [String: Int] = ["PENDING": 0, "COMPLETED": 0, "FAILED": 0]
        var runs = 0, sent = 0, owed = 0, mailAttempts = 0
        for totals in try store.totalsByStatus() {
            byStatus[totals.status] = totals.bilans
            runs += totals.generatorRuns
            sent += totals.mailsSent
            owed += totals.mailsOwed
            mailAttempts += totals.mailAttempts
        }
        var text = "# HELP bilan_bilans Bilans by status.\n# TYPE bilan_bilans gauge\n"
        for status in byStatus.keys.sorted() { text += "bilan_bilans{status=\"\(status)\"} \(byStatus[status]!)\n" }
        text += "# HELP bilan_generator_runs_total Generation runs that claimed a bilan.\n"
        text += "# TYPE bilan_generator_runs_total counter\nbilan_generator_runs_total \(runs)\n"
        text += "# HELP bilan_mails_sent_total Notifications accepted by the mail transport.\n"
        text += "# TYPE bilan_mails_sent_total counter\nbilan_mails_sent_total \(sent)\n"
        text += "# HELP bilan_mails_failed_total Notification attempts that failed (retried by recovery).\n"
        text += "# TYPE bilan_mails_failed_total counter\nbilan_mails_failed_total \(max(0, mailAttempts - sent))\n"
        text += "# HELP bilan_mails_owed Completed bilans whose notification is not sent yet.\n"
        text += "# TYPE bilan_mails_owed gauge\nbilan_mails_owed \(owed)\n"
        return Response(
            status: 200,
            headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Array(text.utf8))
    }
}
