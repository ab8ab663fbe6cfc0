-- 0005 — The status route's lookup in one call: the session user and, when
-- the bilan is theirs, the bilan. The route is polled every 5 s by every
-- waiting page. As PL/pgSQL its query plan is kept per connection, so the
-- handlers get the cost of a prepared statement without named prepared
-- statements (which transaction-pooling PgBouncers do not all support), and
-- one round trip instead of two. Our own function: replaced on every run.
-- It resolves the session only through orientation_session_user(), which a
-- site may have replaced (docs/INTEGRATION.md).
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

-- Timestamps as Unix milliseconds: no date parsing in the handler.
CREATE OR REPLACE FUNCTION orientation_bilan_for_session(token text, bilan uuid)
RETURNS TABLE ("userId" uuid, "id" uuid, "status" text, "progressStep" int, "createdAtMs" bigint,
               "updatedAtMs" bigint, "completedAtMs" bigint, "resultat" text, "errorMessage" text)
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
           b."resultat", b."errorMessage"
      FROM (SELECT 1) AS one
      LEFT JOIN "orientation_bilans" b ON b."id" = bilan AND b."userId" = owner;
END
$f$;

INSERT INTO schema_migrations ("version") VALUES ('0005_status_lookup') ON CONFLICT DO NOTHING;
COMMIT;
