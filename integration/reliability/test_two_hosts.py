"""Two hosts, one database (SPEC §7: "several hosts may share one database").

Two complete stacks, each with its own nginx, handlers, fake Gemini server,
mail folder and generator slots, share the first one's PostgreSQL:
1. both take creates at once: every bilan is generated exactly once (one
   set of three Gemini calls across both hosts) and mailed exactly once;
2. one host's generators are killed (SIGKILL) in the middle of slow
   generations and the whole host is stopped: the other host's `recover`
   completes every bilan, without redoing the passes already saved.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter

import pytest

from integration.reliability.rel_support import (Client, bulk_subscribers, generator_pids, kill_generators, log_tail, record, recover,
                         start_stack, stop_stack, wait_for, wait_generators_idle)
from integration.e2e.support import mails_to

FAST_ENV = {
    "GEMINI_RETRY_BASE_MS": "200",
    "GEMINI_TIMEOUT": "5",
    "GEMINI_MAX_TRIES": "3",
    "REQUEUE_BASE_SECONDS": "1",
    "MAX_ATTEMPTS": "5",
    "MAX_GENERATORS": "4",
}


@pytest.fixture(scope="module")
def hosts():
    survivor = start_stack(mail="file", env=dict(FAST_ENV))
    doomed = None
    try:
        doomed = start_stack(mail="file", env=dict(FAST_ENV), database_url=survivor.env["DATABASE_URL"])
        assert doomed.port != survivor.port and doomed.gemini_port != survivor.gemini_port
        yield survivor, doomed
    finally:
        for stack in (doomed, survivor):
            if stack is None:
                continue
            try:
                wait_generators_idle(stack, timeout=20)
            except TimeoutError:
                kill_generators(stack)
            stop_stack(stack)


def gemini_calls(stack) -> list[dict]:
    return stack.gemini("GET", "/_control/requests")


def status_of(stack, bilan_id: str) -> dict:
    return json.loads(stack.psql("""SELECT json_build_object('status', "status", 'step', "progressStep",
                                       'attempts', "attempts", 'checkpoints',
                                       coalesce((SELECT json_agg(k) FROM jsonb_object_keys("analyse") k), '[]'))
                                  FROM "orientation_bilans" WHERE "id" = :'v1'::uuid""", bilan_id))


def pending(stack) -> int:
    return int(stack.psql("""SELECT count(*) FROM "orientation_bilans" WHERE "status" = 'PENDING'"""))


def all_mails(stacks, address) -> int:
    return sum(len(mails_to(stack, address)) for stack in stacks)


@pytest.mark.time_limit(240)
def test_both_hosts_share_the_queue_and_generate_each_bilan_once(hosts):
    survivor, doomed = hosts
    # Unequal speeds: the faster host's generators, once their own bilan is
    # done, drain what the slower host has queued.
    for stack, latency in zip(hosts, (100, 400)):
        stack.gemini("POST", "/_control/reset", {})
        stack.gemini("POST", "/_control/latency", {"ms": latency})
    people = {stack.port: bulk_subscribers(survivor, 8, f"host{n}") for n, stack in enumerate(hosts)}
    made: dict[str, str] = {}  # bilan id → address
    errors = []

    def create(stack, subscriber):
        try:
            browser = Client(stack, subscriber.token, subscriber.email)
            made[browser.create_ok()] = subscriber.email
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create, args=(stack, s)) for stack in hosts for s in people[stack.port]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    # While the spawned generators work, both hosts' timers fire at once: every
    # process now competes for the same rows.
    racers = [threading.Thread(target=recover, args=(stack,)) for stack in hosts for _ in range(2)]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join(120)
    for stack in hosts:
        wait_generators_idle(stack, timeout=120)
    runs = 0
    while pending(survivor) and runs < 10:
        time.sleep(1)
        recover(survivor if runs % 2 == 0 else doomed)  # the timer runs on both hosts
        runs += 1
    for bilan_id in made:
        assert status_of(survivor, bilan_id)["status"] == "COMPLETED", status_of(survivor, bilan_id)
    calls = [gemini_calls(stack) for stack in hosts]
    kinds = Counter(entry["kind"] for log in calls for entry in log)
    assert kinds == Counter({"json": len(made), "text": len(made), "final": len(made)}), kinds
    for stack in hosts:
        wait_generators_idle(stack)
    mails = {address: all_mails(hosts, address) for address in made.values()}
    assert set(mails.values()) == {1}, mails
    per_host = [len(log) // 3 for log in calls]
    print(f"\n[two hosts] {len(made)} bilans, generated per host (calls / 3): {per_host}, "
          f"4 concurrent recovers, later recover runs {runs}")
    record("two_hosts_shared_queue", bilans=len(made), generated_per_host=per_host, gemini_calls=sum(kinds.values()),
           duplicates=0, mails=sum(mails.values()))


@pytest.mark.time_limit(240)
def test_a_host_killed_mid_generation_is_finished_by_the_other(hosts):
    survivor, doomed = hosts
    for stack in hosts:
        wait_generators_idle(stack)
        stack.gemini("POST", "/_control/reset", {})
    doomed.gemini("POST", "/_control/latency", {"ms": 1500})  # ~4.5 s a bilan: slow enough to be caught
    subscribers = bulk_subscribers(survivor, 4, "doomed")
    ids = {Client(doomed, s.token, s.email).create_ok(): s.email for s in subscribers}
    # Let the generators get going: some in pass 2 with pass 1 saved.
    wait_for(lambda: sum(status_of(survivor, b)["step"] >= 2 for b in ids) >= 2, 30, "two bilans to reach pass 2")
    victims = generator_pids(doomed)
    assert victims, "no generator running on the doomed host" + log_tail(doomed.generator_log)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not generator_pids(doomed), 10, "the killed generators to go")
    at_kill = {b: status_of(survivor, b) for b in ids}
    doomed_calls = gemini_calls(doomed)
    doomed.stop()  # nginx, handlers, fake Gemini: the whole host is gone (the database is the survivor's)
    assert all(s["status"] == "PENDING" for s in at_kill.values()), at_kill

    runs = 0
    while pending(survivor) and runs < 10:
        if runs:
            time.sleep(1)
        recover(survivor)
        runs += 1
    final = {b: status_of(survivor, b) for b in ids}
    assert all(s["status"] == "COMPLETED" for s in final.values()), \
        f"{final}\n" + log_tail(survivor.generator_log, grep="error")
    # Passes saved on the dead host are not asked for again.
    saved_pass1 = sum("initial" in s["checkpoints"] for s in at_kill.values())
    survivor_kinds = Counter(entry["kind"] for entry in gemini_calls(survivor))
    assert survivor_kinds["json"] == len(ids) - saved_pass1, (survivor_kinds, at_kill)
    assert survivor_kinds["final"] == len(ids), survivor_kinds
    wait_generators_idle(survivor)
    mails = {address: all_mails(hosts, address) for address in ids.values()}
    assert set(mails.values()) == {1}, mails
    # The students follow their bilans on the surviving host.
    for bilan_id, address in ids.items():
        token = survivor.admin("session", address).stdout.strip()
        assert Client(survivor, token).bilan(bilan_id).json()["status"] == "COMPLETED"
    figures = dict(bilans=len(ids), killed_generators=len(victims),
                   steps_at_kill=sorted(s["step"] for s in at_kill.values()),
                   passes_saved_at_kill=sum(len(s["checkpoints"]) for s in at_kill.values()),
                   calls_on_dead_host=len(doomed_calls), calls_on_survivor=sum(survivor_kinds.values()),
                   recover_runs=runs, completed=len(ids), lost=0, mails=sum(mails.values()))
    print(f"\n[host killed] {figures}")
    record("two_hosts_one_killed", **figures)
