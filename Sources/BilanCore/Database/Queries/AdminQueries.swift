/// Queries of `bilan-admin`: users, payments, sessions, and reading bilans.
public enum AdminQueries {
    /// $1 email, $2 name. Column: id (existing or new): idempotent.
    public static let upsertUser = SQLStatement(
        "admin_upsert_user",
        """
        WITH existing AS (SELECT "id" FROM users WHERE lower("email") = lower($1)),
             inserted AS (
                INSERT INTO users ("email", "name") SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM existing)
                ON CONFLICT DO NOTHING RETURNING "id")
        SELECT "id" FROM inserted UNION ALL SELECT "id" FROM existing
        """)

    /// $1 email. Column: id.
    public static let userByEmail = SQLStatement(
        "admin_user_by_email", #"SELECT "id" FROM users WHERE lower("email") = lower($1)"#)

    /// $1 user id, $2 plan, $3 status. Column: id.
    public static let insertPayment = SQLStatement(
        "admin_insert_payment",
        #"INSERT INTO payments ("userId", "plan", "status") VALUES ($1::uuid, $2, $3) RETURNING "id""#)

    /// $1 status or NULL, $2 email or NULL, $3 only flagged bilans (distress).
    /// Columns: id, email, status, progressStep, attempts, age seconds, emailSent, distressFlag.
    public static let listBilans = SQLStatement(
        "admin_list_bilans",
        """
        SELECT b."id", orientation_user_email(b."userId"), b."status", b."progressStep", b."attempts",
               extract(epoch FROM now() - b."createdAt")::bigint, b."emailSentAt" IS NOT NULL, b."distressFlag"
          FROM "orientation_bilans" b
         WHERE ($1::text IS NULL OR b."status"::text = $1)
           AND ($2::text IS NULL OR lower(orientation_user_email(b."userId")) = lower($2))
           AND (NOT $3::boolean OR b."distressFlag")
         ORDER BY b."createdAt" DESC
         LIMIT 500
        """)

    /// $1 id. Columns: id, email, status, progressStep, attempts, createdAt, updatedAt, completedAt,
    /// emailSentAt, lockedBy, errorMessage, failureDetail, analyse, questionnaire, resultat length, nextAttemptAt,
    /// emailClaimedAt, emailAttempts, failureKind, distressFlag, modelVersions, reportCheck, parcoursupRows.
    public static let showBilan = SQLStatement(
        "admin_show_bilan",
        """
        SELECT b."id", orientation_user_email(b."userId"), b."status", b."progressStep", b."attempts",
               b."createdAt"::text, b."updatedAt"::text, b."completedAt"::text, b."emailSentAt"::text,
               b."lockedBy", b."errorMessage", b."failureDetail", b."analyse"::text, b."questionnaire"::text,
               length(b."resultat"), b."nextAttemptAt"::text, b."emailClaimedAt"::text, b."emailAttempts",
               b."failureKind", b."distressFlag", b."modelVersions"::text, b."reportCheck"::text,
               b."parcoursupRows"::text
          FROM "orientation_bilans" b WHERE b."id" = $1::uuid
        """)
}
