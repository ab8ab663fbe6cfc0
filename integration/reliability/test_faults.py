"""Faults of real components while the service works: PostgreSQL stopped and
restarted under load, a FastCGI worker killed while it serves, the mail
folder not writable, a prompt template missing.

One stack for the module, with the real generator against the fake Gemini
server, mail to .eml files, short backoffs and an immediate re-queue. Its
GENERATOR_PATH is a wrapper that starts the generator without the
CAP_DAC_OVERRIDE capability: the suite runs as root, which ignores file
modes, so without it "chmod 0500 the mail folder" would not stop a
generator from writing there. The wrapper changes nothing else (the
generator's own files belong to root, their owner).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from integration.reliability.rel_support import (REPO, Client, Users, alive, bulk_subscribers, log_tail, record,
                         recover, start_stack, stop_stack_when_idle, wait_for, wait_generators_idle)
from integration.e2e.support import assert_error, assert_json, bin_dir, mails_to

FAST_ENV = {
    "GEMINI_RETRY_BASE_MS": "200",
    "GEMINI_TIMEOUT": "3",
    "GEMINI_MAX_TRIES": "3",
    # A real (short) re-queue delay: with 0, a bilan that fails for a reason
    # that lasts (a missing template) is retried in a tight loop and burns all
    # its attempts in a fraction of a second, before anyone can fix anything.
    "REQUEUE_BASE_SECONDS": "1",
    "MAX_ATTEMPTS": "5",
    "MAX_GENERATORS": "4",
}


@pytest.fixture(scope="module")
def fault_stack():
    extra = Path(tempfile.mkdtemp(prefix="bilan-faults-"))
    os.chmod(extra, 0o755)
    templates = extra / "templates"
    shutil.copytree(REPO / "templates", templates)
    # The generator's wrapper; when the flag file `use-sendmail` exists, the
    # generator mails through `sendmail-then-stop-db` instead of the folder.
    wrapper = extra / "generator-without-dac-override"
    wrapper.write_text("#!/bin/sh\n"
                       f"if [ -e {extra}/use-sendmail ]; then\n"
                       f"  export MAIL_TRANSPORT=sendmail SENDMAIL_PATH={extra}/sendmail-then-stop-db\n"
                       "fi\n"
                       "exec setpriv --inh-caps=-dac_override,-dac_read_search "
                       "--bounding-set=-dac_override,-dac_read_search -- "
                       f"{bin_dir() / 'bilan-generator'} \"$@\"\n")
    wrapper.chmod(0o755)
    stack = start_stack(mail="file", gemini_latency_ms=100,
                        env=dict(FAST_ENV, TEMPLATES_DIR=str(templates), GENERATOR_PATH=str(wrapper)))
    # A "sendmail" that delivers into the mail folder (an .eml, like the file
    # transport), then stops PostgreSQL before answering: the mail is out, and
    # the generator cannot record it.
    sendmail = extra / "sendmail-then-stop-db"
    sendmail.write_text("#!/bin/sh\n"
                        f"f={stack.mail_dir}/sendmail-$(date +%s%N).eml\n"
                        "cat > \"$f.part\" && mv \"$f.part\" \"$f\" || exit 75\n"
                        f"pid=$(cat {extra}/postmaster.pid)\n"
                        "kill -INT \"$pid\"\n"
                        "while kill -0 \"$pid\" 2>/dev/null; do sleep 0.05; done\n"
                        "exit 0\n")
    sendmail.chmod(0o755)
    stack.templates = templates
    stack.wrapper = wrapper
    stack.extra = extra
    yield stack
    stop_stack_when_idle(stack)
    shutil.rmtree(extra, ignore_errors=True)


def reset_gemini(stack, latency_ms: int = 100):
    stack.gemini("POST", "/_control/reset", {})
    stack.gemini("POST", "/_control/latency", {"ms": latency_ms})


def bilan_row(stack, bilan_id: str) -> dict:
    return json.loads(stack.psql("""SELECT row_to_json(b) FROM "orientation_bilans" b WHERE b."id" = :'v1'::uuid""",
                                 bilan_id))


def statuses(stack) -> Counter:
    text = stack.psql("""SELECT "status", count(*) FROM "orientation_bilans" GROUP BY 1""")
    return Counter({line.split("|")[0]: int(line.split("|")[1]) for line in text.splitlines() if line})


def drain(stack, runs: int = 15) -> int:
    """Runs `recover` (the one-minute timer, here every second) until nothing
    is PENDING; returns the runs."""
    wait_generators_idle(stack, timeout=120)
    done = 0
    while statuses(stack).get("PENDING", 0) and done < runs:
        if done:
            time.sleep(1)
        recover(stack)
        done += 1
    return done


# ---- 1. PostgreSQL stopped and restarted under load ----------------------------------------------
@pytest.mark.time_limit(300)
def test_postgres_outage_under_load_loses_and_duplicates_nothing(fault_stack):
    stack = fault_stack
    reset_gemini(stack, 300)  # a generation takes ~1 s: several are cut by the outage
    users = Users(stack, "outage")
    watcher = users.subscriber()
    watched = watcher.create_ok()
    candidates = bulk_subscribers(stack, 60, "outage-create")
    pids_before = {name: list(p) for name, p in stack.handler_pids.items()}

    events = []  # (route, started, ended, status, body, user email)
    lock = threading.Lock()
    stop = threading.Event()

    def note(route, started, response, email=None):
        with lock:
            events.append((route, started, time.monotonic(), response.status_code if response is not None else None,
                           response, email))

    def poll(route, call):
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = call()
            except Exception as error:  # a timeout or a reset: recorded as a failure
                response = None
                print(f"{route}: {error!r}")
            note(route, started, response)
            time.sleep(0.01)

    creating = threading.Event()
    creating.set()

    def creator():
        # Creates arrive before and during the outage, none after it: no fresh
        # generator is spawned after the restart to drain the queue by chance,
        # so what the outage interrupted is left to `recover`.
        for subscriber in candidates:
            if stop.is_set() or not creating.is_set():
                break
            browser = Client(stack, subscriber.token, subscriber.email)  # own address: no 429
            started = time.monotonic()
            try:
                response = browser.create()
            except Exception as error:
                response = None
                print(f"create: {error!r}")
            note("create", started, response, subscriber.email)
            time.sleep(0.15)

    threads = [threading.Thread(target=poll, args=(f"status-{n}", lambda c=Client(stack, watcher.token): c.bilan(watched)))
               for n in range(3)]
    threads.append(threading.Thread(target=poll, args=("eligibility", Client(stack, watcher.token).eligibility)))
    threads.append(threading.Thread(target=poll, args=("history", Client(stack, watcher.token).history)))
    threads.append(threading.Thread(target=creator))
    for thread in threads:
        thread.start()
    try:
        time.sleep(2.5)
        down_begin = time.monotonic()
        stack.stop_postgres()
        down_end = time.monotonic()
        time.sleep(3)
        creating.clear()
        up_begin = time.monotonic()
        stack.start_postgres_server()
        up_end = time.monotonic()
        time.sleep(4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    # Every answer: 2xx, or 503 JSON `unavailable` while the database was away.
    grace = 3.0  # each worker reconnects on its next request after the restart
    bad, outage_errors, first_ok_after = [], Counter(), {}
    for route, started, ended, status, response, email in events:
        if status is not None and 200 <= status < 300:
            if started > up_end:
                first_ok_after.setdefault(route.split("-")[0], started - up_end)
            continue
        overlapped = ended >= down_begin and started <= up_end + grace
        if status == 503 and overlapped:
            try:
                assert_error(response, 503, "unavailable")
            except AssertionError as error:
                bad.append(f"{route}: 503 not the JSON error: {error}")
            outage_errors[route.split("-")[0]] += 1
        else:
            bad.append(f"{route} at {started - down_begin:+.2f}s (outage {down_end - down_begin:.2f}s to "
                       f"{up_end - down_begin:.2f}s): {status} {response.text[:200] if response is not None else ''}")
    assert not bad, "\n".join(bad[:20])
    assert outage_errors, "no request met the outage: the test proved nothing"

    # The same processes serve again, without a restart.
    assert stack.handler_pids == pids_before
    assert all(alive(pid) for p in pids_before.values() for pid in p)
    browser = Client(stack, watcher.token, watcher.email)
    for _ in range(6):  # enough to reach both workers of each handler
        assert_json(browser.eligibility(), 200)
        assert_json(browser.bilan(watched), 200)
        assert_json(browser.history(), 200)
        assert browser.get(f"/orientation/resultat/{watched}").status_code == 200
        assert_error(browser.create(), 403, "not_eligible")
        assert browser.get("/auth/callback?token=" + "A" * 43).status_code == 400

    # No bilan lost or duplicated; every one completes after recovery.
    creates = [(email, response) for route, _, _, status, response, email in events if route == "create"]
    accepted = {email: response.json()["bilanId"] for email, response in creates if response.status_code == 202}
    refused = [email for email, response in creates if response.status_code != 202]
    wait_generators_idle(stack, timeout=120)
    pending_before_recover = statuses(stack).get("PENDING", 0)
    interrupted = int(stack.psql("""SELECT count(*) FROM "orientation_bilans" WHERE "attempts" > 1"""))
    recover_runs = drain(stack)
    rows = {}
    for email in accepted.keys() | set(refused):
        text = stack.psql("""SELECT b."id", b."status" FROM "orientation_bilans" b JOIN users u ON u.id = b."userId"
                             WHERE lower(u.email) = lower(:'v1')""", email)
        rows[email] = [line.split("|") for line in text.splitlines() if line]
    lost_or_doubled = {e: rows[e] for e, bid in accepted.items() if [r[0] for r in rows[e]] != [bid]}
    assert not lost_or_doubled, f"accepted creates without exactly their one row: {lost_or_doubled}"
    phantoms = {e: rows[e] for e in refused if rows[e]}
    not_completed = {e: r for e, r in rows.items() for _, status in r if status != "COMPLETED"}
    assert not not_completed, f"not COMPLETED after {recover_runs} recover runs: {not_completed}" + \
        log_tail(stack.generator_log, grep="error")
    wait_generators_idle(stack)
    mail_counts = {e: len(mails_to(stack, e)) for e in accepted}
    unmailed = [e for e, n in mail_counts.items() if n == 0]
    assert not unmailed, f"completed bilans never mailed: {unmailed}"
    # A second mail is only excused when the outage fell between sending the
    # first and recording it (test_mail_sent_then_database_lost_is_not_sent_twice
    # reproduces that window on purpose and fails on it).
    doubled = {e: n for e, n in mail_counts.items() if n > 1}
    for e in doubled:
        lines = log_tail(stack.generator_log, accepted[e], last=200)
        assert "bilan completed" in lines and "generator stopped on an error" in lines.split("bilan completed")[-1], \
            f"{e} got {doubled[e]} mails outside the send/record window:\n{lines}"

    after_up = {route: round(delay, 2) for route, delay in first_ok_after.items()}
    figures = dict(requests=len(events), outage_s=round(up_end - down_begin, 1), errors_in_outage=dict(outage_errors),
                   creates_accepted=len(accepted), creates_refused_503=len(refused), phantom_rows=len(phantoms),
                   mails=sum(mail_counts.values()), interrupted_generations=interrupted, pending_before_recover=pending_before_recover,
                   recover_runs=recover_runs, duplicate_mails_in_window=len(doubled), first_success_after_restart_s=after_up, lost=0, duplicated=0)
    print(f"\n[postgres outage] {figures}")
    record("postgres_outage", **figures)


# ---- 2. Mail folder not writable -----------------------------------------------------------------
@pytest.mark.time_limit(180)
def test_mail_folder_not_writable_keeps_completed_and_recover_mails_once(fault_stack):
    stack = fault_stack
    reset_gemini(stack, 0)
    wait_generators_idle(stack)
    client = Users(stack, "maildir").subscriber()
    os.chmod(stack.mail_dir, 0o500)
    try:
        bilan_id = client.create_ok()
        wait_for(lambda: bilan_row(stack, bilan_id)["status"] != "PENDING", 30, "the bilan to settle")
        wait_generators_idle(stack)
        row = bilan_row(stack, bilan_id)
        assert row["status"] == "COMPLETED", row
        assert row["emailSentAt"] is None, row
        assert mails_to(stack, client.email) == []
        assert any("notification not sent" in line and bilan_id in line
                   for line in stack.generator_log.read_text().splitlines()), log_tail(stack.generator_log, bilan_id)
        # A recovery run while the folder is still read-only: still COMPLETED, still owed.
        run = subprocess.run([str(stack.wrapper), "recover"], env=stack.env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        row = bilan_row(stack, bilan_id)
        assert row["status"] == "COMPLETED" and row["emailSentAt"] is None, row
        attempts_while_broken = row["emailAttempts"]
    finally:
        os.chmod(stack.mail_dir, 0o755)
    recover(stack)
    assert len(mails_to(stack, client.email)) == 1
    assert bilan_row(stack, bilan_id)["emailSentAt"]
    recover(stack)
    assert len(mails_to(stack, client.email)) == 1, "a second recover mailed again"
    record("mail_folder_unwritable", status="COMPLETED", mail_attempts_while_broken=attempts_while_broken,
           mails_after_fix=1, lost=0)


# ---- 2b. The database lost between sending the mail and recording it -----------------------------
@pytest.mark.time_limit(180)
def test_mail_sent_then_database_lost_is_not_sent_twice(fault_stack):
    """The notification leaves, then PostgreSQL stops before "emailSentAt" is
    written. SPEC §8: "each bilan is mailed once". Recovery cannot know the
    mail left, unless the product records the attempt in a way that survives."""
    stack = fault_stack
    reset_gemini(stack, 0)
    wait_generators_idle(stack)
    client = Users(stack, "mail-then-db").subscriber()
    (stack.extra / "postmaster.pid").write_text(
        (stack.pg_root / "data" / "postmaster.pid").read_text().splitlines()[0] + "\n")
    (stack.extra / "use-sendmail").touch()
    try:
        bilan_id = client.create_ok()
        wait_for(lambda: mails_to(stack, client.email), 30, "the notification")
        wait_generators_idle(stack, timeout=30)
    finally:
        (stack.extra / "use-sendmail").unlink()
        stack.stop_postgres()  # reap the postmaster the fake sendmail stopped
        stack.start_postgres_server()
    wait_for(lambda: Client(stack, client.token).eligibility().status_code == 200, 15, "the handlers to reconnect")
    row = bilan_row(stack, bilan_id)
    assert row["status"] == "COMPLETED", row
    assert len(mails_to(stack, client.email)) == 1
    recover(stack)
    recover(stack)
    row = bilan_row(stack, bilan_id)
    mails = len(mails_to(stack, client.email))
    record("mail_sent_then_db_lost", mails=mails, email_attempts=row["emailAttempts"],
           email_sent_at=bool(row["emailSentAt"]))
    assert mails == 1, (f"the notification was sent {mails} times (emailAttempts={row['emailAttempts']}, "
                        f"emailClaimedAt={row['emailClaimedAt']}, emailSentAt={row['emailSentAt']}):\n"
                        + log_tail(stack.generator_log, bilan_id))


# ---- 3. A prompt template missing -------------------------------------------------------------------
@pytest.mark.time_limit(180)
def test_missing_template_requeues_with_a_clear_line_then_completes(fault_stack):
    stack = fault_stack
    reset_gemini(stack, 0)
    wait_generators_idle(stack)
    missing = stack.templates / "prompts" / "3-terrain.txt"
    saved = missing.read_bytes()
    client = Users(stack, "template").subscriber()
    missing.unlink()
    try:
        started = time.monotonic()
        bilan_id = client.create_ok()
        wait_for(lambda: f'bilan={bilan_id}' in stack.generator_log.read_text() or bilan_id in
                 stack.generator_log.read_text(), 15, "the generator to start")
        wait_generators_idle(stack, timeout=30)  # never a hang
        settled_in = time.monotonic() - started
        lines = [line for line in stack.generator_log.read_text().splitlines() if bilan_id in line]
        clear = [line for line in lines if "3-terrain" in line]
        assert clear, "no log line names the missing template:\n" + "\n".join(lines)
        row = bilan_row(stack, bilan_id)
        assert row["status"] in ("PENDING", "FAILED"), row
        state = row["status"]
        assert row["progressStep"] >= 2, row  # passes 1 and 2 done and kept
        # A recovery run while the file is still missing: still not COMPLETED, no hang.
        recover(stack)
        assert bilan_row(stack, bilan_id)["status"] != "COMPLETED"
    finally:
        missing.write_bytes(saved)
    runs = drain(stack)
    row = bilan_row(stack, bilan_id)
    assert row["status"] == "COMPLETED", f"{row['status']} after {runs} recover runs after the fix: {row}"
    kinds = [entry["kind"] for entry in stack.gemini("GET", "/_control/requests")]
    assert kinds.count("json") == 1, f"pass 1 redone: {kinds}"
    wait_generators_idle(stack)
    assert len(mails_to(stack, client.email)) == 1
    print(f"\n[missing template] state while missing: {state}; log line: {clear[0]}")
    record("missing_template", state_while_missing=state, settled_s=round(settled_in, 1),
           log_line=clear[0][:300], completed_after_fix=True, recover_runs=runs)


# ---- 4. A FastCGI worker killed while it serves ------------------------------------------------------
def blocked_backends(stack) -> int:
    return int(stack.psql("""SELECT count(*) FROM pg_stat_activity
                             WHERE wait_event_type = 'Lock' AND application_name <> 'psql'"""))


def restored(stack, short: str, victim: int, started: float) -> float:
    """Waits until the supervisor (multiwatch) has replaced `victim`; returns the delay."""
    wait_for(lambda: len(stack.handler_pids[short]) == stack.workers and victim not in stack.handler_pids[short],
             15, f"the {short} worker to be replaced")
    return time.monotonic() - started


@pytest.mark.time_limit(120)
def test_worker_killed_while_serving_fails_only_its_request(fault_stack):
    stack = fault_stack
    wait_generators_idle(stack)
    client = Users(stack, "killworker").subscriber()
    bilan_id = client.create_ok()
    wait_generators_idle(stack)
    status_pids = list(stack.handler_pids["status"])
    assert len(status_pids) == 2, status_pids

    # Hold the sessions table so that both status workers are caught mid-request.
    holder = subprocess.Popen(["/usr/lib/postgresql/15/bin/psql", stack.env["DATABASE_URL"], "-XqtA"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    holder.stdin.write("BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "locked"
    results = [None, None]

    def ask(n):
        try:
            results[n] = Client(stack, client.token).bilan(bilan_id, timeout=30)
        except Exception as error:
            results[n] = error

    askers = [threading.Thread(target=ask, args=(n,)) for n in range(2)]
    victim = status_pids[0]
    try:
        for thread in askers:
            thread.start()
        wait_for(lambda: blocked_backends(stack) >= 2, 10, "both status workers to wait on the lock")
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: not alive(victim), 5, "the worker to die")
    finally:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(10)
    for thread in askers:
        thread.join(30)
    codes = sorted(r.status_code if hasattr(r, "status_code") else repr(r) for r in results)
    assert codes == [200, 503], [(r.status_code, r.text) if hasattr(r, "status_code") else r for r in results]
    failed = next(r for r in results if r.status_code == 503)
    assert_error(failed, 503, "unavailable")  # nginx's 502, as the snippet's JSON 503
    assert failed.headers.get("Retry-After")
    # The process manager (multiwatch in the local stack) puts a new worker in its place.
    restore_s = restored(stack, "status", victim, killed_at)
    assert alive(status_pids[1])

    # Both workers (the survivor and the new one) serve under load.
    counts = Counter()

    def load():
        browser = Client(stack, client.token)
        for _ in range(50):
            counts[browser.bilan(bilan_id).status_code] += 1

    loaders = [threading.Thread(target=load) for _ in range(6)]
    for thread in loaders:
        thread.start()
    for thread in loaders:
        thread.join(60)
    assert counts == Counter({200: 300}), counts

    # The same under a running load, on another handler: only the request in flight may fail.
    eligibility_pids = list(stack.handler_pids["eligibility"])
    outcomes = Counter()
    stop = threading.Event()

    def hammer():
        browser = Client(stack, client.token)
        while not stop.is_set():
            try:
                outcomes[browser.eligibility().status_code] += 1
            except Exception as error:
                outcomes[repr(error)[:60]] += 1

    hammers = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in hammers:
        thread.start()
    time.sleep(1.0)
    os.kill(eligibility_pids[0], signal.SIGKILL)
    killed_at = time.monotonic()
    time.sleep(2.0)
    stop.set()
    for thread in hammers:
        thread.join(30)
    failures = sum(n for code, n in outcomes.items() if code != 200)
    assert failures <= 1, outcomes
    assert set(outcomes) <= {200, 503}, outcomes
    assert alive(eligibility_pids[1])
    restore_load_s = restored(stack, "eligibility", eligibility_pids[0], killed_at)
    print(f"\n[worker kill] lock-held kill: {codes}, replaced in {restore_s:.2f}s; then {counts[200]}/300 OK; "
          f"kill under load: {dict(outcomes)}, replaced in {restore_load_s:.2f}s")
    record("worker_kill", held_request_results=codes, after_kill_ok=counts[200], after_kill_total=300,
           under_load={str(k): v for k, v in outcomes.items()}, failed_requests=failures + 1,
           replaced_by_supervisor_s=[round(restore_s, 2), round(restore_load_s, 2)])
