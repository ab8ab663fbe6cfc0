-- 0003 — What the detached generator needs to resume, retry and mail once.
--
--   "progressStep"  the pass under way: 0 queued, 1 initial, 2 psychopédagogique,
--                   3 terrain; each pass's output is checkpointed in "analyse"
--                   before the step advances, so a restart resumes there.
--   "attempts"      generator runs that claimed the bilan; bounded by MAX_ATTEMPTS.
--   "nextAttemptAt" not before this instant (backoff after a transient failure).
--   "lockedBy"      host:pid of the last claimer, for the admin; the live lock
--                   itself is a session advisory lock held by that generator.
--   "failureDetail" the technical cause of a failure, for bilan-admin show;
--                   "errorMessage" stays user-safe.
--   "emailClaimedAt"/"emailSentAt"  the notification is claimed before sending
--                   and stamped after, so it goes out once.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

ALTER TABLE "orientation_bilans"
    ADD COLUMN IF NOT EXISTS "progressStep"   smallint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS "attempts"       integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS "nextAttemptAt"  timestamptz(3),
    ADD COLUMN IF NOT EXISTS "lockedBy"       text,
    ADD COLUMN IF NOT EXISTS "startedAt"      timestamptz(3),
    ADD COLUMN IF NOT EXISTS "completedAt"    timestamptz(3),
    ADD COLUMN IF NOT EXISTS "failureDetail"  text,
    ADD COLUMN IF NOT EXISTS "emailClaimedAt" timestamptz(3),
    ADD COLUMN IF NOT EXISTS "emailSentAt"    timestamptz(3),
    ADD COLUMN IF NOT EXISTS "emailAttempts"  integer NOT NULL DEFAULT 0;

-- Reports written before this migration are complete and were never mailed by us.
UPDATE "orientation_bilans"
   SET "progressStep" = 3,
       "completedAt" = COALESCE("completedAt", "updatedAt"),
       "emailSentAt" = COALESCE("emailSentAt", "updatedAt")
 WHERE "status" = 'COMPLETED' AND "completedAt" IS NULL;

-- The queue: pending bilans, oldest first.
CREATE INDEX IF NOT EXISTS "orientation_bilans_queue_idx"
    ON "orientation_bilans" ("createdAt") WHERE "status" = 'PENDING';
-- Completed bilans whose mail is still owed.
CREATE INDEX IF NOT EXISTS "orientation_bilans_unsent_idx"
    ON "orientation_bilans" ("completedAt") WHERE "status" = 'COMPLETED' AND "emailSentAt" IS NULL;

INSERT INTO schema_migrations ("version") VALUES ('0003_generator_bookkeeping') ON CONFLICT DO NOTHING;
COMMIT;
