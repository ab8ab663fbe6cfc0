"""Load and leaks (`make soak`, several minutes; left out of `make test`).

1. wrk on the status route, then on the result page: 60 s each at 64
   connections after a warm-up; no answer other than 2xx/3xx, no socket
   error, and every handler worker's resident memory within ±10 % of what it
   was after the warm-up (/proc/<pid>/status VmRSS), same processes.
2. 1,000 creates by 1,000 users, drained with MAX_GENERATORS=4 and a 50 ms
   Gemini latency: all COMPLETED, 1,000 mails, one per user, 3,000 Gemini
   calls (no pass done twice), never more than 4 calls at once.

Durations can be shortened for a quick try: BILAN_SOAK_SECONDS (default 60)
and BILAN_SOAK_CREATES (default 1000).
"""
from __future__ import annotations

import email
import email.policy
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.devstack import SAMPLE_REPORT
from integration.reliability.rel_support import (SESSION_COOKIE, Users, alive, bulk_subscribers, kill_generators, log_tail, record, recover,
                         rss_kib, run_wrk, start_stack, stop_stack, wait_for, generator_pids)

pytestmark = pytest.mark.soak

SECONDS = int(os.environ.get("BILAN_SOAK_SECONDS", "60"))
CREATES = int(os.environ.get("BILAN_SOAK_CREATES", "1000"))
WARM_UP = 10
CONNECTIONS = 64

def rss_of(stack) -> dict[int, int]:
    return {pid: rss_kib(pid) for pids in stack.handler_pids.values() for pid in pids}


@pytest.mark.time_limit(SECONDS * 2 + WARM_UP * 2 + 240)
def test_wrk_on_status_and_result_page_no_errors_no_leak(tmp_path):
    stack = start_stack(env={"GENERATOR_PATH": "/bin/true"})
    try:
        client = Users(stack, "soak-wrk").subscriber()
        bilan_id = client.create_ok()
        stack.psql("""UPDATE "orientation_bilans" SET "status" = 'COMPLETED', "resultat" = :'v2',
                      "progressStep" = 3, "completedAt" = now() WHERE "id" = :'v1'::uuid""", bilan_id, SAMPLE_REPORT)
        headers = {"Cookie": f"{SESSION_COOKIE}={client.token}"}
        routes = {"status": f"/api/orientation/bilan/{bilan_id}", "page": f"/orientation/resultat/{bilan_id}"}
        pids = {name: list(p) for name, p in stack.handler_pids.items()}
        results = {}
        for name, path in routes.items():
            url = stack.base_url + path
            warm = run_wrk(url, seconds=WARM_UP, connections=CONNECTIONS, headers=headers, workdir=tmp_path)
            assert warm.non_2xx_3xx == 0, warm.output
            before = rss_of(stack)
            run = run_wrk(url, seconds=SECONDS, connections=CONNECTIONS, headers=headers, workdir=tmp_path)
            after = rss_of(stack)
            growth = {pid: round(100 * (after[pid] - before[pid]) / before[pid], 1) for pid in before}
            results[name] = dict(requests=run.requests, rps=run.requests_per_s, p99_ms=run.latency_p99_ms,
                                 non_2xx_3xx=run.non_2xx_3xx, socket_errors=run.socket_errors,
                                 rss_kib_before={str(p): v for p, v in before.items() if p in pids[name]},
                                 rss_kib_after={str(p): v for p, v in after.items() if p in pids[name]},
                                 rss_change_pct=growth)
            print(f"\n[wrk {name}] {run.requests} requests in {run.duration_s:.0f}s ({run.requests_per_s:.0f}/s, "
                  f"p99 {run.latency_p99_ms} ms), non-2xx/3xx {run.non_2xx_3xx}, socket errors {run.socket_errors}; "
                  f"RSS change % {growth}")
            assert run.non_2xx_3xx == 0, run.output
            assert not any(run.socket_errors.values()), run.output
            assert all(abs(g) <= 10 for g in growth.values()), f"RSS changed beyond ±10 %: {growth}"
        assert stack.handler_pids == pids, "a handler worker was replaced during the load"
        assert all(alive(pid) for p in pids.values() for pid in p)
        record("wrk_load", seconds=SECONDS, connections=CONNECTIONS, **results)
    finally:
        stop_stack(stack)


@pytest.mark.time_limit(1800)
def test_a_thousand_creates_drain_completely_once_each():
    stack = start_stack(mail="file", gemini_latency_ms=50,
                        env={"MAX_GENERATORS": "4", "GEMINI_RETRY_BASE_MS": "200", "GEMINI_TIMEOUT": "10",
                             "REQUEUE_BASE_SECONDS": "1", "MAX_ATTEMPTS": "5"})
    try:
        students = bulk_subscribers(stack, CREATES, "soak")
        answers: dict[str, object] = {}
        latencies = []

        def create(student):
            started = time.monotonic()
            response = student.create()
            latencies.append(time.monotonic() - started)
            answers[student.email] = response

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(create, students))
        created_in = time.monotonic() - started
        codes = Counter(r.status_code for r in answers.values())
        assert codes == Counter({202: CREATES}), codes
        ids = {email: r.json()["bilanId"] for email, r in answers.items()}

        def counts() -> Counter:
            text = stack.psql("""SELECT "status", count(*) FROM "orientation_bilans" GROUP BY 1""")
            return Counter({l.split("|")[0]: int(l.split("|")[1]) for l in text.splitlines() if l})

        # The one-minute timer, here every 5 s when no generator runs.
        recover_runs = 0
        deadline = time.monotonic() + 1500
        while counts().get("PENDING", 0) and time.monotonic() < deadline:
            time.sleep(5)
            if not generator_pids(stack) and counts().get("PENDING", 0):
                recover(stack, timeout=1200)
                recover_runs += 1
        drained_in = time.monotonic() - started
        final = counts()
        assert final == Counter({"COMPLETED": CREATES}), f"{final}\n" + log_tail(stack.generator_log, grep="error")
        wait_for(lambda: not generator_pids(stack), 60, "the generators to exit")
        owed = stack.psql("""SELECT count(*) FROM "orientation_bilans" WHERE "emailSentAt" IS NULL""")
        if owed != "0":
            recover(stack)
        mails = Counter()
        for path in stack.mail_dir.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            mails[str(message["To"]).strip().lower()] += 1
        per_user = Counter(mails[e.lower()] for e in ids)
        assert per_user == Counter({1: CREATES}), f"mails per user: {per_user}"
        assert sum(mails.values()) == CREATES
        calls = stack.gemini("GET", "/_control/requests")
        kinds = Counter(c["kind"] for c in calls)
        assert kinds == Counter({"json": CREATES, "text": CREATES, "final": CREATES}), kinds
        stats = stack.gemini("GET", "/_control/stats")
        assert stats["maxConcurrent"] <= 4, stats
        rows = int(stack.psql("""SELECT count(DISTINCT "userId") FROM "orientation_bilans" """))
        assert rows == CREATES
        latencies.sort()
        figures = dict(creates=CREATES, accepted=codes[202], create_p50_ms=round(latencies[len(latencies) // 2] * 1000),
                       create_p99_ms=round(latencies[int(len(latencies) * 0.99)] * 1000),
                       created_in_s=round(created_in, 1), drained_in_s=round(drained_in, 1),
                       bilans_per_min=round(CREATES / drained_in * 60, 1), completed=final["COMPLETED"],
                       mails=sum(mails.values()), gemini_calls=len(calls), max_concurrent_calls=stats["maxConcurrent"],
                       recover_runs=recover_runs, duplicates=0, lost=0)
        print(f"\n[1000 creates] {figures}")
        record("thousand_creates", **figures)
    finally:
        try:
            wait_for(lambda: not generator_pids(stack), 30, "the generators to exit")
        except TimeoutError:
            kill_generators(stack)
        stop_stack(stack)
