/// The mail queue of migrations/0007: handlers enqueue, the detached sender
/// (`bilan-generator send-mail`, and `recover`) claims and sends.
public enum MailQueueQueries {
    /// $1 kind, $2 recipient, $3 subject, $4 template name, $5 values (JSON),
    /// $6 user id or NULL, $7 seconds until the mail is worthless (or NULL).
    public static let enqueue = SQLStatement(
        "mail_enqueue",
        """
        INSERT INTO mail_queue ("kind", "recipient", "subject", "template", "values", "userId", "expiresAt")
        VALUES ($1, $2, $3, $4, $5::jsonb, $6::uuid, now() + make_interval(secs => $7::int))
        """)

    /// Claims the oldest due mail; a claim older than $1 seconds belongs to a
    /// sender that died mid-send and is taken over. Skips rows another
    /// sender holds. Columns: id, recipient, subject, template, values, attempts.
    /// $1 claim lifetime in seconds, $2 max attempts.
    public static let claimNext = SQLStatement(
        "mail_claim_next",
        """
        UPDATE mail_queue m SET "claimedAt" = now(), "attempts" = m."attempts" + 1
         WHERE m."id" = (
                SELECT q."id" FROM mail_queue q
                 WHERE q."sentAt" IS NULL AND q."notBefore" <= now() AND q."attempts" < $2::int
                   AND (q."expiresAt" IS NULL OR q."expiresAt" > now())
                   AND (q."claimedAt" IS NULL OR q."claimedAt" < now() - make_interval(secs => $1::int))
                 ORDER BY q."id" LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING m."id", m."recipient", m."subject", m."template", m."values"::text, m."attempts"
        """)

    /// The mail left: its values (a login link) are no longer kept. $1 id.
    public static let markSent = SQLStatement(
        "mail_mark_sent",
        #"UPDATE mail_queue SET "sentAt" = now(), "values" = NULL, "lastError" = NULL WHERE "id" = $1::bigint"#)

    /// The transport refused it: try again after $2 seconds. $1 id, $3 error.
    public static let release = SQLStatement(
        "mail_release",
        """
        UPDATE mail_queue SET "claimedAt" = NULL, "notBefore" = now() + make_interval(secs => $2::int),
               "lastError" = $3
         WHERE "id" = $1::bigint
        """)

    /// Mails that will never leave (expired or out of attempts) lose their
    /// values, and sent or dead rows older than a week go. Column: rows deleted.
    public static let purge = SQLStatement(
        "mail_purge",
        """
        WITH cleared AS (
            UPDATE mail_queue SET "values" = NULL
             WHERE "sentAt" IS NULL AND "values" IS NOT NULL AND "expiresAt" < now()),
        gone AS (
            DELETE FROM mail_queue
             WHERE ("sentAt" IS NOT NULL OR "expiresAt" < now()) AND "createdAt" < now() - interval '7 days'
            RETURNING 1)
        SELECT count(*) FROM gone
        """)

    /// Unsent mails still worth sending (for `recover` and the health route). Column: count.
    public static let due = SQLStatement(
        "mail_due",
        """
        SELECT count(*) FROM mail_queue
         WHERE "sentAt" IS NULL AND ("expiresAt" IS NULL OR "expiresAt" > now())
        """)
}
