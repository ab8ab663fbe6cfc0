"""What a sysadmin watches, on the stack running from the installed tree:
- `GET /api/orientation/health` (JSON) and `/api/orientation/metrics`
  (Prometheus text), answered to 127.0.0.1 only (the shipped nginx snippet:
  `allow 127.0.0.1; allow ::1; deny all;`); another loopback address gets 403;
- the logs: one key=value line per event carrying `bilan=<id>`, from the
  handlers into nginx's error log (FastCGI error stream) and from the
  generator into GENERATOR_LOG.
"""
import re

import pytest
import requests

from integration.deploy.deploy_support import Users, wait_for
from integration.e2e.generator_support import log_lines, wait_generators_idle, wait_settled
from integration.e2e.support import SourceAddressAdapter, assert_json

PENDING_AGE_SECONDS = 300
KEY_VALUE = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|[^\s"]+)')


def http_from(address: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", SourceAddressAdapter(address))
    return session


def get(stack, path: str, address: str) -> requests.Response:
    return http_from(address).get(stack.base_url + path, timeout=15, allow_redirects=False)


def parse_key_values(line: str) -> dict[str, str]:
    """A log line as {key: value}; fails unless the whole line is key=value pairs."""
    fields, position = {}, 0
    while position < len(line):
        match = KEY_VALUE.match(line, position)
        assert match, f"not key=value at {position}: {line!r}"
        value = match[2]
        if value.startswith('"'):
            value = re.sub(r'\\(.)', r'\1', value[1:-1])
        fields[match[1]] = value
        position = match.end()
    for key in ("ts", "level", "program", "event"):
        assert key in fields, f"no {key}= in {line!r}"
    return fields


# ---- health and metrics ------------------------------------------------------------------
@pytest.fixture
def queued_bilan(installed_stack):
    """A PENDING bilan created 5 minutes ago whose next attempt is tomorrow (no
    generator picks it up while the test runs); removed afterwards."""
    stack = installed_stack
    wait_generators_idle(stack)
    bilan_id = stack.psql(
        """INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "createdAt", "updatedAt", "nextAttemptAt")
           VALUES (gen_random_uuid(), '{}', 'PENDING', now() - make_interval(secs => :'v1'::int), now(),
                   now() + interval '1 day')
           RETURNING "id" """, str(PENDING_AGE_SECONDS))
    yield bilan_id.splitlines()[0]
    stack.psql("""DELETE FROM "orientation_bilans" WHERE "id" = :'v1'::uuid""", bilan_id.splitlines()[0])


def count_by_status(stack) -> dict[str, int]:
    rows = stack.psql("""SELECT "status", count(*) FROM "orientation_bilans" GROUP BY 1""")
    counts = {"PENDING": 0, "COMPLETED": 0, "FAILED": 0}
    for row in rows.splitlines():
        status, count = row.split("|")
        counts[status] = int(count)
    return counts


def test_health_from_localhost(installed_stack, queued_bilan):
    body = assert_json(get(installed_stack, "/api/orientation/health", "127.0.0.1"), 200)
    assert body["status"] == "ok" and body["database"] == "ok", body
    assert isinstance(body["queueDepth"], int) and isinstance(body["oldestPendingSeconds"], int), body
    assert body["queueDepth"] == count_by_status(installed_stack)["PENDING"] >= 1, body
    assert PENDING_AGE_SECONDS <= body["oldestPendingSeconds"] < PENDING_AGE_SECONDS + 120, body


def test_metrics_from_localhost(installed_stack, queued_bilan):
    response = get(installed_stack, "/api/orientation/metrics", "127.0.0.1")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    samples = {}
    for line in response.text.splitlines():
        if line.startswith("#"):
            assert re.fullmatch(r"# (HELP \w+ .+|TYPE \w+ (gauge|counter))", line), line
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    counts = count_by_status(installed_stack)
    for status, count in counts.items():
        assert samples[f'bilan_bilans{{status="{status}"}}'] == count, (status, response.text)
    assert samples['bilan_bilans{status="PENDING"}'] >= 1
    for name in ("bilan_generator_runs_total", "bilan_mails_sent_total", "bilan_mails_failed_total", "bilan_mails_owed"):
        assert name in samples, response.text


@pytest.mark.parametrize("path", ["/api/orientation/health", "/api/orientation/metrics"])
@pytest.mark.parametrize("address", ["127.0.0.2", "127.1.2.3"])
def test_monitoring_refused_to_other_addresses(installed_stack, path, address):
    response = get(installed_stack, path, address)
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert "queueDepth" not in response.text and "bilan_bilans" not in response.text


# ---- logs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(installed_stack):
    """One bilan created through nginx and generated; the logs are read once
    the generator has said it finished."""
    stack = installed_stack
    client = Users(stack, "logs").subscriber()
    bilan_id = client.create_ok()
    assert wait_settled(client, bilan_id, timeout=90)["status"] == "COMPLETED"
    wait_for(lambda: any('event="generator finished"' in line for line in log_lines(stack, bilan_id)), 30,
             "the generator's last line")
    return bilan_id


def test_handler_lines_reach_nginx_error_log(installed_stack, generated):
    lines = [line for line in installed_stack.nginx_log.read_text(errors="replace").splitlines()
             if f"bilan={generated}" in line]
    assert lines, f"no line with bilan={generated} in nginx's error log"
    create_lines = []
    for line in lines:
        match = re.search(r'FastCGI sent in stderr: "(.*)" while .*request: "POST /api/orientation/create ', line)
        if match:
            fields = parse_key_values(match[1])
            assert fields["program"] == "bilan-create", fields
            assert fields["bilan"] == generated, fields
            create_lines.append(fields)
    assert create_lines, "\n".join(lines)


def test_generator_lines_in_generator_log(installed_stack, generated):
    lines = log_lines(installed_stack, generated)
    events = []
    for line in lines:
        fields = parse_key_values(line)
        if fields.get("bilan") == generated:
            assert fields["program"] == "bilan-generator", fields
            events.append(fields["event"])
    assert "generator started" in events and "generator finished" in events, events
    # Each step logs a line of its own (SPEC §7).
    assert len(events) >= 5, events
