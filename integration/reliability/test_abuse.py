"""Abuse: login mail bombing, magic links, session token strength, and
secrets that must never leak (argv, logs, mails, HTML, JSON, database).

One stack for the module, with mail through the SMTP sink WITH
authentication and a distinctive Gemini API key, so that the last test can
look for both secrets everywhere after everything else has run.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from integration.reliability.rel_support import (SESSION_COOKIE, Client, Stack, Users, all_cmdlines, nginx_limit, record,
                         stop_stack_when_idle, wait_generators_idle)
from integration.e2e.support import assert_error, assert_json, bin_dir, mails_to, text_of, wait_for_mail

LINK = re.compile(r"/auth/callback\?token=([A-Za-z0-9_-]+)")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
GEMINI_KEY = "AIzaSyRELIABILITY-" + secrets.token_hex(12)
SMTP_USER = "bilan-mailer"
SMTP_PASSWORD = "smtpPass-" + secrets.token_hex(12)


class SecretStack(Stack):
    """A Stack whose Gemini key and SMTP password are distinctive, so that a
    leak can be found by grepping. The SMTP sink requires the password."""

    def settings(self, database_url: str) -> dict[str, str]:
        env = super().settings(database_url)
        env["GEMINI_API_KEY"] = GEMINI_KEY
        env["SMTP_URL"] = f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{self.smtp_port}"
        return env

    def spawn(self, name, argv, log_path, env=None):
        if name == "smtp":  # the test double takes its password on its command line
            argv = argv + ["--auth-user", SMTP_USER, "--auth-password", SMTP_PASSWORD]
        super().spawn(name, argv, log_path, env)


@pytest.fixture(scope="module")
def stack():
    root = Path(tempfile.mkdtemp(prefix="bilan-abuse-"))
    os.chmod(root, 0o755)
    # 6 workers a handler (2 by default): concurrency as several workers or
    # hosts give it, so that races between requests show.
    stack = SecretStack(root, bin_dir=bin_dir(), mail="smtp", gemini_latency_ms=300, workers=6,
                        env={"GEMINI_RETRY_BASE_MS": "200", "GEMINI_TIMEOUT": "5", "REQUEUE_BASE_SECONDS": "1"})
    try:
        stack.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    stack.answers_seen = []  # every HTTP answer of the module, for the leak check
    yield stack
    stop_stack_when_idle(stack)


def keep(stack, response):
    stack.answers_seen.append(response)
    return response


def ask_link(stack, address, source_client=None, return_to=None):
    client = source_client or Client(stack)
    body = {"email": address}
    if return_to:
        body["returnTo"] = return_to
    return keep(stack, client.post("/auth/login", json=body))


def links_to(stack, address) -> list[str]:
    return [LINK.search(text_of(m)).group(1) for m in mails_to(stack, address)]


# ---- mail bombing ------------------------------------------------------------------------------------
@pytest.mark.time_limit(120)
def test_login_burst_from_one_address_is_throttled_by_nginx(stack):
    # nginx lets a class's worth through at once from one address (61: a
    # school shares one address, SPEC §16), then 1 a second
    # (nginx/bilan-http.conf); 100 requests in a row are cut after that.
    limit = nginx_limit("bilan_login")
    sent = limit.at_once + 39
    victim = Users(stack, "burst").registered()
    attacker = Client(stack)  # one client address
    started = time.monotonic()
    answers = [ask_link(stack, victim, attacker) for _ in range(sent)]
    seconds = time.monotonic() - started
    codes = Counter(a.status_code for a in answers)
    # The bucket starts empty (at_once pass), then drains `rate` a second
    # while the requests go on; `seconds` can only over-estimate that time.
    assert limit.at_once <= codes[200] <= limit.most_in(seconds), (codes, seconds)
    assert codes[429] == sent - codes[200] and set(codes) <= {200, 429}, codes
    body = assert_error(next(a for a in answers if a.status_code == 429), 429, "too_many_requests")
    assert next(a for a in answers if a.status_code == 429).headers.get("Retry-After")
    time.sleep(1.0)
    mails = len(mails_to(stack, victim))
    assert mails <= 5, f"{mails} mails to one address from one burst"  # the per-address (identity) limit
    record("login_burst_one_client", requests=sent, seconds=round(seconds, 2), passed=codes[200],
           throttled_429=codes[429], mails=mails)


@pytest.mark.time_limit(120)
def test_per_address_limit_holds_across_client_addresses(stack):
    victim = Users(stack, "spread").registered()
    answers = [ask_link(stack, victim) for _ in range(12)]  # each from a fresh address
    assert {a.status_code for a in answers} == {200}, [a.status_code for a in answers]
    assert len({a.content for a in answers}) == 1, "the answer tells the limit apart"
    time.sleep(1.0)
    mails = len(mails_to(stack, victim))
    tokens = int(stack.psql("SELECT count(*) FROM login_tokens WHERE lower(email) = lower(:'v1')", victim))
    assert mails == 5 and tokens == 5, (mails, tokens)
    record("login_limit_across_addresses", requests=12, client_addresses=12, mails=mails, tokens=tokens)


@pytest.mark.time_limit(180)
def test_simultaneous_requests_cannot_exceed_the_per_address_limit(stack):
    """20 requests for one address at the same instant, from 20 client
    addresses, in up to 10 rounds (fresh victim each): the per-address limit
    (5 links in 15 minutes) must hold in every round."""
    rounds = []
    for _ in range(10):
        victim = Users(stack, "race").registered()
        clients = [Client(stack) for _ in range(20)]
        barrier = threading.Barrier(len(clients))
        answers = []

        def go(client):
            barrier.wait(10)
            answers.append(ask_link(stack, victim, client))

        threads = [threading.Thread(target=go, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert {a.status_code for a in answers} == {200}
        time.sleep(1.0)
        tokens = int(stack.psql("SELECT count(*) FROM login_tokens WHERE lower(email) = lower(:'v1')", victim))
        rounds.append((len(mails_to(stack, victim)), tokens))
        if tokens > 5:
            break
    record("login_limit_simultaneous", requests_per_round=20, rounds=len(rounds),
           mails_and_tokens_per_round=rounds, limit=5)
    assert all(m <= 5 and t <= 5 for m, t in rounds), \
        f"20 simultaneous requests for one address sent more than 5 links: (mails, tokens) per round {rounds}"


# ---- magic links --------------------------------------------------------------------------------------
@pytest.mark.time_limit(120)
def test_a_link_used_by_many_at_once_opens_one_session(stack):
    address = Users(stack, "once").registered()
    assert ask_link(stack, address).status_code == 200
    token = LINK.search(text_of(wait_for_mail(stack, address))).group(1)
    sessions_before = int(stack.psql("""SELECT count(*) FROM sessions s JOIN users u ON u.id = s."userId"
                                        WHERE lower(u.email) = lower(:'v1')""", address))
    clients = [Client(stack) for _ in range(10)]
    barrier = threading.Barrier(len(clients))
    answers = []

    def go(client):
        barrier.wait(10)
        answers.append(keep(stack, client.post("/auth/callback", data={"token": token})))

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = Counter(a.status_code for a in answers)
    assert codes == Counter({303: 1, 400: 9}), codes
    assert sum("Set-Cookie" in a.headers for a in answers) == 1
    sessions_after = int(stack.psql("""SELECT count(*) FROM sessions s JOIN users u ON u.id = s."userId"
                                       WHERE lower(u.email) = lower(:'v1')""", address))
    assert sessions_after == sessions_before + 1
    record("magic_link_single_use_concurrent", attempts=10, sessions_opened=1)


@pytest.mark.time_limit(120)
def test_links_live_15_minutes_and_die_on_time(stack):
    users = Users(stack, "lifetime")
    address = users.registered()
    assert ask_link(stack, address).status_code == 200
    token = LINK.search(text_of(wait_for_mail(stack, address))).group(1)
    lifetime = stack.psql("""SELECT extract(epoch FROM "expiresAt" - "createdAt")::int FROM login_tokens
                             WHERE lower(email) = lower(:'v1')""", address)
    assert lifetime == "900", lifetime
    # One second before its end the link works; one second after, it does not.
    stack.psql("""UPDATE login_tokens SET "expiresAt" = now() + interval '2 seconds'
                  WHERE lower(email) = lower(:'v1')""", address)
    late = users.registered()
    assert ask_link(stack, late).status_code == 200
    late_token = LINK.search(text_of(wait_for_mail(stack, late))).group(1)
    stack.psql("""UPDATE login_tokens SET "expiresAt" = now() + interval '1 second'
                  WHERE lower(email) = lower(:'v1')""", late)
    assert keep(stack, Client(stack).post("/auth/callback", data={"token": token})).status_code == 303
    time.sleep(1.5)
    refused = keep(stack, Client(stack).post("/auth/callback", data={"token": late_token}))
    assert refused.status_code == 400 and "Set-Cookie" not in refused.headers
    record("magic_link_lifetime", lifetime_s=int(lifetime), works_before_end=True, refused_after_end=True)


# ---- token strength -----------------------------------------------------------------------------------
@pytest.mark.time_limit(180)
def test_session_and_link_tokens_carry_at_least_128_random_bits(stack):
    users = Users(stack, "entropy")
    sessions, links = [], []
    for _ in range(25):
        address = users.registered()
        assert ask_link(stack, address).status_code == 200
        link = LINK.search(text_of(wait_for_mail(stack, address))).group(1)
        links.append(link)
        answer = keep(stack, Client(stack).post("/auth/callback", data={"token": link}))
        assert answer.status_code == 303
        cookie = answer.headers["Set-Cookie"].split(";")[0]
        name, _, value = cookie.partition("=")
        assert name == SESSION_COOKIE
        sessions.append(value)
    admin_tokens = [stack.admin("session", users.registered()).stdout.strip() for _ in range(10)]
    report = {}
    for kind, tokens in (("session", sessions), ("login link", links), ("bilan-admin session", admin_tokens)):
        assert all(BASE64URL.fullmatch(t) for t in tokens), f"{kind}: charset {tokens[:3]}"
        symbols = Counter("".join(tokens))
        hex_only = set(symbols) <= set("0123456789abcdef")
        alphabet, bits_per_char = (16, 4) if hex_only else (64, 6)
        bits = min(len(t) for t in tokens) * bits_per_char
        assert bits >= 128, f"{kind}: {min(len(t) for t in tokens)} characters of a {alphabet}-symbol alphabet = {bits} bits"
        assert len(set(tokens)) == len(tokens), f"{kind}: repeated tokens"
        # A random source shows every symbol of its alphabet over this many draws.
        draws = sum(symbols.values())
        if draws >= alphabet * 20:
            assert len(symbols) == alphabet, f"{kind}: only {len(symbols)} of {alphabet} symbols in {draws} characters"
        report[kind] = {"length": min(len(t) for t in tokens), "alphabet": alphabet, "bits": bits,
                        "symbols_seen": len(symbols)}
    # Stored as SHA-256 only.
    for token in sessions[:5]:
        assert stack.psql("""SELECT count(*) FROM sessions WHERE "tokenHash" = sha256(convert_to(:'v1', 'UTF8'))""",
                          token) == "1"
    dump = subprocess.run(["/usr/lib/postgresql/15/bin/pg_dump", stack.env["DATABASE_URL"], "--data-only"],
                          capture_output=True, text=True, check=True).stdout
    stored = [t for t in sessions + links + admin_tokens if t in dump]
    assert not stored, f"tokens stored in clear: {stored[:3]}"
    record("token_strength", **{k.replace(" ", "_"): v for k, v in report.items()}, sampled=len(sessions),
           clear_in_database=0)


# ---- no secret anywhere (last: it looks at everything the module did) -----------------------------------
def scan_cmdlines(stack, secrets_: dict[str, str], sink_pid: int) -> list[str]:
    found = []
    for pid, cmdline in all_cmdlines().items():
        if pid == sink_pid or pid == os.getpid():
            continue
        text = cmdline.replace(b"\0", b" ").decode(errors="replace")
        for name, value in secrets_.items():
            if value in text:
                found.append(f"{name} in the command line of pid {pid}: {text[:200]}")
    return found


@pytest.mark.time_limit(180)
def test_no_secret_in_argv_logs_mails_pages_or_json(stack):
    users = Users(stack, "journey")
    address = users.registered()
    stack.admin("payment", "add", address, "--plan", "ANNUAL")
    browser = Client(stack)
    assert ask_link(stack, address, browser, return_to="/orientation/historique.html").status_code == 200
    link_token = LINK.search(text_of(wait_for_mail(stack, address))).group(1)
    landing = keep(stack, browser.post("/auth/callback", data={"token": link_token}))
    assert landing.status_code == 303
    browser.token = landing.headers["Set-Cookie"].split(";")[0].partition("=")[2]
    assert_json(keep(stack, browser.eligibility()), 200)
    created = keep(stack, browser.create())
    bilan_id = assert_json(created, 202)["bilanId"]
    wanted = {"GEMINI_API_KEY": GEMINI_KEY, "SMTP password": SMTP_PASSWORD}
    sink_pid = stack.processes["smtp"].pid

    # While the generator works (300 ms a Gemini call): every process's argv.
    leaks = []
    samples = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        leaks += scan_cmdlines(stack, wanted, sink_pid)
        samples += 1
        body = keep(stack, browser.bilan(bilan_id)).json()
        if body["status"] != "PENDING":
            break
        time.sleep(0.2)
    assert body["status"] == "COMPLETED", body
    wait_generators_idle(stack)
    ready = [m for m in mails_to(stack, address) if "prêt" in str(m["Subject"])]
    assert len(ready) == 1
    for path in ("/orientation/resultat/" + bilan_id, "/api/orientation/bilans", "/orientation/"):
        keep(stack, browser.get(path))
    keep(stack, browser.post("/auth/logout", json={}))
    keep(stack, Client(stack).get("/api/orientation/eligibility"))
    # The secrets were really in use: Gemini got a key, the sink an authenticated sender.
    assert all(call["apiKeyPresent"] for call in stack.gemini("GET", "/_control/requests"))
    envelopes = [json.loads(p.read_text()) for p in stack.mail_dir.glob("*.json")]
    assert envelopes and all(e.get("authenticatedAs") == SMTP_USER for e in envelopes), envelopes[:1]

    # Logs, mails, the sink's records, nginx files, run files: everything under the stack's folder.
    files = [p for p in stack.root.rglob("*") if p.is_file() and not p.is_symlink()
             and "pg" not in p.relative_to(stack.root).parts[:1]]
    for path in files:
        data = path.read_bytes()
        for name, value in wanted.items():
            if value.encode() in data:
                leaks.append(f"{name} in {path.relative_to(stack.root)}")
    # The session token and the link token stay out of the logs too.
    log_files = [p for p in files if p.suffix == ".log" or p.name == "access.log"]
    token_in_logs = {}
    for label, token in (("session token", browser.token), ("login token", link_token)):
        token_in_logs[label] = [str(p.relative_to(stack.root)) for p in log_files if token.encode() in p.read_bytes()]
    assert not token_in_logs["session token"], token_in_logs
    # HTTP answers: bodies and headers of every answer of the module.
    for response in stack.answers_seen:
        blob = response.content + repr(dict(response.headers)).encode()
        for name, value in wanted.items():
            if value.encode() in blob:
                leaks.append(f"{name} in the answer to {response.request.method} {response.request.path_url}")
    # The database (a secret stored by mistake would end up in backups).
    dump = subprocess.run(["/usr/lib/postgresql/15/bin/pg_dump", stack.env["DATABASE_URL"]],
                          capture_output=True, text=True, check=True).stdout
    for name, value in wanted.items():
        if value in dump:
            leaks.append(f"{name} in the database")
    figures = dict(argv_samples=samples, files_scanned=len(files), answers_scanned=len(stack.answers_seen),
                   leaks=len(leaks), login_token_in=token_in_logs["login token"])
    print(f"\n[secrets] {figures}")
    record("no_secret_leak", **figures)
    assert not leaks, "\n".join(leaks)
