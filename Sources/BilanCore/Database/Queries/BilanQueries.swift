/// Queries on `"orientation_bilans"` made by the handlers. Timestamps come back
/// as Unix milliseconds so no date parsing happens in the hot path.
public enum BilanQueries {
    /// Session user and, when the id is well formed and theirs, the bilan: one
    /// round trip for the status route, polled every 5 s by every waiting page.
    /// The work is in the PL/pgSQL function of migrations/0006, whose query
    /// plan PostgreSQL keeps per connection; this statement itself is trivial
    /// to plan, so the route needs no named prepared statement.
    /// $1 session token (may be NULL), $2 bilan id (NULL when malformed).
    /// Columns: uid, id, status, progressStep, createdAt, updatedAt, completedAt, resultat, errorMessage,
    /// distressFlag, failureKind, questionnaire.
    public static let lookupForSession = SQLStatement(
        "bilan_lookup_for_session", "SELECT * FROM orientation_session_bilan($1, $2::uuid)")

    /// A user's bilans, newest first (history). $1 user id.
    /// Columns: id, status, progressStep, createdAt, updatedAt, completedAt, questionnaire,
    /// whether its PDF was made (the history page links to it).
    public static let historyForUser = SQLStatement(
        "bilan_history_for_user",
        """
        SELECT b."id", b."status", b."progressStep",
               (extract(epoch FROM b."createdAt") * 1000)::bigint,
               (extract(epoch FROM b."updatedAt") * 1000)::bigint,
               (extract(epoch FROM b."completedAt") * 1000)::bigint,
               b."questionnaire"::text,
               EXISTS (SELECT 1 FROM "orientation_bilan_pdfs" p WHERE p."bilanId" = b."id" AND p."pdf" IS NOT NULL)
          FROM "orientation_bilans" b
         WHERE b."userId" = $1::uuid
         ORDER BY b."createdAt" DESC
         LIMIT 100
        """)

    /// Serialises one user's creates: held until COMMIT, so N simultaneous
    /// creates check eligibility one after the other. Transaction-scoped, hence
    /// safe behind a transaction-pooling PgBouncer. $1 user id.
    public static let lockUserForCreate = SQLStatement(
        "bilan_lock_user_for_create",
        LockSpace.createPerUser.transactionLock("$1::text"))

    /// Everything the eligibility rule reads, as JSON arrays. $1 user id.
    /// Columns: now (ms), payments [[plan,status]…], bilans [[id,status,createdAt ms,failureKind]…].
    public static let eligibilityFacts = SQLStatement(
        "bilan_eligibility_facts",
        """
        SELECT (extract(epoch FROM now()) * 1000)::bigint,
               (SELECT coalesce(json_agg(json_build_array(p.plan, p.status)), '[]')
                  FROM orientation_user_payments($1::uuid) p),
               (SELECT coalesce(json_agg(json_build_array(b."id", b."status",
                        (extract(epoch FROM b."createdAt") * 1000)::bigint, b."failureKind")), '[]')
                  FROM "orientation_bilans" b
                 WHERE b."userId" = $1::uuid AND b."createdAt" > now() - interval '366 days')
        """)

    /// A new PENDING bilan. $1 user id, $2 validated questionnaire (JSON),
    /// $3 whether a free text shows distress. Column: id.
    public static let insertPending = SQLStatement(
        "bilan_insert_pending",
        """
        INSERT INTO "orientation_bilans" ("userId", "questionnaire", "distressFlag", "status", "createdAt", "updatedAt")
        VALUES ($1::uuid, $2::jsonb, $3::boolean, 'PENDING', now(), now())
        RETURNING "id"
        """)
}
