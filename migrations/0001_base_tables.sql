-- 0001 — Base tables: users, sessions, magic-link tokens, payments, and the
-- bilans table in its original (pre-async) shape.
--
-- Why the old shape: sites that already ran the synchronous version have this
-- exact table with reports in it; creating it the same way here lets fresh
-- installs and upgrades go through the very same 0002, so the upgrade path is
-- the one that gets exercised every time.
-- Every statement is guarded: running this file twice (psql -f) changes nothing.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);  -- one migrator at a time

CREATE TABLE IF NOT EXISTS schema_migrations (
    "version"   text PRIMARY KEY,
    "appliedAt" timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS users (
    "id"        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "email"     text NOT NULL,
    "name"      text,
    "createdAt" timestamptz(3) NOT NULL DEFAULT now()
);
-- Addresses are compared case-insensitively: Alice@X and alice@x are one user.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (lower("email"));

-- Session tokens are never stored in clear: only their SHA-256.
CREATE TABLE IF NOT EXISTS sessions (
    "tokenHash" bytea PRIMARY KEY,
    "userId"    uuid NOT NULL REFERENCES users ("id") ON DELETE CASCADE,
    "createdAt" timestamptz(3) NOT NULL DEFAULT now(),
    "expiresAt" timestamptz(3) NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions ("userId");

CREATE TABLE IF NOT EXISTS login_tokens (
    "tokenHash" bytea PRIMARY KEY,
    "userId"    uuid NOT NULL REFERENCES users ("id") ON DELETE CASCADE,
    "email"     text NOT NULL,
    "returnTo"  text NOT NULL DEFAULT '/orientation/',
    "createdAt" timestamptz(3) NOT NULL DEFAULT now(),
    "expiresAt" timestamptz(3) NOT NULL,
    "usedAt"    timestamptz(3)
);
-- The per-address rate limit counts recent tokens by address.
CREATE INDEX IF NOT EXISTS login_tokens_email_idx ON login_tokens (lower("email"), "createdAt");

CREATE TABLE IF NOT EXISTS payments (
    "id"        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "userId"    uuid NOT NULL REFERENCES users ("id") ON DELETE CASCADE,
    "plan"      text NOT NULL CHECK ("plan" IN ('MONTHLY', 'ANNUAL')),
    "status"    text NOT NULL CHECK ("status" IN ('SUCCEEDED', 'REFUNDED', 'FAILED')),
    "createdAt" timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payments_user_idx ON payments ("userId");

-- The pre-async table, as the site's Prisma schema first created it.
CREATE TABLE IF NOT EXISTS "orientation_bilans" (
    "id"            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "userId"        uuid NOT NULL,
    "questionnaire" jsonb NOT NULL,
    "analyse"       jsonb NOT NULL,
    "resultat"      text NOT NULL,
    "createdAt"     timestamptz(3) NOT NULL DEFAULT now(),
    "updatedAt"     timestamptz(3) NOT NULL DEFAULT now()
);

INSERT INTO schema_migrations ("version") VALUES ('0001_base_tables') ON CONFLICT DO NOTHING;
COMMIT;
