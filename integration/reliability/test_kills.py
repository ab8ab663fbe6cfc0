"""`kill -9` of a generator in each of the three passes and while it mails:
every bilan ends COMPLETED with exactly one mail after `recover`, and no
pass whose checkpoint was saved is requested from Gemini again.

The mail case uses a `sendmail` that takes the message, then waits 4 s
before delivering it, and discards it if the generator that started it is
gone by then: what an SMTP server does with a DATA phase cut before its
final dot. The claim left by the dead generator counts as "maybe sent"
until MAIL_UNCONFIRMED_RETRY_SECONDS (here 6 s) has passed; then recovery
sends the mail once.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from integration.reliability.rel_support import alive, record, start_stack, stop_stack, wait_for, wait_generators_idle
from integration.e2e.support import bin_dir
from integration.e2e.generator_support import bilan_row, create_bilan, gemini_requests, kinds, new_client, raw_mails_to, recover

GEMINI_MS = 1500
UNCONFIRMED_S = 6
PASS_KINDS = ["json", "text", "final"]


@pytest.fixture(scope="module")
def kill_stack():
    extra = Path(tempfile.mkdtemp(prefix="bilan-kills-"))
    os.chmod(extra, 0o755)
    slow = extra / "slow-sendmail"
    # The generator the handlers spawn; with the flag file it mails through the slow sendmail.
    wrapper = extra / "generator"
    wrapper.write_text("#!/bin/sh\n"
                       f"if [ -e {extra}/use-slow-sendmail ]; then\n"
                       f"  export MAIL_TRANSPORT=sendmail SENDMAIL_PATH={slow}\n"
                       "fi\n"
                       f"exec {bin_dir() / 'bilan-generator'} \"$@\"\n")
    wrapper.chmod(0o755)
    stack = start_stack(mail="file", gemini_latency_ms=GEMINI_MS,
                        env={"MAIL_UNCONFIRMED_RETRY_SECONDS": str(UNCONFIRMED_S), "REQUEUE_BASE_SECONDS": "0",
                             "GEMINI_RETRY_BASE_MS": "100", "GENERATOR_PATH": str(wrapper)})
    slow.write_text("#!/bin/sh\n"
                    f"part={extra}/$$.part\n"
                    "cat > \"$part\"\n"
                    f"touch {extra}/sendmail-has-message\n"
                    "sleep 4\n"
                    "if kill -0 \"$PPID\" 2>/dev/null; then\n"
                    f"  mv \"$part\" {stack.mail_dir}/sendmail-$$.eml; exit 0\n"
                    "fi\n"
                    "rm -f \"$part\"; exit 75\n")
    slow.chmod(0o755)
    stack.extra = extra
    yield stack
    stop_stack(stack)
    shutil.rmtree(extra, ignore_errors=True)


def generator_pid(stack, bilan_id: str) -> int | None:
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"bilan-generator") and bilan_id.encode() in argv:
            return int(pid)
    return None


def kill_generator_of(stack, bilan_id: str) -> int:
    pid = wait_for(lambda: generator_pid(stack, bilan_id), 10, "the bilan's generator")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not alive(pid), 5, "the generator to die")
    return pid


def reset(stack):
    wait_generators_idle(stack, timeout=60)
    stack.gemini("POST", "/_control/reset", {})
    stack.gemini("POST", "/_control/latency", {"ms": GEMINI_MS})


@pytest.mark.time_limit(120)
@pytest.mark.parametrize("killed_pass", [1, 2, 3])
def test_kill_in_a_pass_then_recover_completes_without_redoing_saved_passes(kill_stack, killed_pass):
    stack = kill_stack
    reset(stack)
    client = new_client(stack, f"kill-pass-{killed_pass}")
    bilan_id = create_bilan(client)
    wait_for(lambda: bilan_row(stack, bilan_id)["progressStep"] == killed_pass, 30,
             f"pass {killed_pass} to start", interval=0.05)
    time.sleep(0.3)  # inside the pass's 1.5 s Gemini call
    kill_generator_of(stack, bilan_id)

    row = bilan_row(stack, bilan_id)
    assert row["status"] == "PENDING", row
    saved = list(row["analyse"] or {})
    assert len(saved) == killed_pass - 1, f"checkpoints after a kill in pass {killed_pass}: {saved}"

    recover(stack)
    row = bilan_row(stack, bilan_id)
    assert row["status"] == "COMPLETED", row
    requested = kinds(gemini_requests(stack))
    # The killed pass is asked twice (the call cut by the kill, then again); the others once.
    expected = PASS_KINDS[:killed_pass] + PASS_KINDS[killed_pass - 1:]
    assert requested == expected, f"kill in pass {killed_pass}: Gemini saw {requested}"
    wait_generators_idle(stack)
    assert len(raw_mails_to(stack, client.email)) == 1
    recover(stack)
    assert len(raw_mails_to(stack, client.email)) == 1
    record(f"kill_in_pass_{killed_pass}", checkpoints_kept=len(saved), gemini_calls=len(requested),
           status=row["status"], mails=1)


@pytest.mark.time_limit(120)
def test_kill_while_mailing_then_recover_mails_exactly_once(kill_stack):
    stack = kill_stack
    reset(stack)
    stack.gemini("POST", "/_control/latency", {"ms": 0})
    flag = stack.extra / "use-slow-sendmail"
    started = stack.extra / "sendmail-has-message"
    started.unlink(missing_ok=True)
    client = new_client(stack, "kill-mail")
    flag.touch()
    try:
        bilan_id = create_bilan(client)
        wait_for(started.exists, 30, "the generator to hand the message to sendmail")
        kill_generator_of(stack, bilan_id)
        time.sleep(4.5)  # the sendmail saw its generator gone and discarded the message
    finally:
        flag.unlink(missing_ok=True)
    assert raw_mails_to(stack, client.email) == []
    row = bilan_row(stack, bilan_id)
    assert row["status"] == "COMPLETED" and row["emailClaimedAt"] and not row["emailSentAt"], row

    # Within the window the claim may have left: recovery does not send it again.
    recover(stack)
    assert raw_mails_to(stack, client.email) == []
    wait_for(lambda: time.sleep(0.5) or
             float(stack.psql("""SELECT extract(epoch FROM now() - "emailClaimedAt") FROM "orientation_bilans"
                                 WHERE "id" = :'v1'::uuid""", bilan_id)) > UNCONFIRMED_S,
             UNCONFIRMED_S + 5, "the claim to become stale")
    recover(stack)
    recover(stack)
    assert len(raw_mails_to(stack, client.email)) == 1
    row = bilan_row(stack, bilan_id)
    assert row["emailSentAt"], row
    record("kill_while_mailing", mails=1, email_attempts=row["emailAttempts"])
