-- 0007 — What the security review of SPEC §16 needs in the database.
--
--   mail_queue        login links (and any mail a handler wants sent) are
--                     queued here in the request's transaction and sent by a
--                     detached `bilan-generator send-mail`, spawned after the
--                     answer; `recover` retries. A handler never talks to SMTP
--                     while it holds a worker, and the answer does not wait for
--                     the mail server. "values" holds the login link until the
--                     mail has left, then is cleared; a link not sent before it
--                     expires is never sent.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

CREATE TABLE IF NOT EXISTS mail_queue (
    "id"        bigserial PRIMARY KEY,
    "kind"      text NOT NULL,
    "recipient" text NOT NULL,
    "subject"   text NOT NULL,
    "template"  text NOT NULL,
    "values"    jsonb,
    "userId"    uuid REFERENCES users ("id") ON DELETE CASCADE,
    "createdAt" timestamptz(3) NOT NULL DEFAULT now(),
    "notBefore" timestamptz(3) NOT NULL DEFAULT now(),
    "expiresAt" timestamptz(3),
    "attempts"  integer NOT NULL DEFAULT 0,
    "claimedAt" timestamptz(3),
    "sentAt"    timestamptz(3),
    "lastError" text
);
-- The sender's queue: unsent mails, oldest first.
CREATE INDEX IF NOT EXISTS mail_queue_due_idx ON mail_queue ("id") WHERE "sentAt" IS NULL;

INSERT INTO schema_migrations ("version") VALUES ('0007_security') ON CONFLICT DO NOTHING;
COMMIT;
