"""Helpers of the generator end-to-end tests (test_generator.py): the real
`bilan-generator` against the fake Gemini server, the SMTP sink or the mail
folder, and PostgreSQL.

Everything here works on a `devstack.Stack` started by `support.start_stack`;
nothing is shared with the route tests' session stack (whose "generator" is
/bin/true).
"""
from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import html
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from integration.e2e.support import REPO, Client, Users, start_stack, stop_stack, wait_for  # noqa: F401  (wait_for re-exported)
# The `##` headings of every report, in order: read from ReportOutline.swift.
from testservers.swift_constants import REPORT_HEADINGS

# The questionnaires of shared/samples, kept in the repository.
SAMPLES_DIR = Path(os.environ.get("BILAN_SAMPLES", REPO / "fixtures" / "questionnaires" / "samples"))
SAMPLE_NAMES = sorted(path.stem for path in SAMPLES_DIR.glob("*.json"))

# Settings that keep a generation run short: quick backoff, a short per-call
# timeout (the `hang:10` fault outlives it), an immediate re-queue, few attempts.
FAST_ENV = {
    "GEMINI_RETRY_BASE_MS": "200",
    "GEMINI_TIMEOUT": "3",
    "GEMINI_MAX_TRIES": "3",
    "REQUEUE_BASE_SECONDS": "0",
    "MAX_ATTEMPTS": "3",
}

READY_SUBJECT = "✅ Votre Bilan d'Orientation est prêt !"
MAIL_FROM_ADDRESS = "bilan@example.org"

# Which call of a generation each pass makes, as the fake server labels it.
PASS_KIND = {1: "json", 2: "text", 3: "final"}
CHECKPOINT_KEYS = {1: "initial", 2: "psychopedagogique", 3: "terrain"}


def sample(name: str) -> dict:
    return json.loads((SAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def bilan_messages() -> dict[str, str]:
    """The user-safe messages of BilanMessages.swift, by name, read from the
    source so that the tests and the product cannot drift apart."""
    source = (REPO / "Sources" / "BilanCore" / "Domain" / "BilanMessages.swift").read_text(encoding="utf-8")
    found = dict(re.findall(r'static let (\w+)\s*=\s*"((?:[^"\\]|\\.)*)"', source))
    assert {"genericFailure", "tooManyAttempts", "contentRefused", "serviceMisconfigured"} <= found.keys(), found
    return found


# ---- fake Gemini ---------------------------------------------------------------
def reset_gemini(stack, latency_ms: int = 0):
    stack.gemini("POST", "/_control/reset", {})
    stack.gemini("POST", "/_control/latency", {"ms": latency_ms})


def set_faults(stack, faults: list[str]):
    stack.gemini("POST", "/_control/faults", {"faults": faults})


def set_default_fault(stack, fault: str | None):
    stack.gemini("POST", "/_control/default", {"fault": fault})


def gemini_requests(stack) -> list[dict]:
    return stack.gemini("GET", "/_control/requests")


def gemini_stats(stack) -> dict:
    return stack.gemini("GET", "/_control/stats")


def kinds(requests: list[dict]) -> list[str]:
    return [entry["kind"] for entry in requests]


# ---- users and bilans ------------------------------------------------------------
def new_client(stack, prefix: str) -> Client:
    """A fresh logged-in annual subscriber (unique address)."""
    return Users(stack, prefix).subscriber()


def create_bilan(client: Client, sample_name: str = "terminale-cpge-aero") -> str:
    response = client.post("/api/orientation/create", json=sample(sample_name))
    assert response.status_code == 202, f"create: {response.status_code} {response.text[:500]}"
    body = response.json()
    assert body["status"] == "PENDING", body
    return body["bilanId"]


def status_of(client: Client, bilan_id: str) -> dict:
    response = client.get(f"/api/orientation/bilan/{bilan_id}")
    assert response.status_code == 200, f"status: {response.status_code} {response.text[:500]}"
    return response.json()


def wait_settled(client: Client, bilan_id: str, timeout: float = 60) -> dict:
    """Polls the status route until the bilan is COMPLETED or FAILED."""
    return wait_for(lambda: (lambda b: b if b["status"] != "PENDING" else None)(status_of(client, bilan_id)),
                    timeout, f"bilan {bilan_id} to leave PENDING", interval=0.1)


def bilan_row(stack, bilan_id: str) -> dict:
    """The bilan's row, straight from PostgreSQL."""
    text = stack.psql("""SELECT row_to_json(b) FROM "orientation_bilans" b WHERE b."id" = :'v1'::uuid""", bilan_id)
    assert text, f"no row for {bilan_id}"
    return json.loads(text)


def pending_ids(stack) -> list[str]:
    text = stack.psql("""SELECT "id" FROM "orientation_bilans" WHERE "status" = 'PENDING' ORDER BY "createdAt" """)
    return text.split() if text else []


# ---- generator processes -------------------------------------------------------------
def generator_pids(stack) -> list[int]:
    return stack.generator_pids()


def wait_generators_idle(stack, timeout: float = 60):
    wait_for(lambda: not generator_pids(stack), timeout, "the stack's generators to exit", interval=0.1)


def wait_spawned_runs_done(stack, bilan_id: str, runs: int = 1, timeout: float = 60):
    """Waits until `runs` generators started for the bilan (bilan-create spawns
    its generator only after the answer has left, so a test may get there
    first) and then until no generator of the stack is left."""
    wait_for(lambda: sum('event="generator started"' in line for line in log_lines(stack, bilan_id)) >= runs,
             15, f"the generator of {bilan_id} to start", interval=0.05)
    wait_generators_idle(stack, timeout)


def kill_generators(stack):
    """Teardown only: SIGKILL whatever generator of this stack is still alive."""
    stack.kill_generators()


@contextlib.contextmanager
def generator_stack(**env):
    """A generator suite's own stack: mail to .eml files, FAST_ENV (plus `env`);
    stopped once its generators are idle."""
    stack = start_stack(mail="file", env=dict(FAST_ENV, **env))
    try:
        yield stack
    finally:
        stop_stack_when_idle(stack)


@contextlib.contextmanager
def clean_run(stack):
    """One test on a shared generator stack: no generator left from the
    previous one, the fake Gemini reset, and nothing left PENDING after."""
    wait_generators_idle(stack)
    reset_gemini(stack)
    yield stack
    assert_nothing_pending(stack)


def stop_stack_when_idle(stack):
    """Teardown: lets the stack's generators finish (30 s), kills any left, stops the stack."""
    try:
        wait_generators_idle(stack, timeout=30)
    except TimeoutError:
        kill_generators(stack)
    stop_stack(stack)


def generator_pid_for(bilan_id: str) -> int | None:
    result = subprocess.run(["pgrep", "-f", f"bilan-generator run {bilan_id}"], capture_output=True, text=True)
    pids = [int(p) for p in result.stdout.split()]
    return pids[0] if pids else None


def recover(stack) -> subprocess.CompletedProcess:
    result = stack.generator("recover")
    assert result.returncode == 0, f"recover exited {result.returncode}: {result.stderr[-2000:]}"
    return result


def log_lines(stack, bilan_id: str | None = None) -> list[str]:
    try:
        lines = stack.generator_log.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    return [line for line in lines if bilan_id is None or bilan_id in line]


def log_excerpt(stack, bilan_id: str | None = None, last: int = 40) -> str:
    return "\ngenerator log:\n" + "\n".join(log_lines(stack, bilan_id)[-last:])


def assert_nothing_pending(stack):
    wait_generators_idle(stack)
    left = pending_ids(stack)
    assert not left, f"bilans left PENDING: {left}" + log_excerpt(stack)


# ---- mail ------------------------------------------------------------------------------
def mail_files(stack) -> list[Path]:
    return sorted(stack.mail_dir.glob("*.eml"))


def raw_mails_to(stack, address: str) -> list[bytes]:
    found = []
    for path in mail_files(stack):
        data = path.read_bytes()
        message = email.message_from_bytes(data, policy=email.policy.default)
        if address.lower() in str(message.get("To", "")).lower():
            found.append(data)
    return found


def envelope_of(eml: Path) -> dict | None:
    """The SMTP sink's envelope record beside an .eml (None for the file transport)."""
    path = eml.with_suffix(".json")
    return json.loads(path.read_text()) if path.exists() else None


def raw_header(data: bytes, name: str) -> bytes:
    """A header as it is on the wire (folded lines joined), from the raw message."""
    head = data.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in data else data.split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    out, current = [], None
    for line in lines:
        if line[:1] in (b" ", b"\t") and current is not None:
            current += line
        else:
            if current is not None:
                out.append(current)
            current = line
    if current is not None:
        out.append(current)
    prefix = name.lower().encode() + b":"
    values = [line[len(prefix):].strip() for line in out if line.lower().startswith(prefix)]
    assert len(values) == 1, f"expected one {name} header, got {values}"
    return values[0]


def check_ready_mail(data: bytes, *, link: str, address: str):
    """Everything SPEC §8 asks of the notification, on the raw bytes."""
    for number, line in enumerate(data.split(b"\n"), 1):
        line = line[:-1] if line.endswith(b"\r") else line
        assert len(line) <= 998, f"line {number} is {len(line)} octets long: {line[:80]!r}…"
    raw_subject = raw_header(data, "Subject")
    assert raw_subject.isascii() and b"=?" in raw_subject, f"Subject not RFC 2047 encoded: {raw_subject!r}"

    message = email.message_from_bytes(data, policy=email.policy.default)
    assert str(message["Subject"]) == READY_SUBJECT, message["Subject"]
    assert message["Date"] is not None and message["Date"].datetime is not None, message["Date"]
    assert message["Message-ID"] and re.fullmatch(r"\s*<[^<>@\s]+@[^<>@\s]+>\s*", str(message["Message-ID"])), \
        message["Message-ID"]
    assert MAIL_FROM_ADDRESS in str(message["From"]), message["From"]
    assert address.lower() in str(message["To"]).lower(), message["To"]
    alternative = ready_mail_alternative(message)
    parts = list(alternative.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"], \
        [part.get_content_type() for part in parts]
    text = parts[0].get_content()
    page = parts[1].get_content()
    assert link in text, f"{link} not in the text part:\n{text}"
    assert f'href="{link}"' in page, f"{link} not a link of the HTML part"
    readable = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for heading in REPORT_HEADINGS:
        assert heading in text, f"section « {heading} » missing from the text part:\n{text}"
        assert heading in readable, f"section « {heading} » missing from the HTML part"
    check_safe_html(page)
    return message


def ready_mail_alternative(message):
    """The text/HTML alternative of a ready mail: the message itself, or its
    first part when the report PDF is attached (SPEC §14: multipart/mixed,
    the alternative first, then the PDF)."""
    if message.get_content_type() == "multipart/alternative":
        return message
    assert message.get_content_type() == "multipart/mixed", message.get_content_type()
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["multipart/alternative", "application/pdf"], \
        [part.get_content_type() for part in parts]
    return parts[0]


def pdf_attachments(message) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each PDF attached to a mail."""
    return [(part.get_filename(), part.get_content()) for part in message.walk()
            if part.get_content_type() == "application/pdf"]


# ---- hostile content ----------------------------------------------------------------------
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def check_safe_html(page: str):
    """No markup from the model survives as active content."""
    lowered = page.lower()
    assert "<script>alert" not in lowered, "an injected <script>alert survived"
    assert not re.search(r"<[a-z][^>]*\sonerror\s*=", lowered), "an onerror= attribute survived in a tag"
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", lowered), "a javascript: href survived"
    collector = _TagCollector()
    collector.feed(page)
    problems = []
    for tag, attrs in collector.tags:
        if tag in ("iframe", "object", "embed"):
            problems.append(f"<{tag}>")
        if tag == "script" and not any(name == "src" and (value or "").startswith("/assets/") for name, value in attrs):
            problems.append(f"<script {attrs}>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                compact = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                if compact.startswith(DANGEROUS_SCHEMES):
                    problems.append(f"<{tag} {name}={value!r}>")
    assert not collector.script_text, f"inline script content: {collector.script_text[:3]}"
    assert not problems, f"active content in the page: {problems}"
