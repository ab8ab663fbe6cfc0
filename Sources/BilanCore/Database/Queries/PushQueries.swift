/// Web Push (SPEC §14, migrations/0010): the subscribe and unsubscribe
/// route's writes, and the generator's planning, claims and stamps of each
/// bilan's pushes (the same claim → send → stamp design as the mail).
public enum PushQueries {
    /// Stores a browser's subscription for a user; the same endpoint again
    /// (a browser subscribing anew, possibly for another account) updates
    /// its row. $1 user id, $2 endpoint, $3 p256dh, $4 auth. Column: id.
    public static let saveSubscription = SQLStatement(
        "push_save_subscription",
        """
        INSERT INTO push_subscriptions ("userId", "endpoint", "p256dh", "auth")
        VALUES ($1::uuid, $2, $3, $4)
        ON CONFLICT ("endpoint") DO UPDATE
           SET "userId" = EXCLUDED."userId", "p256dh" = EXCLUDED."p256dh", "auth" = EXCLUDED."auth",
               "updatedAt" = now()
        RETURNING "id"
        """)

    /// Keeps a user's newest $2 subscriptions: a script posting endpoints in
    /// a loop cannot make the generator send thousands of pushes. $1 user id.
    public static let trimSubscriptions = SQLStatement(
        "push_trim_subscriptions",
        """
        DELETE FROM push_subscriptions
         WHERE "id" IN (SELECT "id" FROM push_subscriptions WHERE "userId" = $1::uuid
                         ORDER BY "updatedAt" DESC, "id" DESC OFFSET $2::int)
        """)

    /// $1 user id, $2 endpoint: only the user's own subscription goes.
    public static let deleteSubscription = SQLStatement(
        "push_delete_subscription",
        #"DELETE FROM push_subscriptions WHERE "userId" = $1::uuid AND "endpoint" = $2"#)

    /// A push service answered 404/410: the subscription is gone. $1 id.
    public static let deleteGoneSubscription = SQLStatement(
        "push_delete_gone_subscription", #"DELETE FROM push_subscriptions WHERE "id" = $1::bigint"#)

    /// Once per settled state of a bilan: one delivery per subscription the
    /// user has now. $1 bilan id. Column: the deliveries planned by this call
    /// (0 when they were planned already or the bilan is not settled).
    public static let planPushes = SQLStatement(
        "push_plan",
        """
        WITH planned AS (
            UPDATE "orientation_bilans" SET "pushPlannedFor" = "status"
             WHERE "id" = $1::uuid AND "status" IN ('COMPLETED', 'FAILED')
               AND "pushPlannedFor" IS DISTINCT FROM "status"
            RETURNING "id", "userId", "status"
        ), inserted AS (
            INSERT INTO push_deliveries ("bilanId", "subscriptionId", "outcome")
            SELECT p."id", s."id", p."status" FROM planned p JOIN push_subscriptions s ON s."userId" = p."userId"
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT count(*) FROM inserted
        """)

    /// The bilan's pushes still owed for its current state and not being
    /// sent, now claimed. A claim left by a generator that died mid-send may
    /// have gone out: it is taken over only once older than $2 seconds.
    /// $1 bilan id, $3 max attempts.
    /// Columns: subscription id, endpoint, p256dh, auth, state, attempts so far.
    public static let claimPushes = SQLStatement(
        "push_claim",
        """
        UPDATE push_deliveries d SET "claimedAt" = now(), "attempts" = d."attempts" + 1
          FROM push_subscriptions s, "orientation_bilans" b
         WHERE d."bilanId" = $1::uuid AND s."id" = d."subscriptionId" AND b."id" = d."bilanId"
           AND d."outcome" = b."status" AND d."sentAt" IS NULL AND d."gaveUpAt" IS NULL
           AND d."attempts" < $3::int
           AND (d."claimedAt" IS NULL OR d."claimedAt" < now() - make_interval(secs => $2::double precision))
        RETURNING d."subscriptionId", s."endpoint", s."p256dh", s."auth", d."outcome"::text, d."attempts"
        """)

    /// The push service took it. $1 bilan id, $2 subscription id, $3 state.
    public static let markPushSent = SQLStatement(
        "push_mark_sent",
        """
        UPDATE push_deliveries SET "sentAt" = now(), "lastError" = NULL
         WHERE "bilanId" = $1::uuid AND "subscriptionId" = $2::bigint AND "outcome" = $3::"BilanStatus"
        """)

    /// 429, 5xx or a timeout: not sent, recovery may retry. $1–$3 as above, $4 the cause.
    public static let releasePushClaim = SQLStatement(
        "push_release_claim",
        """
        UPDATE push_deliveries SET "claimedAt" = NULL, "lastError" = $4
         WHERE "bilanId" = $1::uuid AND "subscriptionId" = $2::bigint AND "outcome" = $3::"BilanStatus"
           AND "sentAt" IS NULL
        """)

    /// Any other refusal: sending again would be refused again. $1–$4 as above.
    public static let giveUpPush = SQLStatement(
        "push_give_up",
        """
        UPDATE push_deliveries SET "gaveUpAt" = now(), "lastError" = $4
         WHERE "bilanId" = $1::uuid AND "subscriptionId" = $2::bigint AND "outcome" = $3::"BilanStatus"
           AND "sentAt" IS NULL
        """)

    /// Settled bilans of the last $3 seconds whose pushes are not planned
    /// yet (the generator died right after the transition, or recovery
    /// failed them) or still owed and not being sent (recovery). Older
    /// bilans are left alone: a push a day late is noise. $1 max attempts,
    /// $2 as in `claimPushes`. Column: id.
    public static let bilansOwingPushes = SQLStatement(
        "push_owed",
        """
        SELECT b."id" FROM "orientation_bilans" b
         WHERE b."status" IN ('COMPLETED', 'FAILED')
           AND b."updatedAt" > now() - make_interval(secs => $3::double precision)
           AND (b."pushPlannedFor" IS DISTINCT FROM b."status"
                OR EXISTS (
                    SELECT 1 FROM push_deliveries d
                     WHERE d."bilanId" = b."id" AND d."outcome" = b."status" AND d."sentAt" IS NULL
                       AND d."gaveUpAt" IS NULL AND d."attempts" < $1::int
                       AND (d."claimedAt" IS NULL
                            OR d."claimedAt" < now() - make_interval(secs => $2::double precision))))
         ORDER BY b."updatedAt" LIMIT 100
        """)
}
