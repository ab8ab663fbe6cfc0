-- 0010 — Web Push (SPEC §14): the browsers' subscriptions, and what was
-- pushed for each bilan, so that a bilan is pushed once, like the mail.
--
--   push_subscriptions  one row per browser (its endpoint is unique: the same
--                       browser subscribing again, even for another account,
--                       updates its row). The keys are the browser's public
--                       key and auth secret, base64url as it sent them. A push
--                       service's 404/410 deletes the row (and its deliveries).
--   "pushPlannedFor"    on the bilan: the state (COMPLETED or FAILED) whose
--                       pushes were planned, once, for the subscriptions the
--                       user had then; a device subscribed later is never
--                       pushed an older bilan. An operator's retry that ends
--                       in another state plans that state's pushes.
--   push_deliveries     one row per (bilan, subscription, state): claimed
--                       before sending ("maybe sent"), stamped "sentAt" once
--                       the push service took it, released on 429/5xx and
--                       timeouts for recovery to retry, "gaveUpAt" on any
--                       other refusal.
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

CREATE TABLE IF NOT EXISTS push_subscriptions (
    "id"        bigserial PRIMARY KEY,
    "userId"    uuid NOT NULL REFERENCES users ("id") ON DELETE CASCADE,
    "endpoint"  text NOT NULL,
    "p256dh"    text NOT NULL,
    "auth"      text NOT NULL,
    "createdAt" timestamptz(3) NOT NULL DEFAULT now(),
    "updatedAt" timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS push_subscriptions_endpoint_key ON push_subscriptions ("endpoint");
CREATE INDEX IF NOT EXISTS push_subscriptions_user_idx ON push_subscriptions ("userId", "updatedAt" DESC);

ALTER TABLE "orientation_bilans" ADD COLUMN IF NOT EXISTS "pushPlannedFor" "BilanStatus";

CREATE TABLE IF NOT EXISTS push_deliveries (
    "bilanId"        uuid NOT NULL REFERENCES "orientation_bilans" ("id") ON DELETE CASCADE,
    "subscriptionId" bigint NOT NULL REFERENCES push_subscriptions ("id") ON DELETE CASCADE,
    "outcome"        "BilanStatus" NOT NULL,
    "attempts"       integer NOT NULL DEFAULT 0,
    "claimedAt"      timestamptz(3),
    "sentAt"         timestamptz(3),
    "gaveUpAt"       timestamptz(3),
    "lastError"      text,
    "createdAt"      timestamptz(3) NOT NULL DEFAULT now(),
    PRIMARY KEY ("bilanId", "subscriptionId", "outcome")
);
-- Deleting a subscription (410) cascades here: its deliveries by subscription.
CREATE INDEX IF NOT EXISTS push_deliveries_subscription_idx ON push_deliveries ("subscriptionId");
-- Recovery's question: which bilans still owe a push.
CREATE INDEX IF NOT EXISTS push_deliveries_owed_idx ON push_deliveries ("bilanId")
    WHERE "sentAt" IS NULL AND "gaveUpAt" IS NULL;

INSERT INTO schema_migrations ("version") VALUES ('0010_push') ON CONFLICT DO NOTHING;
COMMIT;
