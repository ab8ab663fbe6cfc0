"""While PostgreSQL is down the handlers answer `503 unavailable` at once, and
the same processes serve again once it is back (SPEC §3 "Other statuses").

Runs on a stack of its own, so that stopping its database disturbs no
other test.
"""
import os
import time

import pytest

from integration.e2e.support import Users, assert_error, assert_json, start_stack, stop_stack, wait_for

# Enough requests to reach every worker of a handler more than once.
REQUESTS_PER_ROUTE = 6


@pytest.fixture(scope="module")
def restart_stack():
    stack = start_stack(env={"GENERATOR_PATH": "/bin/true"})
    yield stack
    stop_stack(stack)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_handlers_answer_503_while_postgres_is_down_then_recover(restart_stack):
    stack = restart_stack
    client = Users(stack, "restart").subscriber()
    bilan_id = client.create_ok()
    routes = {
        "eligibility": client.eligibility,
        "status": lambda: client.bilan(bilan_id),
        "history": client.history,
    }
    for call in routes.values():
        assert_json(call(), 200)
    pids_before = {name: list(pids) for name, pids in stack.handler_pids.items()}

    stack.stop_postgres()
    try:
        for name, call in dict(routes, create=client.create).items():
            for _ in range(REQUESTS_PER_ROUTE):
                started = time.monotonic()
                response = call()
                elapsed = time.monotonic() - started
                assert_error(response, 503, "unavailable")
                assert elapsed < 5, f"{name} took {elapsed:.1f}s to answer 503"
        assert all(alive(pid) for pids in pids_before.values() for pid in pids), \
            "a handler died while the database was down"
    finally:
        stack.start_postgres_server()

    # Back: the same processes reconnect by themselves.
    wait_for(lambda: client.eligibility().status_code == 200, 15, "the eligibility route to answer 200 again")
    for name, call in routes.items():
        for _ in range(REQUESTS_PER_ROUTE):
            assert_json(call(), 200)
    assert stack.handler_pids == pids_before
    assert all(alive(pid) for pids in pids_before.values() for pid in pids)
    assert assert_json(client.bilan(bilan_id), 200)["id"] == bilan_id
    assert assert_json(client.eligibility(), 200)["reason"] == "ALREADY_USED"
