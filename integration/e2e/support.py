"""Helpers of the end-to-end suite: starting a stack, a browser-like HTTP
client, users, and the assertions every JSON answer must pass.

Every client talks from its own loopback address (127.77.x.y): nginx's
per-address rate limits (nginx/bilan-http.conf) then never couple two
tests, while each limit still applies to what one client does.
"""
from __future__ import annotations

import email
import email.message
import email.policy
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from datetime import datetime
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from scripts.devstack import PG_BIN, REPO, Stack, wait_for

JSON_TYPE = "application/json; charset=utf-8"
SESSION_COOKIE = "bilan_session"

# A complete, valid questionnaire (SPEC §5).
QUESTIONNAIRE = {
    "niveau": "TERMINALE",
    "filiere": "GENERALE",
    "specialites": ["MATHEMATIQUES", "PHYSIQUE_CHIMIE"],
    "options": ["MATHS_EXPERTES"],
    "moyennes": {"generale": 14.5, "mathematiques": 16.0},
    "matieresPreferees": ["mathématiques", "physique"],
    "centresInteret": "Astronomie, club de robotique du lycée.",
    "projetProfessionnel": "Devenir ingénieure dans l'aéronautique.",
    "typesEtudes": ["CPGE", "ECOLE_INGENIEUR_POSTBAC"],
    "dureeEtudes": "BAC_5",
    "mobilite": "NATIONALE",
    "alternance": False,
    "pointsForts": "Rigueur, curiosité.",
    "difficultes": "Le stress pendant les contrôles.",
    "commentaire": "Merci !",
}


# ---- stacks ------------------------------------------------------------------
def bin_dir() -> Path:
    return Path(os.environ.get("BILAN_BIN", REPO / ".build" / "release")).resolve()


def mail_only_generator() -> str:
    """A stand-in for bilan-generator that sends queued mail for real (login
    links go through `bilan-generator send-mail`, SPEC §16) and does nothing
    for `run`, so a bilan stays exactly as a test put it. The real program's
    path is written into the script: the spawned process inherits only the
    settings' environment variables."""
    folder = Path(tempfile.mkdtemp(prefix="bilan-mail-only-"))
    script = folder / "bilan-generator"
    script.write_text("#!/bin/sh\n"
                      f'[ "$1" = send-mail ] && exec "{bin_dir() / "bilan-generator"}" send-mail\n'
                      "exit 0\n")
    script.chmod(0o755)
    folder.chmod(0o755)
    return str(script)


def start_stack(**options) -> Stack:
    """Starts a Stack in a fresh temporary folder (removed by `stop_stack`)."""
    root = Path(tempfile.mkdtemp(prefix="bilan-e2e-"))
    # The cluster runs as `postgres`, which must be able to reach its folders.
    os.chmod(root, 0o755)
    # BILAN_E2E_MODE=cgi runs the same tests through fcgiwrap (CGI mode).
    options.setdefault("mode", os.environ.get("BILAN_E2E_MODE", "fastcgi"))
    stack = Stack(root, bin_dir=bin_dir(), **options)
    try:
        return stack.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def stop_stack(stack: Stack):
    stack.stop()
    if os.environ.get("BILAN_E2E_KEEP"):
        print(f"\nstack kept in {stack.root}")
    else:
        shutil.rmtree(stack.root, ignore_errors=True)


def psql_url(url: str, sql: str, *params: str) -> str:
    """Like Stack.psql, against any database URL (psql variables :'v1'…)."""
    argv = [str(PG_BIN / "psql"), url, "-XtAq", "-v", "ON_ERROR_STOP=1"]
    for i, value in enumerate(params, 1):
        argv += ["-v", f"v{i}={value}"]
    result = subprocess.run(argv, input=sql, capture_output=True, text=True, env={"PGTZ": "UTC"})
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr}")
    return result.stdout.strip()


# ---- HTTP clients --------------------------------------------------------------
_addresses = itertools.count()
_addresses_lock = threading.Lock()


def fresh_address() -> str:
    """A loopback address that no other client of this run uses."""
    with _addresses_lock:
        n = next(_addresses)
    return f"127.77.{n // 250 % 256}.{n % 250 + 1}"


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


class Client:
    """A browser-like client of the stack: same-origin `Origin` on every
    request (unless told otherwise), the session cookie when it has one, no
    redirect following, and a timeout so that a hung handler fails the test
    instead of hanging the suite."""

    def __init__(self, stack: Stack, token: str | None = None, email: str | None = None,
                 origin: str | None = "same"):
        self.stack = stack
        self.token = token
        self.email = email
        self.address = fresh_address()
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.mount("http://", SourceAddressAdapter(self.address))
        if origin == "same":
            origin = stack.base_url
        if origin is not None:
            self.http.headers["Origin"] = origin

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token is not None and "Cookie" not in headers:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.token}"
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        return self.http.request(method, self.stack.base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    # The routes of SPEC §3.
    def eligibility(self, **kwargs) -> requests.Response:
        return self.get("/api/orientation/eligibility", **kwargs)

    def create(self, questionnaire=None, **kwargs) -> requests.Response:
        body = QUESTIONNAIRE if questionnaire is None else questionnaire
        return self.post("/api/orientation/create", json=body, **kwargs)

    def create_ok(self, questionnaire=None) -> str:
        """Creates a bilan and returns its id (fails the test otherwise)."""
        response = self.create(questionnaire)
        assert response.status_code == 202, response.text
        return response.json()["bilanId"]

    def bilan(self, bilan_id: str, **kwargs) -> requests.Response:
        return self.get(f"/api/orientation/bilan/{bilan_id}", **kwargs)

    def history(self, **kwargs) -> requests.Response:
        return self.get("/api/orientation/bilans", **kwargs)


class Users:
    """Makes users with unique addresses, so that tests never share one."""

    def __init__(self, stack: Stack, prefix: str):
        self.stack = stack
        self.prefix = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-")[:40] or "user"

    def address(self) -> str:
        return f"{self.prefix}-{uuid.uuid4().hex[:10]}@example.org"

    def subscriber(self, plan: str = "ANNUAL") -> Client:
        """A logged-in user with one SUCCEEDED payment."""
        address = self.address()
        return Client(self.stack, self.stack.subscriber(address, plan), address)

    def with_payments(self, *payments: tuple[str, str]) -> Client:
        """A logged-in user whose payments are exactly `payments` ((plan, status)…)."""
        address = self.registered()
        for plan, status in payments:
            self.stack.admin("payment", "add", address, "--plan", plan, "--status", status)
        return Client(self.stack, self.stack.admin("session", address).stdout.strip(), address)

    def registered(self) -> str:
        """A user who exists but is not logged in; returns the address."""
        address = self.address()
        self.stack.admin("user", "add", address)
        return address

    def anonymous(self, origin: str | None = "same") -> Client:
        return Client(self.stack, origin=origin)


# ---- assertions ----------------------------------------------------------------
def assert_json(response: requests.Response, status: int) -> dict:
    """The status, the three headers every JSON answer carries, and the body."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.path_url}: expected {status}, "
        f"got {response.status_code}: {response.text[:500]}")
    assert response.headers.get("Content-Type") == JSON_TYPE, dict(response.headers)
    assert response.headers.get("Cache-Control") == "no-store", dict(response.headers)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", dict(response.headers)
    return response.json()


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    """A JSON error answer: `error` is `code`, `message` a non-empty sentence."""
    body = assert_json(response, status)
    assert body.get("error") == code, body
    assert isinstance(body.get("message"), str) and body["message"].strip(), body
    return body


def iso(text: str) -> datetime:
    """Parses the API's ISO 8601 instants (`2026-01-31T12:00:00.000Z`)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- mail ------------------------------------------------------------------------
def mails_to(stack: Stack, address: str) -> list[email.message.EmailMessage]:
    """The .eml files of the mail folder addressed to `address`."""
    found = []
    for path in sorted(stack.mail_dir.glob("*.eml")):
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        if address.lower() in str(message.get("To", "")).lower():
            found.append(message)
    return found


def wait_for_mail(stack: Stack, address: str, timeout: float = 10) -> email.message.EmailMessage:
    return wait_for(lambda: (mails_to(stack, address) or [None])[-1], timeout, f"a mail to {address}")


def text_of(message: email.message.EmailMessage) -> str:
    """The decoded text of every text part (quoted-printable, base64…)."""
    return "\n".join(part.get_content() for part in message.walk()
                     if part.get_content_maintype() == "text")
