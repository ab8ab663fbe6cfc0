/// Queries of the generator and of recovery. They run on `DIRECT_URL`: the
/// per-bilan lock is a session advisory lock, held by the generator's own
/// connection and released by PostgreSQL the moment that process dies.
public enum GenerationQueries {
    /// Queued bilans ready to run, the preferred one first, then oldest first.
    /// $1 preferred id or NULL, $2 how many. Column: id.
    public static let queuedCandidates = SQLStatement(
        "gen_queued_candidates",
        """
        SELECT b."id" FROM "orientation_bilans" b
         WHERE b."status" = 'PENDING' AND (b."nextAttemptAt" IS NULL OR b."nextAttemptAt" <= now())
         ORDER BY (b."id" = $1::uuid) IS TRUE DESC, b."createdAt"
         LIMIT $2::int
        """)

    /// $1 id. Column: true when this session now holds the bilan's lock.
    public static let tryLock = SQLStatement(
        "gen_try_lock", "SELECT pg_try_advisory_lock(\(LockSpace.generatorPerBilan.rawValue), hashtext($1::text))")

    /// $1 id.
    public static let unlock = SQLStatement(
        "gen_unlock", "SELECT pg_advisory_unlock(\(LockSpace.generatorPerBilan.rawValue), hashtext($1::text))")

    /// Claims a locked bilan if it is still queued, counting the attempt.
    /// $1 id, $2 claimer (host:pid).
    /// Columns: attempts, progressStep, questionnaire, analyse, distressFlag, age in seconds, parcoursupRows.
    public static let claim = SQLStatement(
        "gen_claim",
        """
        UPDATE "orientation_bilans"
           SET "attempts" = "attempts" + 1, "lockedBy" = $2, "startedAt" = now(), "updatedAt" = now(),
               "nextAttemptAt" = NULL
         WHERE "id" = $1::uuid AND "status" = 'PENDING'
        RETURNING "attempts", "progressStep", "questionnaire"::text, coalesce("analyse", '{}'::jsonb)::text,
                  "distressFlag", extract(epoch FROM now() - "createdAt")::bigint, "parcoursupRows"::text
        """)

    /// The Parcoursup programmes the terrain pass is given (SPEC §13), saved
    /// before the pass so a resumed run shows the model the same rows.
    /// $1 id, $2 the selection (JSON).
    public static let saveProgrammes = SQLStatement(
        "gen_save_programmes",
        #"UPDATE "orientation_bilans" SET "parcoursupRows" = $2::jsonb, "updatedAt" = now() WHERE "id" = $1::uuid AND "status" = 'PENDING'"#)

    /// A bilan whose free texts show distress by today's phrase list (it may
    /// have been created before the phrase was added). $1 id.
    public static let flagDistress = SQLStatement(
        "gen_flag_distress",
        #"UPDATE "orientation_bilans" SET "distressFlag" = true WHERE "id" = $1::uuid AND NOT "distressFlag""#)

    /// The pass under way. $1 id, $2 step.
    public static let setStep = SQLStatement(
        "gen_set_step",
        #"UPDATE "orientation_bilans" SET "progressStep" = $2::int, "updatedAt" = now() WHERE "id" = $1::uuid"#)

    /// Saves one pass's output, with the model version that wrote it, and
    /// moves to the next step in one statement.
    /// $1 id, $2 checkpoint key, $3 output (JSON), $4 next step, $5 model version.
    public static let saveCheckpoint = SQLStatement(
        "gen_save_checkpoint",
        """
        UPDATE "orientation_bilans"
           SET "analyse" = coalesce("analyse", '{}'::jsonb) || jsonb_build_object($2::text, $3::jsonb),
               "modelVersions" = coalesce("modelVersions", '{}'::jsonb) || jsonb_build_object($2::text, $5::text),
               "progressStep" = $4::int, "updatedAt" = now()
         WHERE "id" = $1::uuid
        """)

    /// $1 id, $2 report (Markdown), $3 the report check's verdict (JSON),
    /// $4 the report rendered as HTML or NULL, $5 its table of contents (JSON) or NULL.
    public static let complete = SQLStatement(
        "gen_complete",
        """
        UPDATE "orientation_bilans"
           SET "status" = 'COMPLETED', "resultat" = $2, "reportCheck" = $3::jsonb, "completedAt" = now(),
               "resultatHtml" = $4, "resultatToc" = $5::jsonb,
               "updatedAt" = now(), "progressStep" = 3, "errorMessage" = NULL, "failureDetail" = NULL,
               "failureKind" = NULL
         WHERE "id" = $1::uuid AND "status" = 'PENDING'
        """)

    /// $1 id, $2 user-safe message, $3 technical detail, $4 failure kind
    /// (`CONTENT_REFUSED`, `REPORT_REFUSED`, `ATTEMPTS`, `SERVICE`), $5 the
    /// report check's verdict when the report was refused (JSON or NULL).
    public static let fail = SQLStatement(
        "gen_fail",
        """
        UPDATE "orientation_bilans"
           SET "status" = 'FAILED', "errorMessage" = $2, "failureDetail" = $3, "failureKind" = $4,
               "reportCheck" = coalesce($5::jsonb, "reportCheck"), "updatedAt" = now()
         WHERE "id" = $1::uuid AND "status" = 'PENDING'
        """)

    /// Gives a bilan back to the queue after a transient failure.
    /// $1 id, $2 delay in seconds, $3 technical detail, $4 whether the run
    /// counts against MAX_ATTEMPTS (not when our configuration was at fault,
    /// e.g. every configured model retired: fixing the setting is enough).
    public static let requeue = SQLStatement(
        "gen_requeue",
        """
        UPDATE "orientation_bilans"
           SET "nextAttemptAt" = now() + make_interval(secs => $2::double precision),
               "attempts" = CASE WHEN $4::boolean THEN "attempts" ELSE greatest("attempts" - 1, 0) END,
               "failureDetail" = $3, "updatedAt" = now()
         WHERE "id" = $1::uuid AND "status" = 'PENDING'
        """)

    /// The notification, if still owed and not being sent: a claim left by a
    /// generator that died mid-send may have gone out, so it is only taken
    /// over once it is older than $2 seconds. $1 id.
    /// Columns: recipient, report, attempts so far, distressFlag.
    public static let claimEmail = SQLStatement(
        "gen_claim_email",
        """
        UPDATE "orientation_bilans"
           SET "emailClaimedAt" = now(), "emailAttempts" = "emailAttempts" + 1
         WHERE "id" = $1::uuid AND "status" = 'COMPLETED' AND "emailSentAt" IS NULL
           AND ("emailClaimedAt" IS NULL
                OR "emailClaimedAt" < now() - make_interval(secs => $2::double precision))
        RETURNING orientation_user_email("userId"), "resultat", "emailAttempts", "distressFlag"
        """)

    /// The transport refused the message: it did not leave, recovery may retry at once. $1 id.
    public static let releaseEmailClaim = SQLStatement(
        "gen_release_email_claim",
        #"UPDATE "orientation_bilans" SET "emailClaimedAt" = NULL WHERE "id" = $1::uuid AND "emailSentAt" IS NULL"#)

    /// $1 id.
    public static let markEmailSent = SQLStatement(
        "gen_mark_email_sent",
        #"UPDATE "orientation_bilans" SET "emailSentAt" = now() WHERE "id" = $1::uuid AND "emailSentAt" IS NULL"#)

    /// Completed bilans whose notification is still owed and not being sent
    /// (recovery). $1 max mail attempts, $2 as in `claimEmail`. Column: id.
    public static let unsentEmails = SQLStatement(
        "gen_unsent_emails",
        """
        SELECT "id" FROM "orientation_bilans"
         WHERE "status" = 'COMPLETED' AND "emailSentAt" IS NULL AND "emailAttempts" < $1::int
           AND ("emailClaimedAt" IS NULL
                OR "emailClaimedAt" < now() - make_interval(secs => $2::double precision))
         ORDER BY "completedAt" LIMIT 100
        """)

    /// Queued bilans that have used up their attempts (recovery). $1 max attempts. Column: id.
    public static let exhaustedBilans = SQLStatement(
        "gen_exhausted",
        """
        SELECT "id" FROM "orientation_bilans"
         WHERE "status" = 'PENDING' AND "attempts" >= $1::int ORDER BY "createdAt" LIMIT 100
        """)

    /// Re-queues a bilan on the admin's request. $1 id. Column: id.
    public static let adminRetry = SQLStatement(
        "gen_admin_retry",
        """
        UPDATE "orientation_bilans"
           SET "status" = 'PENDING', "attempts" = 0, "nextAttemptAt" = NULL, "errorMessage" = NULL,
               "failureKind" = NULL, "reportCheck" = NULL, "updatedAt" = now(),
               -- A refused report would be refused again: passes 1 and 2 stay, the report is written anew,
               -- with the programmes of the data loaded now.
               "analyse" = "analyse" - 'terrain' - 'repair', "parcoursupRows" = NULL
         WHERE "id" = $1::uuid AND "status" IN ('FAILED', 'PENDING')
        RETURNING "id"
        """)

    /// Makes the notification owed again. $1 id. Column: id.
    public static let adminResend = SQLStatement(
        "gen_admin_resend",
        """
        UPDATE "orientation_bilans" SET "emailSentAt" = NULL, "emailClaimedAt" = NULL, "emailAttempts" = 0
         WHERE "id" = $1::uuid AND "status" = 'COMPLETED'
        RETURNING "id"
        """)
}
