-- 0006 — What the report engine of SPEC §12 records with each bilan.
--
--   "modelVersions"  the `modelVersion` that answered each pass
--                    ({"initial": "gemini-3.6-flash-001", …}): a report's style
--                    can change when Google moves a model, and this says which
--                    model wrote what.
--   "reportCheck"    the verdict of the report check on the stored report
--                    (rules, repaired, links neutralised), for bilan-admin show
--                    and the quality figures.
--   "distressFlag"   a free text matched the distress phrases: the page and the
--                    mail put the « Besoin d'en parler ? » card first, and
--                    bilan-admin list --flagged finds the bilan.
--   "failureKind"    why a FAILED bilan failed, in one word the pages can act on
--                    (CONTENT_REFUSED shows the help card, never « reformulez »).
--   "resultatHtml"/"resultatToc"  the checked report rendered once at
--                    completion (size-capped) with its table of contents, so a
--                    page view never parses Markdown (SPEC §16).
--
-- The status lookup gains these columns and the questionnaire (for the
-- profile line of the page): a new function, since a function's result type
-- cannot be changed in place. The old one stays for a release, so handlers
-- not yet restarted after `migrate` keep answering.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

ALTER TABLE "orientation_bilans"
    ADD COLUMN IF NOT EXISTS "modelVersions" jsonb,
    ADD COLUMN IF NOT EXISTS "reportCheck"   jsonb,
    ADD COLUMN IF NOT EXISTS "distressFlag"  boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS "failureKind"   text,
    ADD COLUMN IF NOT EXISTS "resultatHtml"  text,
    ADD COLUMN IF NOT EXISTS "resultatToc"   jsonb;

-- bilan-admin list --flagged: few rows, newest first.
CREATE INDEX IF NOT EXISTS "orientation_bilans_flagged_idx"
    ON "orientation_bilans" ("createdAt") WHERE "distressFlag";

-- Timestamps as Unix milliseconds: no date parsing in the handler.
CREATE OR REPLACE FUNCTION orientation_session_bilan(token text, bilan uuid)
RETURNS TABLE ("userId" uuid, "id" uuid, "status" text, "progressStep" int, "createdAtMs" bigint,
               "updatedAtMs" bigint, "completedAtMs" bigint, "resultat" text, "errorMessage" text,
               "distressFlag" boolean, "failureKind" text, "questionnaire" text, "resultatHtml" text,
               "resultatToc" text)
LANGUAGE plpgsql STABLE AS $f$
DECLARE
    owner uuid := orientation_session_user(token);
BEGIN
    -- One row always: the user alone (NULL when not logged in) when the bilan
    -- is unknown, malformed (NULL) or someone else's.
    RETURN QUERY
    SELECT owner, b."id", b."status"::text, b."progressStep"::int,
           (extract(epoch FROM b."createdAt") * 1000)::bigint,
           (extract(epoch FROM b."updatedAt") * 1000)::bigint,
           (extract(epoch FROM b."completedAt") * 1000)::bigint,
           b."resultat", b."errorMessage", b."distressFlag", b."failureKind", b."questionnaire"::text,
           b."resultatHtml", b."resultatToc"::text
      FROM (SELECT 1) AS one
      LEFT JOIN "orientation_bilans" b ON b."id" = bilan AND b."userId" = owner;
END
$f$;

INSERT INTO schema_migrations ("version") VALUES ('0006_report_engine') ON CONFLICT DO NOTHING;
COMMIT;
