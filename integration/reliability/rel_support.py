"""Helpers of the reliability suite (integration/reliability): a raw HTTP client
for requests that `requests` cannot send (chunked bodies, invalid bytes in
the request line, lying headers), a database fingerprint, process facts
(/proc), wrk, and stacks with custom secrets.

Reuses the end-to-end helpers (integration/e2e/support.py): `start_stack`,
`Client`, `Users`, `fresh_address`.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

from integration.e2e.support import (JSON_TYPE, QUESTIONNAIRE, SESSION_COOKIE, Client, SourceAddressAdapter, Users,  # noqa: F401
                     fresh_address, psql_url, start_stack, stop_stack, wait_for)
from scripts.devstack import Stack  # noqa: F401
from integration.e2e.generator_support import (generator_pids, kill_generators, stop_stack_when_idle,  # noqa: F401
                               wait_generators_idle)

# The tables whose content the bad-input corpus must leave untouched, with
# the column(s) that order their rows.
TABLES = {
    "users": '"id"',
    "sessions": '"tokenHash"',
    "login_tokens": '"tokenHash"',
    "payments": '"id"',
    "orientation_bilans": '"id"',
}


# ---- database --------------------------------------------------------------------
def db_fingerprint(stack) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row (as text, ordered by primary key) of
    each table of TABLES."""
    parts = [f"""SELECT '{name}', count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.{key}), ''))
                 FROM {name} t""" for name, key in TABLES.items()]
    out = psql_url(stack.env["DATABASE_URL"], " UNION ALL ".join(parts) + ";")
    result = {}
    for line in out.splitlines():
        name, count, digest = line.split("|")
        result[name] = (int(count), digest)
    return result


def session_token(stack, email: str) -> str:
    return stack.admin("session", email).stdout.strip()


def expire_session(stack, token: str):
    stack.psql("""UPDATE sessions SET "expiresAt" = now() - interval '1 second'
                  WHERE "tokenHash" = sha256(convert_to(:'v1', 'UTF8'))""", token)


# ---- raw HTTP ----------------------------------------------------------------------
@dataclass
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str]          # lower-cased names (last value wins)
    header_list: list[tuple[str, str]]
    body: bytes
    elapsed: float
    send_error: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Hang(Exception):
    """The server did not answer within the case's time limit."""


def _decode_chunked(data: bytes) -> bytes:
    out = bytearray()
    while data:
        line, _, rest = data.partition(b"\r\n")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return bytes(out)


def parse_response(raw: bytes, elapsed: float, send_error: str | None = None) -> RawResponse:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise Hang(f"incomplete answer ({len(raw)} bytes): {raw[:200]!r}")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    header_list = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        header_list.append((name.strip(), value.strip()))
    headers = {name.lower(): value for name, value in header_list}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _decode_chunked(body)
    elif "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return RawResponse(int(status), reason[0] if reason else "", headers, header_list, body, elapsed, send_error)


def raw_exchange(port: int, request: bytes, *, source: str | None = None, timeout: float = 10.0,
                 body_chunks=None) -> RawResponse:
    """Sends `request` (then each of `body_chunks`, if given) on a fresh
    connection and reads the answer until the server closes it. Raises Hang
    when nothing complete came back within `timeout` seconds."""
    started = time.monotonic()
    deadline = started + timeout
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    send_error = None
    received = bytearray()
    try:
        sock.settimeout(timeout)
        try:
            sock.sendall(request)
            for chunk in body_chunks or ():
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as error:
            # nginx may answer (413) and stop reading before the body is sent.
            send_error = type(error).__name__
        # No shutdown(SHUT_WR): nginx takes a half-closed connection for a
        # client that went away (499) and drops the upstream request.
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Hang(f"no complete answer after {timeout:.0f}s ({len(received)} bytes)")
            sock.settimeout(remaining)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                raise Hang(f"no complete answer after {timeout:.0f}s ({len(received)} bytes)") from None
            except ConnectionResetError:
                break
            if not data:
                break
            received += data
    finally:
        sock.close()
    return parse_response(bytes(received), time.monotonic() - started, send_error)


def build_request(method: str, target: str | bytes, *, headers: list[tuple[str, str | bytes]] = (),
                  body: bytes | None = None, content_length: bool = True, host: str = "127.0.0.1") -> bytes:
    """An HTTP/1.1 request, byte for byte, with Connection: close."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host.encode(), b"Connection: close"]
    for name, value in headers:
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("utf-8")))
    if body is not None and content_length:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body if body is not None and content_length else b"")


def chunked(body: bytes, size: int = 4096) -> list[bytes]:
    """`body` in Transfer-Encoding: chunked framing, chunks of `size` bytes."""
    out = [b"%x\r\n" % len(body[i:i + size]) + body[i:i + size] + b"\r\n" for i in range(0, len(body), size)]
    return out + [b"0\r\n\r\n"]


# ---- processes ------------------------------------------------------------------------
def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def all_cmdlines() -> dict[int, bytes]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                pass
    return found


def recover(stack, timeout: float = 300) -> subprocess.CompletedProcess:
    result = stack.generator("recover", timeout=timeout)
    assert result.returncode == 0, f"recover exited {result.returncode}: {result.stderr[-2000:]}"
    return result


def log_tail(path: Path, grep: str | None = None, last: int = 30) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} missing)"
    if grep:
        lines = [line for line in lines if grep in line]
    return "\n".join(lines[-last:])


# ---- wrk ----------------------------------------------------------------------------------
@dataclass
class WrkResult:
    requests: int
    duration_s: float
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    requests_per_s: float
    latency_p99_ms: float | None
    output: str


def _duration_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(url: str, *, seconds: int, connections: int, threads: int = 2, headers: dict[str, str] | None = None,
            workdir: Path) -> WrkResult:
    """wrk with a Lua script that sets `headers` (the Cookie header)."""
    script = workdir / "wrk-headers.lua"
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()]
    script.write_text("\n".join(lines) + "\n")
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
            "--timeout", "5s", "-s", str(script), url]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    requests_done, duration = int(m.group(1)), _duration_ms(m.group(2) + m.group(3)) / 1000
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = {}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    return WrkResult(requests_done, duration, int(non.group(1)) if non else 0, errors, rps,
                     _duration_ms(p99.group(1)) if p99 else None, out)


# ---- figures for docs/RELIABILITY.md ------------------------------------------------------------
FIGURES = Path(os.environ.get("BILAN_RELIABILITY_FIGURES", "/tmp/bilan-reliability-figures.jsonl"))


def record(test: str, **figures):
    """Prints one line of figures and appends it to FIGURES (JSON lines)."""
    line = {"test": test, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **figures}
    print(f"\n[figures] {json.dumps(line, ensure_ascii=False)}")
    with open(FIGURES, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


# ---- many users at once ----------------------------------------------------------------------------
def bulk_subscribers(stack, count: int, prefix: str, plan: str = "ANNUAL") -> list["Client"]:
    """Logged-in paying users, made in one statement (devstack's bulk_subscribers)."""
    return [Client(stack, token, email) for email, token in stack.bulk_subscribers(count, prefix, plan)]


def client_at(stack, address: str, token: str | None = None, email: str | None = None) -> "Client":
    """A Client whose requests leave from `address`, which other clients may
    share: the students of a school behind one public address."""
    client = Client(stack, token, email)
    client.address = address
    client.http.mount("http://", SourceAddressAdapter(address))
    return client


# ---- nginx's per-address limits, as shipped -------------------------------------------------------
@dataclass
class NginxLimit:
    """One limit_req zone of nginx/bilan-http.conf with the burst its location
    gives it (nginx/bilan-locations.conf, `nodelay`): a leaky bucket that lets
    `at_once` requests through at the same instant, then `rate` a second."""
    zone: str
    rate: float   # requests a second
    burst: int

    @property
    def at_once(self) -> int:
        return self.burst + 1

    def most_in(self, seconds: float) -> int:
        """The most requests one address can get through in `seconds`."""
        return self.at_once + int(self.rate * seconds)


def nginx_limit(zone: str) -> NginxLimit:
    http_conf = (REPO / "nginx" / "bilan-http.conf").read_text()
    locations = (REPO / "nginx" / "bilan-locations.conf").read_text()
    rate = re.search(rf"^limit_req_zone\s+\S+\s+zone={zone}:\S+\s+rate=(\d+)r/([sm]);", http_conf, re.M)
    bursts = set(re.findall(rf"^\s*limit_req\s+zone={zone}\s+burst=(\d+)\s+nodelay;", locations, re.M))
    assert rate and len(bursts) == 1, f"zone {zone}: rate {rate}, bursts {bursts}"
    per_second = int(rate.group(1)) / (60 if rate.group(2) == "m" else 1)
    return NginxLimit(zone, per_second, int(bursts.pop()))
