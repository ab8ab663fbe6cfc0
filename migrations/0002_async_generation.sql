-- 0002 — Asynchronous generation: a status per bilan, and room for a bilan
-- that has no report yet.
--
-- Upgrades the pre-async table in place: rows that already hold a report
-- become COMPLETED (as the site's original Prisma migration did); new rows
-- start PENDING. Guarded so a second run changes nothing.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

DO $$
BEGIN
    -- Guard: the handlers compare "userId" with the uuid of orientation_session_user().
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_name = 'orientation_bilans' AND column_name = 'userId' AND data_type <> 'uuid'
    ) THEN
        RAISE EXCEPTION 'orientation_bilans."userId" is not uuid: convert it first (docs/INTEGRATION.md, "text user ids")';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'BilanStatus') THEN
        CREATE TYPE "BilanStatus" AS ENUM ('PENDING', 'COMPLETED', 'FAILED');
    END IF;

    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_name = 'orientation_bilans' AND column_name = 'status'
    ) THEN
        ALTER TABLE "orientation_bilans" ADD COLUMN "status" "BilanStatus" NOT NULL DEFAULT 'PENDING';
        -- Every row that existed before this migration was written synchronously.
        UPDATE "orientation_bilans" SET "status" = 'COMPLETED' WHERE "resultat" IS NOT NULL;
    END IF;

    -- Prisma's default timestamps carry no time zone; ours are UTC instants.
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_name = 'orientation_bilans' AND column_name = 'createdAt'
          AND data_type = 'timestamp without time zone'
    ) THEN
        ALTER TABLE "orientation_bilans"
            ALTER COLUMN "createdAt" TYPE timestamptz(3) USING "createdAt" AT TIME ZONE 'UTC',
            ALTER COLUMN "updatedAt" TYPE timestamptz(3) USING "updatedAt" AT TIME ZONE 'UTC';
    END IF;
END $$;

ALTER TABLE "orientation_bilans" ALTER COLUMN "analyse" DROP NOT NULL;
ALTER TABLE "orientation_bilans" ALTER COLUMN "resultat" DROP NOT NULL;
ALTER TABLE "orientation_bilans" ALTER COLUMN "updatedAt" SET DEFAULT now();
ALTER TABLE "orientation_bilans" ADD COLUMN IF NOT EXISTS "errorMessage" text;

CREATE INDEX IF NOT EXISTS "orientation_bilans_status_idx" ON "orientation_bilans" ("status");
-- Lookups by owner (eligibility, history) read newest first.
CREATE INDEX IF NOT EXISTS "orientation_bilans_userId_createdAt_idx"
    ON "orientation_bilans" ("userId", "createdAt" DESC);

INSERT INTO schema_migrations ("version") VALUES ('0002_async_generation') ON CONFLICT DO NOTHING;
COMMIT;
