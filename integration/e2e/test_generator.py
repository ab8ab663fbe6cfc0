"""The real generator end to end (SPEC §7, §8): create through nginx and the
FastCGI handler, the detached `bilan-generator` runs three passes against the
fake Gemini server (testservers/fake_gemini.py), checkpoints, retries, host
slots, recovery, and the notification through the SMTP sink or the mail folder.

Two stacks of this module's own:
- `smtp_stack`: mail through libcurl to testservers/smtp_sink.py;
- `slots_stack`: MAX_GENERATORS=2, REQUEUE_BASE_SECONDS=1, mail to .eml files
  (MAIL_TRANSPORT=file).
Both run with short backoffs and timeouts (generator_support.FAST_ENV). Every
test resets the fake Gemini server, uses fresh users, and ends with no
generator of its stack running and no bilan left PENDING.
"""
import json
import os
import signal
import threading
import time

import pytest

from integration.e2e.generator_support import (CHECKPOINT_KEYS, FAST_ENV, PASS_KIND, REPORT_HEADINGS, SAMPLE_NAMES,
                               assert_nothing_pending, bilan_messages, bilan_row, check_ready_mail,
                               check_safe_html, create_bilan, envelope_of, gemini_requests, gemini_stats,
                               generator_pid_for, kinds, log_excerpt, log_lines, mail_files, stop_stack_when_idle,
                               new_client, pending_ids, raw_mails_to, recover, reset_gemini, set_default_fault,
                               set_faults, status_of, wait_for, wait_generators_idle, wait_settled,
                               wait_spawned_runs_done)
from integration.e2e.support import start_stack

MESSAGES = bilan_messages()


# ---- stacks ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smtp_stack():
    stack = start_stack(mail="smtp", env=dict(FAST_ENV))
    yield stack
    stop_stack_when_idle(stack)


@pytest.fixture(scope="module")
def slots_stack():
    # A re-queued bilan waits 1 s, then 2 s… here (REQUEUE_BASE_SECONDS=1).
    stack = start_stack(mail="file", env=dict(FAST_ENV, MAX_GENERATORS="2", REQUEUE_BASE_SECONDS="1"))
    yield stack
    stop_stack_when_idle(stack)


@pytest.fixture
def gen(smtp_stack):
    """The SMTP stack, with the fake Gemini server reset; afterwards no
    generator may still run and no bilan may stay PENDING."""
    wait_generators_idle(smtp_stack)
    reset_gemini(smtp_stack)
    yield smtp_stack
    if smtp_stack.processes.get("smtp") is None or smtp_stack.processes["smtp"].poll() is not None:
        smtp_stack.start_smtp()
    assert_nothing_pending(smtp_stack)


@pytest.fixture
def slots(slots_stack):
    wait_generators_idle(slots_stack)
    reset_gemini(slots_stack)
    yield slots_stack
    assert_nothing_pending(slots_stack)


def link_of(stack, bilan_id: str) -> str:
    return f"{stack.base_url}/orientation/resultat/{bilan_id}"


# ---- 1. the happy path, step by step, and the mail -------------------------------------
def test_progress_steps_then_completed_and_one_mail(gen):
    gen.gemini("POST", "/_control/latency", {"ms": 700})
    client = new_client(gen, "happy")
    bilan_id = create_bilan(client, "terminale-cpge-aero")

    seen = []  # (status, step) in the order the status route showed them
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = status_of(client, bilan_id)
        assert body["progress"]["total"] == 3, body
        state = (body["status"], body["progress"]["step"])
        if not seen or seen[-1] != state:
            seen.append(state)
        if body["status"] != "PENDING":
            break
        time.sleep(0.1)
    steps = [step for status, step in seen if status == "PENDING"]
    assert steps == sorted(steps), f"progress went backwards: {seen}"
    assert {1, 2, 3} <= set(steps), f"steps 1, 2 and 3 not all seen while PENDING: {seen}" + log_excerpt(gen, bilan_id)
    assert set(steps) <= {0, 1, 2, 3}, seen
    assert seen[-1] == ("COMPLETED", 3), seen + [log_excerpt(gen, bilan_id)]

    body = status_of(client, bilan_id)
    assert body["completedAt"], body
    assert body["sections"] == REPORT_HEADINGS, body["sections"]
    assert "errorMessage" not in body or body["errorMessage"] is None, body

    wait_generators_idle(gen)
    mails = raw_mails_to(gen, client.email)
    assert len(mails) == 1, f"{len(mails)} mails to {client.email}" + log_excerpt(gen, bilan_id)
    check_ready_mail(mails[0], link=link_of(gen, bilan_id), address=client.email)
    envelopes = [envelope_of(path) for path in mail_files(gen) if client.email.encode() in path.read_bytes()]
    assert [env["rcptTos"] for env in envelopes] == [[client.email]], envelopes
    assert envelopes[0]["mailFrom"] == "bilan@example.org", envelopes
    assert bilan_row(gen, bilan_id)["emailSentAt"], bilan_row(gen, bilan_id)
    # One call per pass, in order.
    assert kinds(gemini_requests(gen)) == ["json", "text", "final"], gemini_requests(gen)


# ---- 2. faults ---------------------------------------------------------------------------
# (fault, pass it hits): the queue is "ok" for the passes before, then the fault.
TRANSIENT = [
    ("429", 1), ("500", 2), ("503", 3), ("504", 1), ("502", 2), ("hang:10", 2),
    ("malformed", 1), ("empty", 2), ("empty-text", 3), ("max-tokens", 3), ("max-tokens", 1),
    # A recitation or "other" stop is the model's hiccup, not a verdict on the
    # student's text: retried, never the help card (SPEC §12).
    ("recitation", 2), ("other", 3),
]
PERMANENT = [
    ("400", 1, "serviceMisconfigured"), ("401", 2, "serviceMisconfigured"), ("403", 3, "serviceMisconfigured"),
    # 404 NOT_FOUND means a retired model: the next configured model is asked
    # (test_report_engine.py, model currency), so it is not a permanent fault.
    ("safety", 3, "contentRefused"), ("blocked", 1, "contentRefused"),
]


@pytest.mark.parametrize("fault,at_pass", TRANSIENT, ids=[f"{f}@pass{p}" for f, p in TRANSIENT])
def test_transient_fault_is_retried_and_completes(gen, fault, at_pass):
    set_faults(gen, ["ok"] * (at_pass - 1) + [fault])
    client = new_client(gen, f"transient-{fault}")
    bilan_id = create_bilan(client, SAMPLE_NAMES[at_pass % len(SAMPLE_NAMES)])
    body = wait_settled(client, bilan_id, timeout=60)
    assert body["status"] == "COMPLETED", f"{body}" + log_excerpt(gen, bilan_id)
    wait_generators_idle(gen)

    log = gemini_requests(gen)
    assert len(log) == 4, f"expected 3 passes + 1 retry: {log}"
    faulted, retry = log[at_pass - 1], log[at_pass]
    assert faulted["fault"] == fault and faulted["kind"] == PASS_KIND[at_pass], log
    assert retry["fault"] is None and retry["kind"] == PASS_KIND[at_pass] and retry["status"] == 200, log
    assert kinds(log) == [PASS_KIND[p] for p in (1, 2, 3) for _ in range(2 if p == at_pass else 1)], log
    waited = retry["t"] - faulted["t"]
    if fault == "429":
        assert waited >= 1.0, f"retried {waited:.2f}s after a 429 asking for retryDelay 1s"
    if fault.startswith("hang"):
        assert 3.0 <= waited < 10.0, f"retried {waited:.2f}s after a hang, GEMINI_TIMEOUT=3"
    row = bilan_row(gen, bilan_id)
    assert row["attempts"] == 1, row  # retried within the call, not by re-queueing the bilan
    assert sorted(row["analyse"]) == sorted(CHECKPOINT_KEYS.values()), row["analyse"].keys()
    assert len(raw_mails_to(gen, client.email)) == 1
    retried = [line for line in log_lines(gen, bilan_id) if "gemini call failed, retrying" in line]
    assert len(retried) == 1, log_excerpt(gen, bilan_id)


@pytest.mark.parametrize("fault,at_pass,message", PERMANENT, ids=[f"{f}@pass{p}" for f, p, _ in PERMANENT])
def test_permanent_fault_fails_at_once_with_a_user_safe_message(gen, fault, at_pass, message):
    set_faults(gen, ["ok"] * (at_pass - 1) + [fault])
    client = new_client(gen, f"permanent-{fault}")
    bilan_id = create_bilan(client, SAMPLE_NAMES[at_pass % len(SAMPLE_NAMES)])
    body = wait_settled(client, bilan_id, timeout=30)
    assert body["status"] == "FAILED", f"{body}" + log_excerpt(gen, bilan_id)
    assert body["errorMessage"] == MESSAGES[message], body
    assert "resultat" not in body or not body["resultat"], body
    wait_generators_idle(gen)

    log = gemini_requests(gen)
    assert kinds(log) == [PASS_KIND[p] for p in range(1, at_pass + 1)], f"the refused call was retried: {log}"
    assert log[-1]["fault"] == fault, log
    row = bilan_row(gen, bilan_id)
    assert row["status"] == "FAILED" and row["attempts"] == 1, row
    assert row["failureDetail"], row  # the technical cause, for the sysadmin
    assert row["failureDetail"] not in json.dumps(body, ensure_ascii=False)
    assert sorted(row["analyse"] or {}) == sorted(CHECKPOINT_KEYS[p] for p in range(1, at_pass)), row["analyse"]
    assert raw_mails_to(gen, client.email) == [], "a FAILED bilan was announced by mail"
    # Later runs of recovery leave it alone.
    recover(gen)
    assert len(gemini_requests(gen)) == at_pass
    assert bilan_row(gen, bilan_id)["status"] == "FAILED"


def test_transient_fault_on_every_call_fails_after_max_attempts(gen):
    set_default_fault(gen, "503")
    client = new_client(gen, "always-503")
    bilan_id = create_bilan(client, "terminale-sante-stress")
    wait_spawned_runs_done(gen, bilan_id)
    runs = 0
    while bilan_row(gen, bilan_id)["status"] == "PENDING" and runs < 10:
        recover(gen)
        runs += 1
    body = status_of(client, bilan_id)
    assert body["status"] == "FAILED", f"still {body['status']} after {runs} recover runs" + log_excerpt(gen, bilan_id)
    assert body["errorMessage"] == MESSAGES["tooManyAttempts"], body
    row = bilan_row(gen, bilan_id)
    max_attempts, max_tries = int(FAST_ENV["MAX_ATTEMPTS"]), int(FAST_ENV["GEMINI_MAX_TRIES"])
    assert row["attempts"] == max_attempts, row
    assert "503" in (row["failureDetail"] or "") or "UNAVAILABLE" in (row["failureDetail"] or ""), row
    log = gemini_requests(gen)
    assert all(entry["kind"] == "json" and entry["status"] == 503 for entry in log), log
    assert len(log) == max_attempts * max_tries, f"{len(log)} calls for {max_attempts} attempts × {max_tries} tries"
    assert raw_mails_to(gen, client.email) == []
    print(f"\n[always-503] FAILED after {runs} recover run(s), {len(log)} Gemini calls")


def test_hostile_model_output_is_never_stored_and_is_neutralised_on_the_result_page(gen):
    """A report full of markup fails the report check twice (draft and repair,
    SPEC §12) and is not stored; the same report forced into the table, as a
    report stored before the check or edited by hand, is rendered harmless."""
    set_faults(gen, ["ok", "ok", "xss", "xss"])
    client = new_client(gen, "xss")
    bilan_id = create_bilan(client, "premiere-ses-undecided")
    body = wait_settled(client, bilan_id, timeout=30)
    assert body["status"] == "FAILED", f"{body}" + log_excerpt(gen, bilan_id)
    assert [entry["fault"] for entry in gemini_requests(gen)] == [None, None, "xss", "xss"]
    assert kinds(gemini_requests(gen)) == ["json", "text", "final", "repair"]
    row = bilan_row(gen, bilan_id)
    assert row["resultat"] is None and row["failureKind"] == "REPORT_REFUSED", row
    wait_generators_idle(gen)
    assert raw_mails_to(gen, client.email) == []

    gen.psql("""UPDATE "orientation_bilans" SET "status" = 'COMPLETED', "resultat" = "analyse"->>'repair',
                       "completedAt" = now() WHERE "id" = :'v1'::uuid""", bilan_id)
    assert "<script>" in bilan_row(gen, bilan_id)["resultat"]
    response = client.get(f"/orientation/resultat/{bilan_id}")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/html"), response.headers
    page = response.text
    for heading in REPORT_HEADINGS:
        assert heading in page.replace("&#39;", "'").replace("&#x27;", "'").replace("&apos;", "'"), heading
    check_safe_html(page)


def test_requeued_bilan_waits_for_its_delay_and_recover_fails_it_at_the_limit(slots):
    """With a real re-queue delay the generator gives the bilan back and exits;
    only `recover` runs after the delay, until MAX_ATTEMPTS fails it."""
    set_default_fault(slots, "503")
    client = new_client(slots, "requeue-delay")
    bilan_id = create_bilan(client, "terminale-sante-stress")
    max_attempts, max_tries = int(FAST_ENV["MAX_ATTEMPTS"]), int(FAST_ENV["GEMINI_MAX_TRIES"])
    wait_spawned_runs_done(slots, bilan_id)
    row = bilan_row(slots, bilan_id)
    assert row["status"] == "PENDING" and row["attempts"] == 1, row
    assert row["nextAttemptAt"], row
    assert status_of(client, bilan_id)["status"] == "PENDING"
    assert len(gemini_requests(slots)) == max_tries, gemini_requests(slots)

    def due() -> bool:
        return slots.psql("""SELECT coalesce("nextAttemptAt" <= now(), true) FROM "orientation_bilans"
                              WHERE "id" = :'v1'::uuid""", bilan_id) == "t"

    runs = 0
    while bilan_row(slots, bilan_id)["status"] == "PENDING" and runs < 10:
        calls = len(gemini_requests(slots))
        if not due():
            recover(slots)  # too early: the bilan is not due yet
            if not due():
                assert len(gemini_requests(slots)) == calls, "recover ran a bilan before its nextAttemptAt"
            wait_for(due, 10, "the re-queue delay to pass", interval=0.05)
        recover(slots)
        runs += 1
    body = status_of(client, bilan_id)
    assert body["status"] == "FAILED", f"still {body['status']} after {runs} recover runs" + log_excerpt(slots, bilan_id)
    assert body["errorMessage"] == MESSAGES["tooManyAttempts"], body
    assert bilan_row(slots, bilan_id)["attempts"] == max_attempts
    assert len(gemini_requests(slots)) == max_attempts * max_tries
    assert runs == max_attempts - 1, f"{runs} recover runs"
    assert raw_mails_to(slots, client.email) == []


# ---- 3. a generator killed mid-way resumes from its checkpoint ------------------------------
def test_kill_during_pass_2_then_recover_resumes_without_redoing_pass_1(gen):
    gen.gemini("POST", "/_control/latency", {"ms": 2000})
    client = new_client(gen, "kill9")
    bilan_id = create_bilan(client, "terminale-sti2d-but-info")
    wait_for(lambda: bilan_row(gen, bilan_id)["progressStep"] == 2, 20, "pass 2 to start", interval=0.05)
    pid = generator_pid_for(bilan_id)
    assert pid, "no `bilan-generator run <id>` process during pass 2" + log_excerpt(gen, bilan_id)
    time.sleep(0.3)  # well inside the 2 s call of pass 2
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{pid}/cmdline") or
             not open(f"/proc/{pid}/cmdline", "rb").read(), 5, "the generator to die")

    time.sleep(1.0)
    body = status_of(client, bilan_id)
    assert body["status"] == "PENDING", body
    row = bilan_row(gen, bilan_id)
    assert list(row["analyse"]) == ["initial"], row["analyse"]
    assert row["progressStep"] == 2, row

    result = recover(gen)
    body = status_of(client, bilan_id)
    assert body["status"] == "COMPLETED", f"{body}\n{result.stderr}" + log_excerpt(gen, bilan_id)
    log = gemini_requests(gen)
    assert kinds(log).count("json") == 1, f"pass 1 requested again: {kinds(log)}"
    assert kinds(log) == ["json", "text", "text", "final"], kinds(log)
    row = bilan_row(gen, bilan_id)
    assert row["attempts"] == 2, row
    assert len(raw_mails_to(gen, client.email)) == 1


# ---- 4. host slots --------------------------------------------------------------------------
def test_max_generators_bounds_concurrency_and_the_queue_drains(slots):
    slots.gemini("POST", "/_control/latency", {"ms": 300})
    clients = [new_client(slots, f"slots-{n}") for n in range(10)]
    ids: list[str | None] = [None] * 10
    errors = []
    barrier = threading.Barrier(10)

    def create(n):
        try:
            barrier.wait(timeout=10)
            ids[n] = create_bilan(clients[n], SAMPLE_NAMES[n % len(SAMPLE_NAMES)])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    for bilan_id in ids:
        wait_spawned_runs_done(slots, bilan_id, timeout=120)
    left_after_first_wave = pending_ids(slots)
    runs = 0
    while pending_ids(slots) and runs < 5:
        recover(slots)
        runs += 1
    stats = gemini_stats(slots)
    print(f"\n[slots] maxConcurrent={stats['maxConcurrent']} calls={stats['calls']} "
          f"queued after the first wave={len(left_after_first_wave)} recover runs={runs}")
    assert 1 <= stats["maxConcurrent"] <= 2, stats
    busy = [line for line in log_lines(slots) if "all generator slots busy" in line]
    assert busy, "10 simultaneous creates, MAX_GENERATORS=2: some generator should have found no slot"
    for client, bilan_id in zip(clients, ids):
        assert status_of(client, bilan_id)["status"] == "COMPLETED", log_excerpt(slots, bilan_id)
    assert stats["calls"] == 30, stats
    wait_generators_idle(slots)
    for client, bilan_id in zip(clients, ids):
        mails = raw_mails_to(slots, client.email)
        assert len(mails) == 1, f"{len(mails)} mails to {client.email}"
        check_ready_mail(mails[0], link=link_of(slots, bilan_id), address=client.email)


# ---- 5. mail server down ---------------------------------------------------------------------
def test_mail_retried_by_recover_when_smtp_was_down(gen):
    client = new_client(gen, "smtp-down")
    port = gen.smtp_port
    gen.stop_smtp()
    try:
        bilan_id = create_bilan(client, "seconde-veto-maths-difficiles")
        body = wait_settled(client, bilan_id, timeout=30)
        assert body["status"] == "COMPLETED", f"{body}" + log_excerpt(gen, bilan_id)
        wait_generators_idle(gen)
        row = bilan_row(gen, bilan_id)
        assert row["emailSentAt"] is None, row
        assert raw_mails_to(gen, client.email) == []
        assert any("notification not sent" in line for line in log_lines(gen, bilan_id)), log_excerpt(gen, bilan_id)
    finally:
        gen.start_smtp()
    assert gen.smtp_port == port

    recover(gen)
    mails = raw_mails_to(gen, client.email)
    assert len(mails) == 1, f"{len(mails)} mails after recovery" + log_excerpt(gen, bilan_id)
    check_ready_mail(mails[0], link=link_of(gen, bilan_id), address=client.email)
    assert bilan_row(gen, bilan_id)["emailSentAt"]
    assert status_of(client, bilan_id)["status"] == "COMPLETED"

    recover(gen)
    assert len(raw_mails_to(gen, client.email)) == 1, "a second recover mailed again"
    assert len(gemini_requests(gen)) == 3


# ---- 6. bilan-admin -----------------------------------------------------------------------------
def test_admin_show_retry_and_resend(gen):
    set_faults(gen, ["ok", "safety"])
    client = new_client(gen, "admin")
    bilan_id = create_bilan(client, "postbac-reorientation-enseignement")
    assert wait_settled(client, bilan_id)["status"] == "FAILED"
    wait_generators_idle(gen)

    shown = json.loads(gen.admin("show", bilan_id, "--json").stdout)
    assert shown["id"] == bilan_id and shown["status"] == "FAILED", shown
    assert shown["email"] == client.email, shown
    assert list(shown["analyse"]) == ["initial"], shown["analyse"]
    assert shown["analyse"]["initial"]["synthese"], shown["analyse"]
    assert "SAFETY" in shown["failureDetail"], shown["failureDetail"]
    assert shown["errorMessage"] == MESSAGES["contentRefused"], shown

    retried = json.loads(gen.admin("retry", bilan_id, "--json").stdout)
    assert retried["requeued"] is True, retried
    if not retried.get("generatorStarted"):
        recover(gen)
    body = wait_settled(client, bilan_id, timeout=30)
    assert body["status"] == "COMPLETED", f"{body}" + log_excerpt(gen, bilan_id)
    wait_generators_idle(gen)
    # The saved pass 1 is reused: only passes 2 and 3 are asked for again.
    assert kinds(gemini_requests(gen)) == ["json", "text", "text", "final"], gemini_requests(gen)

    shown = json.loads(gen.admin("show", bilan_id, "--json").stdout)
    assert shown["status"] == "COMPLETED", shown
    assert sorted(shown["analyse"]) == sorted(CHECKPOINT_KEYS.values()), shown["analyse"].keys()
    assert shown["failureDetail"] is None and shown["errorMessage"] is None, shown
    assert shown["emailSentAt"], shown
    assert len(raw_mails_to(gen, client.email)) == 1

    resent = json.loads(gen.admin("resend-email", bilan_id, "--json").stdout)
    assert resent["sent"] is True, resent
    mails = raw_mails_to(gen, client.email)
    assert len(mails) == 2, f"{len(mails)} mails after resend-email"
    check_ready_mail(mails[-1], link=link_of(gen, bilan_id), address=client.email)
    assert json.loads(gen.admin("show", bilan_id, "--json").stdout)["emailSentAt"]


# ---- 7. overhead ------------------------------------------------------------------------------------
def test_generator_overhead_with_an_instant_model(slots):
    client = new_client(slots, "overhead")
    before = set(mail_files(slots))
    started = time.monotonic()
    bilan_id = create_bilan(client, "terminale-cpge-aero")
    answered = time.monotonic() - started
    wait_for(lambda: status_of(client, bilan_id)["status"] != "PENDING", 20, "completion", interval=0.02)
    completed = time.monotonic() - started
    wait_for(lambda: raw_mails_to(slots, client.email), 20, "the mail file", interval=0.02)
    mailed = time.monotonic() - started
    print(f"\n[overhead] create answered {answered * 1000:.0f} ms, COMPLETED at {completed * 1000:.0f} ms, "
          f"mail file at {mailed * 1000:.0f} ms (3 Gemini calls, latency 0)")
    assert status_of(client, bilan_id)["status"] == "COMPLETED", log_excerpt(slots, bilan_id)
    assert mailed < 10, mailed
    assert len(set(mail_files(slots)) - before) == 1
