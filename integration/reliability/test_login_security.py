"""The security findings of SPEC §16 that live in the handlers, the database
and the mail sender, each tested against the real stack (docs/RELIABILITY.md,
"Security review"): login answers that take the same time whatever the
address, a stalled mail server that slows nothing, per-address link limits,
distinct advisory-lock key spaces with a lock timeout, the refusal cap,
purging by `recover`, HSTS and the `__Host-` cookie on https.

One stack of this module's own, mail through libcurl to the SMTP sink.
"""
from __future__ import annotations

import re
import secrets
import socket
import statistics
import struct
import subprocess
import threading
import time

import pytest

from integration.reliability.rel_support import REPO, Users, client_at, record, start_stack, stop_stack_when_idle, wait_for
from integration.e2e.support import PG_BIN, mails_to

pytestmark = pytest.mark.time_limit(240)


@pytest.fixture(scope="module")
def stack():
    stack = start_stack(mail="smtp")
    yield stack
    stop_stack_when_idle(stack)


def source(n: int) -> str:
    """A loopback address of this module's own for client n (nginx limits per address)."""
    return f"127.88.{n // 250}.{n % 250 + 1}"


def ask_link(stack, email: str, n: int):
    return client_at(stack, source(n)).post("/auth/login", json={"email": email})


def queued_links(stack, email: str) -> int:
    return int(stack.psql("""SELECT count(*) FROM mail_queue WHERE lower("recipient") = lower(:'v1')""", email))


def settled(stack) -> None:
    """The link is queued after the answer has left: wait until every login
    request made so far has been written (the handler is idle again)."""
    time.sleep(0.3)


def known_addresses(stack, count: int, prefix: str) -> list[str]:
    return [email for email, _ in stack.bulk_subscribers(count, prefix)]


# ---- 3. timing: the answer says nothing about the address -----------------------------------
def test_login_answer_time_is_the_same_for_known_and_unknown_addresses(stack):
    rounds = 100
    known = known_addresses(stack, rounds, "timing")
    unknown = [f"inconnu-{secrets.token_hex(6)}@example.org" for _ in range(rounds)]
    times = {"known": [], "unknown": []}
    order = [("known", k) for k in known] + [("unknown", u) for u in unknown]
    secrets.SystemRandom().shuffle(order)
    for n, (kind, email) in enumerate(order):
        client = client_at(stack, source(n))
        started = time.perf_counter()
        response = client.post("/auth/login", json={"email": email})
        times[kind].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        time.sleep(0.01)  # a sender spawned after a known address's answer has started by now
    median_known, median_unknown = statistics.median(times["known"]), statistics.median(times["unknown"])
    difference = median_known - median_unknown
    record("login_timing", requests=2 * rounds, median_known_ms=round(median_known, 3),
           median_unknown_ms=round(median_unknown, 3), difference_ms=round(difference, 3))
    assert abs(difference) < 1.0, times


# ---- 3. a stalled mail server slows nothing, and recover sends what waited ------------------------------
class Tarpit:
    """Accepts SMTP connections on a port and never says a word: a mail
    server stalled for as long as the test wants."""

    def __init__(self, port: int):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            while True:
                connection, _ = self.listener.accept()
                self.held.append(connection)
        except OSError:
            pass

    def close(self):
        self.listener.close()
        for connection in self.held:
            # A reset, not a close: no TIME_WAIT keeps the port from the sink.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()


def test_a_stalled_mail_server_slows_no_route_and_recover_sends_the_links(stack):
    emails = known_addresses(stack, 8, "stall")
    subscriber = Users(stack, "stall-user").subscriber()
    stack.stop_smtp()
    tarpit = Tarpit(stack.smtp_port)
    try:
        answers = []
        for n, email in enumerate(emails):
            started = time.perf_counter()
            response = ask_link(stack, email, 300 + n)
            answers.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            started = time.perf_counter()
            assert subscriber.eligibility().status_code == 200
            answers.append((time.perf_counter() - started) * 1000)
        wait_for(lambda: len(tarpit.held) >= 1, 10, "a sender to reach the stalled server")
        record("login_with_stalled_smtp", requests=len(answers), max_ms=round(max(answers), 1),
               median_ms=round(statistics.median(answers), 1))
        assert max(answers) < 500, answers
        unsent = int(stack.psql("""SELECT count(*) FROM mail_queue WHERE "sentAt" IS NULL AND "recipient" = ANY(
                                   string_to_array(:'v1', ','))""", ",".join(emails)))
        assert unsent == len(emails)
    finally:
        tarpit.close()
    stack.start_smtp(stack.smtp_port)
    # The senders saw their connection drop and gave the mails back with a
    # delay; time passes (here: by hand), then the one-minute timer runs.
    wait_for(lambda: stack.psql("""SELECT count(*) FROM mail_queue WHERE "claimedAt" IS NOT NULL
                                   AND "sentAt" IS NULL""") == "0", 30, "the stalled senders to give up")
    stack.psql("""UPDATE mail_queue SET "notBefore" = now() WHERE "sentAt" IS NULL""")
    result = stack.generator("recover")
    assert result.returncode == 0, result.stderr[-2000:]
    for email in emails:
        assert len(mails_to(stack, email)) == 1, email
    values = stack.psql("""SELECT count(*) FROM mail_queue WHERE "values" IS NOT NULL AND "sentAt" IS NOT NULL""")
    assert values == "0", "a sent login link is still stored"


# ---- 6. limits per identity: links per address ----------------------------------------------------
def test_one_address_gets_at_most_5_links_per_quarter_hour_and_20_a_day(stack):
    email = known_addresses(stack, 1, "links-per-day")[0]
    answers = set()
    asked = 0

    def ask(times: int):
        nonlocal asked
        for _ in range(times):
            response = ask_link(stack, email, 600 + asked)
            answers.add((response.status_code, response.content))
            asked += 1
        settled(stack)

    def a_quarter_hour_passes():
        stack.psql("""UPDATE login_tokens SET "createdAt" = "createdAt" - interval '16 minutes'
                      WHERE lower("email") = lower(:'v1')""", email)

    ask(7)
    assert queued_links(stack, email) == 5, "the 6th and 7th in one quarter hour must be refused"
    for _ in range(4):
        a_quarter_hour_passes()
        ask(5)
    assert asked == 27 and queued_links(stack, email) == 20, queued_links(stack, email)  # the 21st was refused
    assert len(answers) == 1, answers  # the same answer, sent or not
    wait_for(lambda: len(mails_to(stack, email)) >= 20, 30, "the 20 links")
    time.sleep(0.5)
    assert len(mails_to(stack, email)) == 20


# ---- 4. distinct lock key spaces and a lock timeout --------------------------------------------------
class HeldLock:
    """An advisory lock held by a psql session of its own until closed."""

    def __init__(self, stack, space: int, key_sql: str):
        self.process = subprocess.Popen(
            [str(PG_BIN / "psql"), stack.env["DATABASE_URL"], "-XqAt", "-v", "ON_ERROR_STOP=1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.process.stdin.write(f"SELECT pg_advisory_lock({space}, {key_sql});\nSELECT 'held';\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() in ("", "held")

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def lock_spaces() -> dict[str, int]:
    source_text = (REPO / "Sources" / "BilanCore" / "Database" / "AdvisoryLocks.swift").read_text()
    return {name: int(value) for name, value in re.findall(r"case (\w+) = (\d+)", source_text)}


def test_lock_key_spaces_are_distinct_and_named_in_one_place():
    spaces = lock_spaces()
    assert len(set(spaces.values())) == len(spaces) >= 4, spaces
    # No query of the programs names a key space by number.
    for path in (REPO / "Sources").rglob("*.swift"):
        if path.name == "AdvisoryLocks.swift":
            continue
        assert not re.search(r"advisory_\w*lock\w*\(\s*\d", path.read_text()), path


def test_a_login_is_not_blocked_by_a_generator_lock_under_the_same_hash(stack):
    email = known_addresses(stack, 1, "collision")[0]
    # What a generator would hold if a bilan id hashed like this address.
    held = HeldLock(stack, lock_spaces()["generatorPerBilan"], f"hashtext(lower('{email}'))")
    try:
        started = time.perf_counter()
        assert ask_link(stack, email, 900).status_code == 200
        wait_for(lambda: queued_links(stack, email) == 1, 4, "the link to be queued while the lock is held")
        elapsed = time.perf_counter() - started
    finally:
        held.close()
    assert elapsed < 1.0, elapsed


def test_a_lock_held_elsewhere_times_out_instead_of_holding_the_worker(stack):
    email = known_addresses(stack, 1, "lock-timeout")[0]
    held = HeldLock(stack, lock_spaces()["loginPerAddress"], f"hashtext(lower('{email}'))")
    try:
        started = time.perf_counter()
        assert ask_link(stack, email, 901).status_code == 200  # the answer never waits for the lock
        # After the answer the worker waits on the lock at most lock_timeout
        # (5 s); PostgreSQL then cancels the wait, and the worker is free again.
        postgres_log = stack.root / "log" / "postgres.log"
        before = postgres_log.read_text(errors="replace").count("canceling statement due to lock timeout")
        wait_for(lambda: postgres_log.read_text(errors="replace").count("canceling statement due to lock timeout")
                 > before, 12, "the lock timeout")
        elapsed = time.perf_counter() - started
    finally:
        held.close()
    record("login_lock_timeout", seconds=round(elapsed, 2))
    assert 4.0 <= elapsed < 9.0, elapsed
    assert queued_links(stack, email) == 0
    assert ask_link(stack, email, 902).status_code == 200
    wait_for(lambda: queued_links(stack, email) == 1, 10, "a link once the lock is free")


# ---- 2. the refusal cap ----------------------------------------------------------------------------
def test_three_refused_bilans_in_30_days_stop_new_creates(stack):
    client = Users(stack, "refusals").subscriber()
    user = stack.psql("""SELECT "id" FROM users WHERE "email" = :'v1'""", client.email)
    for days in (2, 10, 40):
        stack.psql("""INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "failureKind", "createdAt")
                      VALUES (:'v1'::uuid, '{}'::jsonb, 'FAILED', 'CONTENT_REFUSED', now() - make_interval(days => :'v2'::int))""",
                   user, str(days))
    assert client.eligibility().json()["eligible"] is True  # two in 30 days: still allowed
    stack.psql("""INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "failureKind", "createdAt")
                  VALUES (:'v1'::uuid, '{}'::jsonb, 'FAILED', 'CONTENT_REFUSED', now() - interval '5 days')""", user)
    body = client.eligibility().json()
    assert body["eligible"] is False and body["reason"] == "TOO_MANY_REFUSALS", body
    response = client.create()
    assert response.status_code == 403 and response.json()["reason"] == "TOO_MANY_REFUSALS", response.text
    # Other failures (a service outage) do not count.
    other = Users(stack, "outages").subscriber()
    other_id = stack.psql("""SELECT "id" FROM users WHERE "email" = :'v1'""", other.email)
    for _ in range(4):
        stack.psql("""INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "failureKind")
                      VALUES (:'v1'::uuid, '{}'::jsonb, 'FAILED', 'ATTEMPTS')""", other_id)
    assert other.eligibility().json()["eligible"] is True


# ---- 7. expired rows are purged by recover -----------------------------------------------------------
def test_recover_purges_expired_sessions_and_links(stack):
    live = Users(stack, "purge-live").subscriber()
    user = stack.psql("""SELECT "id" FROM users WHERE "email" = :'v1'""", live.email)
    stack.psql("""INSERT INTO sessions ("tokenHash", "userId", "expiresAt")
                  VALUES (sha256('expired-session'::bytea), :'v1'::uuid, now() - interval '1 minute')""", user)
    stack.psql("""INSERT INTO login_tokens ("tokenHash", "userId", "email", "expiresAt", "createdAt")
                  VALUES (sha256('old-link'::bytea), :'v1'::uuid, :'v2', now() - interval '2 days',
                          now() - interval '2 days')""", user, live.email)
    result = stack.generator("recover")
    assert result.returncode == 0, result.stderr[-2000:]
    assert stack.psql("""SELECT count(*) FROM sessions WHERE "tokenHash" = sha256('expired-session'::bytea)""") == "0"
    assert stack.psql("""SELECT count(*) FROM login_tokens WHERE "tokenHash" = sha256('old-link'::bytea)""") == "0"
    assert live.eligibility().status_code == 200  # a live session survives


# ---- 8. HSTS and the __Host- cookie on an https site --------------------------------------------------
def run_cgi(stack, program: str, method: str, path: str, query: str = "", body: bytes = b"",
            headers: dict[str, str] | None = None) -> tuple[dict[str, list[str]], bytes]:
    """One request to a handler as a CGI program, with PUBLIC_URL on https."""
    env = dict(stack.env, PUBLIC_URL="https://www.example.org", GATEWAY_INTERFACE="CGI/1.1",
               REQUEST_METHOD=method, SCRIPT_NAME=path, DOCUMENT_URI=path, REQUEST_URI=path + ("?" + query if query else ""),
               QUERY_STRING=query, CONTENT_LENGTH=str(len(body)), SERVER_PROTOCOL="HTTP/1.1")
    env.pop("SESSION_COOKIE", None)
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    if body:
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    result = subprocess.run([str(stack.bin_dir / program)], input=body, env=env, capture_output=True, timeout=20)
    head, _, payload = result.stdout.partition(b"\r\n\r\n")
    parsed: dict[str, list[str]] = {}
    for line in head.decode().split("\r\n"):
        name, _, value = line.partition(":")
        parsed.setdefault(name.strip().lower(), []).append(value.strip())
    return parsed, payload


def test_https_answers_carry_hsts_and_the_host_prefixed_cookie(stack):
    email = known_addresses(stack, 1, "https")[0]
    user = stack.psql("""SELECT "id" FROM users WHERE "email" = :'v1'""", email)
    token = secrets.token_hex(32)
    stack.psql("""INSERT INTO login_tokens ("tokenHash", "userId", "email", "expiresAt")
                  VALUES (sha256(convert_to(:'v1', 'UTF8')), :'v2'::uuid, :'v3', now() + interval '15 minutes')""",
               token, user, email)
    headers, page = run_cgi(stack, "bilan-auth", "GET", "/auth/callback", query="token=" + token)
    assert headers["strict-transport-security"] == ["max-age=31536000"], headers
    assert b"login-confirm-form" in page
    headers, _ = run_cgi(stack, "bilan-auth", "POST", "/auth/callback", body=f"token={token}".encode(),
                         headers={"Origin": "https://www.example.org"})
    assert headers["status"][0].startswith("303"), headers
    cookie = headers["set-cookie"][0]
    assert cookie.startswith("__Host-bilan_session=") and "; Secure" in cookie and "; Path=/" in cookie, cookie
    assert "domain=" not in cookie.lower()
    assert headers["strict-transport-security"] == ["max-age=31536000"]
    # An error answer too, and a JSON route.
    headers, _ = run_cgi(stack, "bilan-status", "GET", "/api/orientation/bilans")
    assert headers["status"][0].startswith("401") and headers["strict-transport-security"], headers
    # On plain http (the stack's own PUBLIC_URL), no HSTS.
    response = Users(stack, "plain").anonymous().get("/api/orientation/bilans")
    assert "Strict-Transport-Security" not in response.headers
