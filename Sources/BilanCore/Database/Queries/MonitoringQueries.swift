/// Queries of the health and metrics routes (localhost only, see the nginx snippet).
public enum MonitoringQueries {
    /// Columns: queued bilans, age of the oldest queued one in seconds.
    public static let health = SQLStatement(
        "monitoring_health",
        """
        SELECT count(*), coalesce(extract(epoch FROM now() - min("createdAt")), 0)::bigint
          FROM "orientation_bilans" WHERE "status" = 'PENDING'
        """)

    /// Columns: status, bilans, generator runs (attempts), mails sent, mails owed, mail attempts.
    public static let metrics = SQLStatement(
        "monitoring_metrics",
        """
        SELECT "status"::text, count(*), coalesce(sum("attempts"), 0), count("emailSentAt"),
               count(*) FILTER (WHERE "status" = 'COMPLETED' AND "emailSentAt" IS NULL),
               coalesce(sum("emailAttempts"), 0)
          FROM "orientation_bilans" GROUP BY "status" ORDER BY 1
        """)
}
