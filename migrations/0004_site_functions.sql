-- 0004 — The functions through which the handlers see a site's users,
-- sessions and payments. A site with its own login or billing replaces them
-- (docs/INTEGRATION.md); so they are created only when absent, and a second
-- run never overwrites a site's version.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

DO $$
BEGIN
    -- NULL = not logged in. Tokens are looked up by SHA-256, never stored in clear.
    -- PL/pgSQL, not SQL: every handler request calls it, and PL/pgSQL keeps the
    -- plan of its query per connection, where a SQL function with a FROM is
    -- never inlined and re-plans its body on each call (docs/PERFORMANCE.md).
    IF to_regprocedure('orientation_session_user(text)') IS NULL THEN
        CREATE FUNCTION orientation_session_user(token text) RETURNS uuid
        LANGUAGE plpgsql STABLE AS $f$
        BEGIN
            RETURN (SELECT s."userId" FROM sessions s
                     WHERE s."tokenHash" = sha256(convert_to(token, 'UTF8'))
                       AND s."expiresAt" > now());
        END
        $f$;
    END IF;

    -- Every payment of a user: plan (MONTHLY/ANNUAL) and status (SUCCEEDED/REFUNDED/FAILED).
    IF to_regprocedure('orientation_user_payments(uuid)') IS NULL THEN
        CREATE FUNCTION orientation_user_payments(uid uuid) RETURNS TABLE (plan text, status text)
        LANGUAGE sql STABLE AS $f$
            SELECT p."plan", p."status" FROM payments p WHERE p."userId" = uid
        $f$;
    END IF;

    -- Where a user's notification goes.
    IF to_regprocedure('orientation_user_email(uuid)') IS NULL THEN
        CREATE FUNCTION orientation_user_email(uid uuid) RETURNS text
        LANGUAGE sql STABLE AS $f$
            SELECT u."email" FROM users u WHERE u."id" = uid
        $f$;
    END IF;

    -- The user behind an address, for magic-link login (NULL if none).
    IF to_regprocedure('orientation_user_by_email(text)') IS NULL THEN
        CREATE FUNCTION orientation_user_by_email(address text) RETURNS uuid
        LANGUAGE sql STABLE AS $f$
            SELECT u."id" FROM users u WHERE lower(u."email") = lower(address)
        $f$;
    END IF;
END $$;

INSERT INTO schema_migrations ("version") VALUES ('0004_site_functions') ON CONFLICT DO NOTHING;
COMMIT;
