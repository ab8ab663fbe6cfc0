-- 0009 — The report PDF of SPEC §14, made by the generator after COMPLETED.
--
--   orientation_bilan_pdfs  one row per bilan whose PDF was made or tried:
--                    "pdf" (NULL until made), its "etag" (md5, for the
--                    download's If-None-Match) and "size", when it was made
--                    ("createdAt"), and the tries ("attempts",
--                    "lastAttemptAt", "lastError") that `bilan-generator
--                    recover` spaces out when WeasyPrint is missing, crashes or
--                    is too slow. A table of its own, not columns of
--                    "orientation_bilans": the status lookup, polled every 5 s,
--                    and every queue statement keep reading rows without
--                    hundreds of kilobytes beside them; deleting a bilan
--                    (purge) deletes its PDF.
--
-- The index lets recovery find the newest completed bilans without a PDF
-- from the end of a short index instead of the whole table.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

CREATE TABLE IF NOT EXISTS "orientation_bilan_pdfs" (
    "bilanId"       uuid PRIMARY KEY REFERENCES "orientation_bilans" ("id") ON DELETE CASCADE,
    "pdf"           bytea,
    "etag"          text,
    "size"          integer,
    "createdAt"     timestamptz(3),
    "attempts"      integer NOT NULL DEFAULT 0,
    "lastAttemptAt" timestamptz(3),
    "lastError"     text,
    CONSTRAINT "orientation_bilan_pdfs_made" CHECK (("pdf" IS NULL) = ("etag" IS NULL))
);

CREATE INDEX IF NOT EXISTS "orientation_bilans_completed_idx"
    ON "orientation_bilans" ("completedAt" DESC) WHERE "status" = 'COMPLETED';

INSERT INTO schema_migrations ("version") VALUES ('0009_pdf') ON CONFLICT DO NOTHING;
COMMIT;
