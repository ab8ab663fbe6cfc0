"""docs/INTEGRATION.md's worked example, applied as written.

On a scratch database of the session stack's cluster: the NextAuth/Prisma
tables of the doc (`site-tables`), a pre-async "orientation_bilans" as a
Prisma site had it (text "userId" with a foreign key to "User"), then the
doc's blocks `role`, `legacy-upgrade` and `functions`, then `bilan-admin
migrate` as the bilan role. The handlers (the installed tree) run as that
role with SESSION_COOKIE=next-auth.session-token and must authenticate a
NextAuth database-session cookie, read its payments, and mail the NextAuth
user. The database's TimeZone is set far from UTC (Pacific/Auckland), which a
naive `"expires" > now()` would get wrong. Last, the doc's nginx block is put
into the stack's nginx in place of the bilan's /auth/ locations.
"""
import os
import re
import secrets
import signal
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from integration.deploy.deploy_support import (REPO, Client, alive, assert_json, new_database, psql_url, run, start_installed_stack,
                            stop_installed_stack, wait_for, wait_for_mail)
from integration.e2e.generator_support import kill_generators, wait_generators_idle, wait_settled

DOC = REPO / "docs" / "INTEGRATION.md"
COOKIE = "next-auth.session-token"
DATABASE = "nextauth_site"
ROLE = "bilan"


def doc_blocks() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = dict(re.findall(r"<!-- integration-test: ([\w-]+) -->\s*```\w+\n(.*?)```", text, re.S))
    assert {"site-tables", "role", "legacy-upgrade", "functions", "uuid-ids", "nginx"} <= blocks.keys(), blocks.keys()
    return blocks


BLOCKS = doc_blocks()


def utc(delta: timedelta) -> str:
    """A Prisma DateTime value: UTC, as timestamp without time zone."""
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def cuid() -> str:
    return "c" + secrets.token_hex(12)


class Site:
    """The NextAuth side: writes what NextAuth and the billing code would write."""

    def __init__(self, url: str):
        self.url = url

    def sql(self, statement: str, *params: str) -> str:
        return psql_url(self.url, statement, *params)

    def user(self, email: str, payments: list[tuple[str, str]] = ()) -> str:
        user_id = cuid()
        self.sql("""INSERT INTO "User" ("id", "email", "name") VALUES (:'v1', :'v2', 'Élève')""", user_id, email)
        for interval, status in payments:
            self.sql("""INSERT INTO "Payment" ("id", "userId", "stripePaymentIntentId", "amount", "interval", "status")
                        VALUES (:'v1', :'v2', :'v3', 999, :'v4', :'v5')""",
                     cuid(), user_id, "pi_" + secrets.token_hex(8), interval, status)
        return user_id

    def session(self, user_id: str, expires_in: timedelta = timedelta(hours=2)) -> str:
        """A NextAuth database session; returns the cookie's value (a UUID, as NextAuth makes them)."""
        token = str(uuid.uuid4())
        self.sql("""INSERT INTO "Session" ("id", "sessionToken", "userId", "expires") VALUES (:'v1', :'v2', :'v3', :'v4')""",
                 cuid(), token, user_id, utc(expires_in))
        return token


def nextauth_client(stack, token: str | None, cookie: str = COOKIE) -> Client:
    client = Client(stack)
    if token is not None:
        client.http.headers["Cookie"] = f"{cookie}={token}"
    return client


@pytest.fixture(scope="module")
def site(installed, installed_stack):
    """The site's database, prepared as the doc says, and a stack of handlers on it."""
    admin = installed_stack
    admin.psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin.psql(f'DROP ROLE IF EXISTS "{ROLE}"')
    admin.psql(f'CREATE ROLE "{ROLE}" LOGIN')
    admin.psql(f'CREATE DATABASE "{DATABASE}"')
    admin.psql(f"""ALTER DATABASE "{DATABASE}" SET timezone TO 'Pacific/Auckland'""")
    socket = admin.pg_socket_dir
    owner = Site(f"postgresql:///{DATABASE}?host={socket}&user=postgres")

    owner.sql(BLOCKS["site-tables"])
    # The pre-async table as the site's Prisma schema created it.
    owner.sql("""
        CREATE TABLE "orientation_bilans" (
            "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            "userId" TEXT NOT NULL,
            "questionnaire" jsonb NOT NULL,
            "analyse" jsonb NOT NULL,
            "resultat" text NOT NULL,
            "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
            "updatedAt" TIMESTAMP(3) NOT NULL
        );
        ALTER TABLE "orientation_bilans" ADD CONSTRAINT "orientation_bilans_userId_fkey" FOREIGN KEY ("userId")
            REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;""")
    legacy_user = owner.user("ancienne@example.org", [("YEAR", "SUCCEEDED")])
    legacy_bilan = owner.sql(
        """INSERT INTO "orientation_bilans" ("userId", "questionnaire", "analyse", "resultat", "createdAt", "updatedAt")
           VALUES (:'v1', '{"niveau":"TERMINALE"}', '{}', '## Synthèse de votre profil', :'v2', :'v2') RETURNING "id" """,
        legacy_user, utc(timedelta(days=-100))).splitlines()[0]

    owner.sql(BLOCKS["role"])
    owner.sql(BLOCKS["legacy-upgrade"])
    owner.sql(BLOCKS["functions"])

    stack = start_installed_stack(
        installed, database_url=f"postgresql:///{DATABASE}?host={socket}&user={ROLE}",
        env={"SESSION_COOKIE": COOKIE})
    yield {"stack": stack, "owner": owner, "legacy_user": legacy_user, "legacy_bilan": legacy_bilan}
    try:
        wait_generators_idle(stack, timeout=60)
    except TimeoutError:
        kill_generators(stack)
    stop_installed_stack(stack)


# ---- the database side -------------------------------------------------------------------
def test_functions_are_the_sites_and_migrate_kept_them(site):
    owner = site["owner"]
    definition = owner.sql("SELECT pg_get_functiondef('orientation_session_user(text)'::regprocedure)")
    assert '"Session"' in definition
    assert owner.sql("""SELECT count(*) FROM schema_migrations""") == str(len(list((REPO / "migrations").glob("*.sql"))))
    # The legacy table was upgraded in place, owned by the bilan's role.
    assert owner.sql("""SELECT "status" FROM "orientation_bilans" WHERE "id" = :'v1'::uuid""",
                     site["legacy_bilan"]) == "COMPLETED"
    assert owner.sql("""SELECT tableowner FROM pg_tables WHERE tablename = 'orientation_bilans'""") == ROLE


def test_bilan_role_reads_only_the_granted_columns(site):
    role = Site(site["stack"].env["DATABASE_URL"])
    with pytest.raises(RuntimeError, match="permission denied"):
        role.sql("""SELECT "image" FROM "User" LIMIT 1""")
    with pytest.raises(RuntimeError, match="permission denied"):
        role.sql("""SELECT * FROM "Session" LIMIT 1""")
    with pytest.raises(RuntimeError, match="permission denied"):
        role.sql("""SELECT "amount" FROM "Payment" LIMIT 1""")


def test_session_lookup_uses_the_index(site):
    owner = site["owner"]
    owner.sql('ANALYZE "User"')
    plan = owner.sql("""SET enable_seqscan = off; EXPLAIN SELECT orientation_user_email(md5('x')::uuid)""")
    inline = owner.sql("""SET enable_seqscan = off;
                          EXPLAIN SELECT u."email" FROM "User" u WHERE md5(u."id")::uuid = md5('x')::uuid""")
    assert "User_orientation_uuid_idx" in inline, inline
    assert plan  # the function itself plans (SQL functions are inlined or run as one query)


# ---- the handlers, through nginx -------------------------------------------------------------
@pytest.mark.parametrize("payments, expected", [
    ([("YEAR", "SUCCEEDED")], {"eligible": True, "plan": "ANNUAL"}),
    ([("MONTH", "SUCCEEDED")], {"eligible": True, "plan": "MONTHLY"}),
    ([("MONTH", "FAILED"), ("YEAR", "SUCCEEDED")], {"eligible": True, "plan": "ANNUAL"}),
    ([("YEAR", "REFUNDED")], {"eligible": False, "reason": "NO_SUBSCRIPTION"}),
    ([("MONTH", "PENDING")], {"eligible": False, "reason": "NO_SUBSCRIPTION"}),
    ([], {"eligible": False, "reason": "NO_SUBSCRIPTION"}),
])
def test_nextauth_session_and_payments(site, payments, expected):
    owner, stack = site["owner"], site["stack"]
    user = owner.user(f"eleve-{secrets.token_hex(4)}@example.org", payments)
    token = owner.session(user)  # expires in 2 h (UTC): in Auckland time, "expired" for a naive comparison
    body = assert_json(nextauth_client(stack, token).eligibility(), 200)
    assert body == expected


def test_expired_deleted_and_foreign_sessions_are_401(site):
    owner, stack = site["owner"], site["stack"]
    user = owner.user(f"expired-{secrets.token_hex(4)}@example.org", [("YEAR", "SUCCEEDED")])
    expired = owner.session(user, expires_in=timedelta(minutes=-5))
    assert_json(nextauth_client(stack, expired).eligibility(), 401)
    signed_out = owner.session(user)
    owner.sql("""DELETE FROM "Session" WHERE "sessionToken" = :'v1'""", signed_out)  # NextAuth's signout
    assert_json(nextauth_client(stack, signed_out).eligibility(), 401)
    # The right token under another cookie name is not a session.
    live = owner.session(user)
    assert_json(nextauth_client(stack, live, cookie="bilan_session").eligibility(), 401)
    assert_json(nextauth_client(stack, live).eligibility(), 200)


def test_legacy_bilan_belongs_to_its_nextauth_user(site):
    owner, stack = site["owner"], site["stack"]
    client = nextauth_client(stack, owner.session(site["legacy_user"]))
    body = assert_json(client.eligibility(), 200)
    assert body["eligible"] is False and body["reason"] == "ALREADY_USED", body
    assert body["lastBilanId"] == site["legacy_bilan"], body
    history = assert_json(client.history(), 200)
    assert site["legacy_bilan"] in str(history), history


def test_nextauth_user_creates_a_bilan_and_gets_the_mail(site):
    owner, stack = site["owner"], site["stack"]
    email = f"Eleve-{secrets.token_hex(4)}@example.org"
    client = nextauth_client(stack, owner.session(owner.user(email, [("YEAR", "SUCCEEDED")])))
    bilan_id = client.create_ok()
    assert wait_settled(client, bilan_id, timeout=90)["status"] == "COMPLETED"
    wait_for_mail(stack, email, timeout=30)
    page = client.get(f"/orientation/resultat/{bilan_id}")
    assert page.status_code == 200, page.text[:300]
    stored = owner.sql("""SELECT "userId" FROM "orientation_bilans" WHERE "id" = :'v1'::uuid""", bilan_id)
    assert stored == owner.sql("""SELECT md5("id")::uuid FROM "User" WHERE "email" = :'v1'""", email)
    # bilan-admin list --user goes through orientation_user_email.
    listed = stack.admin("list", "--user", email.lower(), "--json").stdout
    assert bilan_id in listed


def test_uuid_ids_variant(site):
    """The doc's variant for sites whose ids are uuids, on tables of that shape."""
    owner = site["owner"]
    owner.sql("""CREATE SCHEMA uuidsite;
                 CREATE TABLE uuidsite."Session" ("sessionToken" text UNIQUE NOT NULL, "userId" uuid NOT NULL,
                                                  "expires" timestamp(3) NOT NULL);""")
    user, token = str(uuid.uuid4()), str(uuid.uuid4())
    owner.sql("""INSERT INTO uuidsite."Session" VALUES (:'v1', :'v2'::uuid, :'v3')""", token, user, utc(timedelta(hours=1)))
    # In a transaction that is rolled back: the site's real function stays.
    variant = BLOCKS["uuid-ids"].replace("FUNCTION orientation_session_user", "FUNCTION uuidsite.orientation_session_user")
    result = owner.sql(f"""BEGIN; SET LOCAL search_path = uuidsite, public;
                          {variant}
                          SELECT uuidsite.orientation_session_user(:'v1'); ROLLBACK;""", token)
    assert result.splitlines()[-1] == user


# ---- login goes to the site: the doc's nginx block ------------------------------------------------
def remove_location(config: str, head: str) -> str:
    start = config.index(head)
    depth, position = 0, config.index("{", start)
    while True:
        char = config[position]
        depth += char == "{"
        depth -= char == "}"
        position += 1
        if depth == 0:
            return config[:start] + config[position:]


def test_nginx_block_sends_login_to_nextauth(site):
    stack = site["stack"]
    unauthenticated = nextauth_client(stack, None)
    some_id = str(uuid.uuid4())
    response = unauthenticated.get(f"/orientation/resultat/{some_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login.html?returnTo=/orientation/resultat/{some_id}"

    path = stack.root / "nginx" / "bilan-locations.conf"
    config = path.read_text()
    for head in ("location = /auth/login {", "location = /auth/callback {", "location = /auth/logout {",
                 "location ^~ /auth/ {"):
        config = remove_location(config, head)
    path.write_text(config + "\n" + BLOCKS["nginx"])
    stack.processes["nginx"].send_signal(signal.SIGHUP)  # nginx -s reload

    login = wait_for(lambda: (lambda r: r if r.status_code == 302 else None)(
        unauthenticated.get(response.headers["Location"])), 10, "nginx's reload")
    assert login.headers["Location"].endswith(f"/api/auth/signin?callbackUrl=/orientation/resultat/{some_id}")
    static_link = unauthenticated.get("/auth/login.html?returnTo=/orientation/")
    assert static_link.headers["Location"].endswith("/api/auth/signin?callbackUrl=/orientation/")
    # The bilan's own login can no longer set a cookie over NextAuth's.
    for method, route in (("POST", "/auth/login"), ("GET", "/auth/callback?token=x"), ("POST", "/auth/logout")):
        answer = unauthenticated.request(method, route, data={"email": "x@example.org"})
        assert answer.status_code == 404 and "set-cookie" not in {k.lower() for k in answer.headers}, (route, answer.status_code)


def test_secure_cookie_name_is_accepted(site, installed):
    """On https the cookie is __Secure-next-auth.session-token (restarts the eligibility handler)."""
    owner, stack = site["owner"], site["stack"]
    secure = "__Secure-next-auth.session-token"
    stack.env["SESSION_COOKIE"] = secure
    supervisor = stack.supervisor_pids.pop("eligibility")
    os.kill(supervisor, signal.SIGTERM)
    wait_for(lambda: not alive(supervisor), 10, "the old handler to stop")
    stack.start_handler("eligibility", "bilan-eligibility")
    token = owner.session(owner.user(f"secure-{secrets.token_hex(4)}@example.org", [("MONTH", "SUCCEEDED")]))
    assert assert_json(nextauth_client(stack, token, cookie=secure).eligibility(), 200)["plan"] == "MONTHLY"
    assert_json(nextauth_client(stack, token).eligibility(), 401)


def test_migrate_on_a_text_user_id_table_fails_clearly_or_works(installed, installed_stack):
    url = new_database(installed_stack, "cuid_legacy")
    psql_url(url, """
        CREATE TABLE "orientation_bilans" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid(), "userId" TEXT NOT NULL,
            "questionnaire" jsonb NOT NULL, "analyse" jsonb NOT NULL, "resultat" text NOT NULL,
            "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL);
        INSERT INTO "orientation_bilans" ("userId", "questionnaire", "analyse", "resultat", "updatedAt")
            VALUES ('ckx0legacy0000000000000', '{}', '{}', '## Synthèse', now());""")
    env = dict(installed_stack.env, DATABASE_URL=url)
    migrate = run([installed.bin / "bilan-admin", "migrate"], env=env)
    if migrate.returncode != 0:
        assert "userId" in migrate.stderr, migrate.stderr
        return
    email = "cuid@example.org"
    for argv in (["user", "add", email], ["payment", "add", email, "--plan", "ANNUAL"]):
        assert run([installed.bin / "bilan-admin", *argv], env=env).returncode == 0
    token = run([installed.bin / "bilan-admin", "session", email], env=env).stdout.strip()
    cgi = run([installed.bin / "bilan-eligibility"], env=dict(
        env, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET", REQUEST_URI="/api/orientation/eligibility",
        DOCUMENT_URI="/api/orientation/eligibility", QUERY_STRING="", SERVER_PROTOCOL="HTTP/1.1",
        HTTP_COOKIE=f"bilan_session={token}"))
    assert '"eligible":true' in cgi.stdout, cgi.stdout[:300]
    listing = run([installed.bin / "bilan-admin", "list"], env=env)
    assert listing.returncode == 0, listing.stderr
