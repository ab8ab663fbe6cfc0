/// Queries on sessions and magic-link tokens. Tokens travel as text parameters
/// and are hashed by PostgreSQL (`sha256`): the clear token is never stored.
public enum SessionQueries {
    /// $1 session token. Column: user id or NULL.
    public static let sessionUser = SQLStatement("session_user", "SELECT orientation_session_user($1)")

    /// $1 token, $2 user id, $3 lifetime in seconds.
    public static let createSession = SQLStatement(
        "session_create",
        """
        INSERT INTO sessions ("tokenHash", "userId", "expiresAt")
        VALUES (sha256(convert_to($1, 'UTF8')), $2::uuid, now() + make_interval(secs => $3::int))
        """)

    /// $1 token.
    public static let deleteSession = SQLStatement(
        "session_delete", #"DELETE FROM sessions WHERE "tokenHash" = sha256(convert_to($1, 'UTF8'))"#)

    /// Serialises the login requests for one address (case-insensitive) until
    /// COMMIT, so simultaneous requests cannot all read a count under the
    /// limit and all insert. Transaction-scoped: safe behind PgBouncer. $1 address.
    public static let lockAddressForLogin = SQLStatement(
        "login_lock_address",
        LockSpace.loginPerAddress.transactionLock("lower($1::text)"))

    /// What the limits need. $1 address.
    /// Columns: user id or NULL, links sent to the address in the last 15
    /// minutes, links in the last day.
    public static let loginCandidate = SQLStatement(
        "login_candidate",
        """
        SELECT orientation_user_by_email($1),
               (SELECT count(*) FROM login_tokens t
                 WHERE lower(t."email") = lower($1) AND t."createdAt" > now() - interval '15 minutes'),
               (SELECT count(*) FROM login_tokens t
                 WHERE lower(t."email") = lower($1) AND t."createdAt" > now() - interval '1 day')
        """)

    /// $1 token, $2 user id, $3 address, $4 return path, $5 lifetime in seconds.
    public static let createLoginToken = SQLStatement(
        "login_token_create",
        """
        INSERT INTO login_tokens ("tokenHash", "userId", "email", "returnTo", "expiresAt")
        VALUES (sha256(convert_to($1, 'UTF8')), $2::uuid, $3, $4, now() + make_interval(secs => $5::int))
        """)

    /// Whether a token is still usable, consuming nothing (the confirmation
    /// page of a login link). $1 token. Columns: address.
    public static let peekLoginToken = SQLStatement(
        "login_token_peek",
        """
        SELECT "email" FROM login_tokens
         WHERE "tokenHash" = sha256(convert_to($1, 'UTF8')) AND "usedAt" IS NULL AND "expiresAt" > now()
        """)

    /// Consumes a token atomically: a second use, or a use after expiry, finds
    /// nothing. The user's other unused links end with it.
    /// $1 token. Columns: user id, return path.
    public static let consumeLoginToken = SQLStatement(
        "login_token_consume",
        """
        WITH used AS (
            UPDATE login_tokens SET "usedAt" = now()
             WHERE "tokenHash" = sha256(convert_to($1, 'UTF8')) AND "usedAt" IS NULL AND "expiresAt" > now()
            RETURNING "userId", "returnTo", "tokenHash"),
        others AS (
            UPDATE login_tokens t SET "usedAt" = now()
              FROM used
             WHERE t."userId" = used."userId" AND t."usedAt" IS NULL AND t."tokenHash" <> used."tokenHash")
        SELECT "userId", "returnTo" FROM used
        """)

    /// A new login ends the user's other sessions (a stolen or forgotten
    /// session does not outlive it). $1 user id.
    public static let endOtherSessions = SQLStatement(
        "session_end_others", #"DELETE FROM sessions WHERE "userId" = $1::uuid"#)

    /// Expired sessions, and links expired for more than a day (recover).
    /// Column: rows deleted.
    public static let purgeExpired = SQLStatement(
        "session_purge_expired",
        """
        WITH s AS (DELETE FROM sessions WHERE "expiresAt" < now() RETURNING 1),
             t AS (DELETE FROM login_tokens WHERE "expiresAt" < now() - interval '1 day' RETURNING 1)
        SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM t)
        """)
}
