"""Why the handler services say `KillMode=process` (docs/INSTALL.md §3).

`bilan-create` spawns a detached generator that works for about 90 s. Under
systemd the generator stays in the handler's control group (a new session
does not leave a cgroup), so with the default `KillMode=control-group` a
`systemctl restart bilan-create` would kill every running generator. With
`KillMode=process` systemd sends SIGTERM to the handler's main process only.

systemd is not PID 1 where this suite runs (`systemctl is-system-running`
says "offline"), so the unit itself cannot be restarted here. What is tested:
- test_systemd_units.py: every handler .service has KillMode=process;
- integration/e2e/test_detached_spawn.py: the generator runs in its own session and
  process group, with no descriptor of the handler's;
- here: the consequence a sysadmin relies on. The create handler's whole
  session (its supervisor and every worker: more than KillMode=process would
  ever stop) is terminated while a generator works, a new handler is
  started, and the same generator process still completes the bilan, once,
  with one attempt and one mail.
"""
import os
import signal

import pytest

from integration.deploy.deploy_support import Users, alive, new_database, start_installed_stack, stop_installed_stack, wait_for, wait_for_mail
from integration.e2e.generator_support import (bilan_row, generator_pid_for, kill_generators, log_lines, wait_generators_idle,
                               wait_settled)

GEMINI_LATENCY_MS = 1500  # three calls: the generator works for 4.5 s or more


@pytest.fixture(scope="module")
def slow_stack(installed, installed_stack):
    """Its own handlers, nginx and slow fake Gemini, on a database of its own
    in the session stack's cluster."""
    stack = start_installed_stack(installed, gemini_latency_ms=GEMINI_LATENCY_MS,
                                  database_url=new_database(installed_stack, "bilan_killmode"))
    yield stack
    try:
        wait_generators_idle(stack, timeout=60)
    except TimeoutError:
        kill_generators(stack)
    stop_installed_stack(stack)


def session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    members.append(int(entry))
            except OSError:
                pass
    return members


def test_generator_outlives_a_restart_of_the_create_handler(slow_stack):
    stack = slow_stack
    client = Users(stack, "killmode").subscriber()
    bilan_id = client.create_ok()
    generator = wait_for(lambda: generator_pid_for(bilan_id), 10, "the generator to start")

    supervisor = stack.supervisor_pids["create"]
    handler_session = os.getsid(supervisor)
    handler_processes = session_members(handler_session)
    assert set(stack.worker_pids("create")) <= set(handler_processes)
    assert generator not in handler_processes

    # Stop the handler the hard way: SIGTERM to its whole session.
    for pid in handler_processes:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    wait_for(lambda: not any(alive(pid) for pid in handler_processes), 15, "the create handler to stop")
    stack.supervisor_pids.pop("create")

    assert alive(generator), "stopping the handler killed its generator"
    assert bilan_row(stack, bilan_id)["status"] == "PENDING", "the test came too late: the bilan was already done"

    stack.start_handler("create", "bilan-create")  # what systemd's restart does next
    final = wait_settled(client, bilan_id, timeout=60)
    assert final["status"] == "COMPLETED", final

    started = [line for line in log_lines(stack, bilan_id) if 'event="generator started"' in line]
    assert len(started) == 1 and f"pid={generator}" in started[0], started
    wait_for(lambda: any('event="generator finished"' in line for line in log_lines(stack, bilan_id)), 30,
             "the generator to finish")
    assert bilan_row(stack, bilan_id)["attempts"] == 1
    wait_for_mail(stack, client.email, timeout=30)

    # The new handler serves.
    other = Users(stack, "killmode-after").subscriber()
    other.create_ok()
