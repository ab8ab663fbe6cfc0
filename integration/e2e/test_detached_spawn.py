"""The create handler starts the generator detached (SPEC §3 "Create", §7):
`<generator> run <bilanId>`, own session, no inherited descriptor, stdin on
/dev/null, configuration (and so the Gemini key) only in the environment, and
the answer leaves without waiting for it.

A stack of its own runs with GENERATOR_PATH pointing at fake_generator.py,
which records how it was started and then works for 5 s.
"""
import json
import re
import time
from pathlib import Path

import pytest

from integration.e2e.support import REPO, Users, assert_json, start_stack, stop_stack, wait_for

FAKE_GENERATOR = Path(__file__).resolve().parent / "fake_generator.py"
SECRET = "e2e-gemini-key-3f9c1d"
WORK_SECONDS = 5


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Where the fake generator writes its records."""
    return tmp_path_factory.mktemp("fake-generator")


def fake_generator_launcher(records: Path) -> str:
    """The fake generator behind a script that gives it its settings: the
    handler passes on only the service's own settings (SPEC §16), so
    FAKE_GENERATOR_DIR could not travel through the environment."""
    script = records / "bilan-generator"
    script.write_text("#!/bin/sh\n"
                      f"export FAKE_GENERATOR_DIR='{records}' FAKE_GENERATOR_SECONDS={WORK_SECONDS}\n"
                      f'exec /usr/bin/python3 "{FAKE_GENERATOR}" "$@"\n')
    script.chmod(0o755)
    return str(script)


@pytest.fixture(scope="module")
def spawn_stack(records):
    records.chmod(0o755)
    stack = start_stack(env={
        "GENERATOR_PATH": fake_generator_launcher(records),
        "GEMINI_API_KEY": SECRET,
        "GEMINI_BASE_URL": "http://127.0.0.1:9",  # never called by the fake generator
    })
    yield stack
    stop_stack(stack)


@pytest.fixture(scope="module")
def spawned(spawn_stack, records):
    """Creates one bilan and gathers what the fake generator recorded."""
    client = Users(spawn_stack, "spawn").subscriber()
    started = time.monotonic()
    response = client.create()
    answered_after = time.monotonic() - started
    bilan_id = assert_json(response, 202)["bilanId"]

    path = wait_for(lambda: next(records.glob("*.json"), None), 5, "the generator's record")
    record = json.loads(path.read_text())
    pid = record["pid"]
    still_running = not (records / f"{pid}.finished").exists() and Path(f"/proc/{pid}").exists()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes() if still_running else b""
    return {"bilan_id": bilan_id, "answered_after": answered_after, "record": record, "pid": pid,
            "still_running": still_running, "cmdline": cmdline, "records": records}


def test_create_answers_without_waiting_for_the_generator(spawned):
    assert spawned["answered_after"] < 2.0, spawned["answered_after"]
    assert spawned["still_running"], "the generator had already finished when the answer came"


def test_generator_gets_run_and_the_bilan_id(spawned):
    assert spawned["record"]["argv"] == ["run", spawned["bilan_id"]]


def test_generator_runs_in_its_own_session(spawned):
    record = spawned["record"]
    assert record["sid"] == record["pid"], record
    assert record["pgid"] == record["pid"], record
    if record["parent_sid"] is not None:
        assert record["sid"] != record["parent_sid"], record


def test_generator_inherits_no_descriptor_beyond_stdio(spawned):
    fds = spawned["record"]["fds"]
    assert sorted(int(fd) for fd in fds) == [0, 1, 2], fds


def test_generator_stdio_is_not_tied_to_the_request(spawned):
    record = spawned["record"]
    assert record["stdin_is_dev_null"], record["fds"]
    for fd in ("1", "2"):
        target = record["fds"][fd]
        assert not target.startswith(("socket:", "pipe:")), record["fds"]


def test_no_secret_in_the_generator_command_line(spawned):
    assert all(SECRET not in arg for arg in spawned["record"]["argv"])
    assert SECRET.encode() not in spawned["cmdline"]


def test_generator_gets_the_settings_and_nothing_of_the_request(spawned):
    """An allow-list (SPEC §16): in CGI mode the handler's own environment
    is the request (HTTP_COOKIE holds the student's session)."""
    names = set(spawned["record"]["environ"]) - {"FAKE_GENERATOR_DIR", "FAKE_GENERATOR_SECONDS", "PWD", "SHLVL", "_"}
    assert "GEMINI_API_KEY" in names and "DATABASE_URL" in names and "PUBLIC_URL" in names, names
    request_variables = {n for n in names if n.startswith(("HTTP_", "CONTENT_", "REQUEST_", "QUERY_", "SCRIPT_",
                                                            "SERVER_", "REMOTE_", "DOCUMENT_", "GATEWAY_", "FCGI_"))}
    assert not request_variables, request_variables
    settings = (REPO / "Sources" / "BilanCore" / "Config" / "SettingNames.swift").read_text()
    allowed = set(re.findall(r'"([A-Za-z_]+)"', settings))
    assert names <= allowed, names - allowed


def test_generator_outlives_the_request(spawned):
    finished = spawned["records"] / f"{spawned['pid']}.finished"
    wait_for(finished.exists, WORK_SECONDS + 10, "the generator to finish its work")
    started = spawned["record"]["started"]
    assert float(finished.read_text()) - started >= WORK_SECONDS - 0.5
