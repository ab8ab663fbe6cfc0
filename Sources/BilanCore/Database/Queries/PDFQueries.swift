/// Queries on `"orientation_bilan_pdfs"` (migrations/0009): the generator
/// makes and stores a completed bilan's PDF, recovery retries the missing
/// ones, the mail attaches it, the page links to it and `bilan-page` serves
/// it. A PDF travels as `bytea` hex text (`Bytea`); its ETag and size are
/// computed by PostgreSQL from the bytes stored.
public enum PDFQueries {
    /// What the print template needs, for a COMPLETED bilan only. $1 id.
    /// Columns: resultat, resultatHtml, resultatToc, questionnaire, completedAt (ms), distressFlag.
    public static let printSource = SQLStatement(
        "pdf_print_source",
        """
        SELECT b."resultat", b."resultatHtml", b."resultatToc"::text, b."questionnaire"::text,
               (extract(epoch FROM b."completedAt") * 1000)::bigint, b."distressFlag"
          FROM "orientation_bilans" b
         WHERE b."id" = $1::uuid AND b."status" = 'COMPLETED'
        """)

    /// Stores a bilan's PDF, replacing a failed try. $1 id, $2 the PDF (bytea hex).
    public static let save = SQLStatement(
        "pdf_save",
        """
        INSERT INTO "orientation_bilan_pdfs" AS p
               ("bilanId", "pdf", "etag", "size", "createdAt", "attempts", "lastAttemptAt", "lastError")
        VALUES ($1::uuid, $2::bytea, '"' || md5($2::bytea) || '"', length($2::bytea), now(), 1, now(), NULL)
        ON CONFLICT ("bilanId") DO UPDATE
           SET "pdf" = EXCLUDED."pdf", "etag" = EXCLUDED."etag", "size" = EXCLUDED."size", "createdAt" = now(),
               "attempts" = p."attempts" + 1, "lastAttemptAt" = now(), "lastError" = NULL
        """)

    /// Notes a try that made no PDF (recovery's spacing, `bilan-admin show`).
    /// $1 id, $2 what went wrong (for sysadmins).
    public static let recordFailure = SQLStatement(
        "pdf_record_failure",
        """
        INSERT INTO "orientation_bilan_pdfs" AS p ("bilanId", "attempts", "lastAttemptAt", "lastError")
        VALUES ($1::uuid, 1, now(), $2)
        ON CONFLICT ("bilanId") DO UPDATE
           SET "attempts" = p."attempts" + 1, "lastAttemptAt" = now(), "lastError" = $2
         WHERE p."pdf" IS NULL
        """)

    /// Completed bilans without a PDF whose next try is due, newest first (a
    /// student who just got the mail may be looking for it). The first retry
    /// is due at once (the next recovery run), then after 1, 2, 4… minutes,
    /// at most an hour apart: a missing WeasyPrint costs one failed spawn an
    /// hour per bilan, and its PDFs follow within the hour once it is
    /// installed. $1 how many. Column: id.
    public static let missing = SQLStatement(
        "pdf_missing",
        """
        SELECT b."id" FROM "orientation_bilans" b
          LEFT JOIN "orientation_bilan_pdfs" p ON p."bilanId" = b."id"
         WHERE b."status" = 'COMPLETED' AND p."pdf" IS NULL
           AND (p."lastAttemptAt" IS NULL OR p."attempts" <= 1
                OR p."lastAttemptAt" <= now() - make_interval(mins => least(1 << least(p."attempts" - 2, 6), 60)))
         ORDER BY b."completedAt" DESC
         LIMIT $1::int
        """)

    /// The PDF to attach to the notification. $1 id.
    /// Columns: pdf, completedAt (ms).
    public static let attachment = SQLStatement(
        "pdf_attachment",
        """
        SELECT p."pdf", (extract(epoch FROM b."completedAt") * 1000)::bigint
          FROM "orientation_bilan_pdfs" p JOIN "orientation_bilans" b ON b."id" = p."bilanId"
         WHERE p."bilanId" = $1::uuid AND p."pdf" IS NOT NULL
        """)

    /// The download: the session's user and, when the bilan is theirs and its
    /// PDF made, the PDF, in one round trip. Always one row; malformed,
    /// unknown, foreign ids and missing PDFs look alike (SPEC §3).
    /// $1 session token, $2 bilan id (NULL when malformed).
    /// Columns: user, etag, pdf, completedAt (ms).
    public static let forSession = SQLStatement(
        "pdf_for_session",
        """
        SELECT s."owner", p."etag", p."pdf", (extract(epoch FROM b."completedAt") * 1000)::bigint
          FROM (SELECT orientation_session_user($1) AS "owner") s
          LEFT JOIN "orientation_bilans" b
                 ON b."id" = $2::uuid AND b."userId" = s."owner" AND b."status" = 'COMPLETED'
          LEFT JOIN "orientation_bilan_pdfs" p ON p."bilanId" = b."id" AND p."pdf" IS NOT NULL
        """)

    /// Whether the page links to the PDF. $1 id (already the session's). Column: 1.
    public static let exists = SQLStatement(
        "pdf_exists",
        #"SELECT 1 FROM "orientation_bilan_pdfs" WHERE "bilanId" = $1::uuid AND "pdf" IS NOT NULL"#)
}
