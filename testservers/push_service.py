#!/usr/bin/python3
"""A local Web Push service, for tests and `make run` (issue 14).

It plays both ends a real push service sits between: it makes browser-like
subscriptions (a P-256 key pair and an auth secret each, the private key
kept here), and it receives what an application server pushes to them as
RFC 8030 says (`POST /push/<id>`, 201 Created). Each push is checked as a
real service would check it, and more strictly: `TTL` present, `Content-
Encoding: aes128gcm`, a VAPID `Authorization` (RFC 8292) whose ES256
signature verifies with its `k` key, whose `aud` is this service's origin,
whose `exp` is in the future and at most 24 h ahead, whose `sub` is a
mailto: or https: contact, and whose `k` is the key the subscription was
made with (if one was given). The body is then decrypted (RFC 8291,
aes128gcm) with the subscription's private key, and the plaintext recorded.

Tests steer it over HTTP (`/_control/...`, see README.md): make
subscriptions, script the next answers of one (404, 410, 429, 500, 502,
503, or `hang`), expire one (410 from then on), read what was received.
`--record FILE` also appends each received message to FILE as a JSON line.
Needs Debian's python3-cryptography.
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from testservers.server_support import serve_until_stopped

PUSH_PATH = re.compile(r"^/push/([A-Za-z0-9_-]+)$")
SUBSCRIPTION_PATH = re.compile(r"^/_control/subscriptions/([A-Za-z0-9_-]+)(/answers)?$")
MAX_BODY_BYTES = 4096          # RFC 8291 §4: what a push service must accept at most
MAX_JWT_LIFETIME = 24 * 3600   # RFC 8292 §2
CLOCK_SKEW = 60
SCRIPTED_STATUSES = {404, 410, 429, 500, 502, 503}
DEFAULT_HANG_SECONDS = 30.0


def log(message):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(f"{stamp} push_service: {message}", file=sys.stderr, flush=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", text or ""):
        raise ValueError("not base64url")
    text = text.rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


# ---------------------------------------------------------------------------
# RFC 8291 and RFC 8292, from the receiving side
# ---------------------------------------------------------------------------

class Refusal(Exception):
    """A push the service refuses: the HTTP status and why."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def decrypt_aes128gcm(body: bytes, private_key, auth_secret: bytes) -> bytes:
    """RFC 8291 §3.4 + RFC 8188: the plaintext of a one-record message."""
    if len(body) < 21 + 65 + 17:
        raise Refusal(400, "body shorter than an aes128gcm header and record")
    salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    if id_length != 65:
        raise Refusal(400, f"key id of {id_length} bytes, expected the sender's 65-byte public key")
    sender_key, record = body[21:86], body[86:]
    if len(record) > record_size:
        raise Refusal(400, "more than one record")
    try:
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_key)
    except ValueError:
        raise Refusal(400, "the key id is not a P-256 point") from None
    ecdh_secret = private_key.exchange(ec.ECDH(), sender)
    key_info = b"WebPush: info\x00" + public_bytes(private_key) + sender_key
    ikm = hmac_sha256(hmac_sha256(auth_secret, ecdh_secret), key_info + b"\x01")
    prk = hmac_sha256(salt, ikm)
    cek = hmac_sha256(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = hmac_sha256(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    try:
        padded = AESGCM(cek).decrypt(nonce, record, None)
    except InvalidTag:
        raise Refusal(400, "aes128gcm record does not decrypt (wrong keys or corrupted)") from None
    stripped = padded.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x02:
        raise Refusal(400, "the last record does not end with the 0x02 delimiter")
    return stripped[:-1]


def verify_vapid(header: str, origin: str, now: float) -> dict:
    """Checks `Authorization: vapid t=<JWT>, k=<key>`; returns the claims and key."""
    match = re.fullmatch(r"\s*vapid\s+(.*)", header or "", re.IGNORECASE)
    if not match:
        raise Refusal(401, "no 'Authorization: vapid' header")
    params = {}
    for part in match.group(1).split(","):
        name, _, value = part.strip().partition("=")
        params[name.strip().lower()] = value.strip()
    token, key_text = params.get("t"), params.get("k")
    if not token or not key_text:
        raise Refusal(401, "vapid header without t= and k=")
    parts = token.split(".")
    if len(parts) != 3:
        raise Refusal(401, "the JWT does not have three parts")
    try:
        jwt_header = json.loads(unb64url(parts[0]))
        claims = json.loads(unb64url(parts[1]))
        signature = unb64url(parts[2])
        key_bytes = unb64url(key_text)
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
    except (ValueError, json.JSONDecodeError):
        raise Refusal(401, "unreadable JWT or k=") from None
    if jwt_header.get("alg") != "ES256" or jwt_header.get("typ", "JWT") != "JWT":
        raise Refusal(401, f"JWT header {jwt_header}: expected ES256")
    if len(signature) != 64:
        raise Refusal(401, f"ES256 signature of {len(signature)} bytes, expected 64 (r || s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refusal(401, "the JWT's signature does not verify with k=") from None
    if claims.get("aud") != origin:
        raise Refusal(401, f"aud {claims.get('aud')!r} is not this push service's origin {origin!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now - CLOCK_SKEW or exp > now + MAX_JWT_LIFETIME + CLOCK_SKEW:
        raise Refusal(401, f"exp {exp!r} is not in the next 24 hours")
    sub = claims.get("sub", "")
    if not (isinstance(sub, str) and (sub.startswith("mailto:") or sub.startswith("https:"))):
        raise Refusal(401, f"sub {sub!r} is neither mailto: nor https:")
    return {"claims": claims, "k": key_text, "key": key_bytes}


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------

class Subscription:
    def __init__(self, ident, application_server_key=None):
        self.id = ident
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)
        self.application_server_key = application_server_key
        self.expired = False
        self.answers = []          # scripted statuses for the next pushes, in order
        self.default_answer = None

    def keys(self):
        return {"p256dh": b64url(public_bytes(self.private_key)), "auth": b64url(self.auth)}


class State:
    def __init__(self, record_path=None):
        self.lock = threading.Lock()
        self.subscriptions = {}
        self.messages = []
        self.requests = []
        self.record_path = record_path

    def reset(self):
        with self.lock:
            self.subscriptions.clear()
            self.messages.clear()
            self.requests.clear()


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    server_version = "push_service/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # one line per push instead, below
        pass

    @property
    def state(self) -> State:
        return self.server.state

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def json_body(self):
        raw = self.body()
        try:
            return json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return None

    def reply(self, status, payload=None, headers=()):
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- routes --------------------------------------------------------------
    def do_GET(self):
        url = urlsplit(self.path)
        with self.state.lock:
            if url.path == "/_control/health":
                return self.reply(200, {"ok": True})
            if url.path == "/_control/messages":
                wanted = parse_qs(url.query).get("subscription", [None])[0]
                return self.reply(200, [m for m in self.state.messages if wanted in (None, m["subscription"])])
            if url.path == "/_control/requests":
                return self.reply(200, list(self.state.requests))
            match = SUBSCRIPTION_PATH.match(url.path)
            if match and not match.group(2) and match.group(1) in self.state.subscriptions:
                sub = self.state.subscriptions[match.group(1)]
                return self.reply(200, self.describe(sub))
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        url = urlsplit(self.path)
        push = PUSH_PATH.match(url.path)
        if push:
            return self.receive_push(push.group(1))
        payload = self.json_body()
        if payload is None or not isinstance(payload, dict):
            return self.reply(400, {"error": "the body must be a JSON object"})
        if url.path == "/_control/reset":
            self.state.reset()
            return self.reply(200, {"ok": True})
        if url.path == "/_control/subscriptions":
            return self.make_subscription(payload)
        match = SUBSCRIPTION_PATH.match(url.path)
        if match and match.group(2):
            return self.script_answers(match.group(1), payload)
        self.reply(404, {"error": "not found"})

    def do_DELETE(self):
        match = SUBSCRIPTION_PATH.match(urlsplit(self.path).path)
        with self.state.lock:
            sub = self.state.subscriptions.get(match.group(1)) if match and not match.group(2) else None
            if sub is None:
                return self.reply(404, {"error": "no such subscription"})
            sub.expired = True
        log(f"subscription {sub.id} expired: pushes now get 410")
        self.reply(200, {"expired": True})

    # ---- control -------------------------------------------------------------
    def describe(self, sub):
        return {"id": sub.id, "endpoint": f"{self.origin}/push/{sub.id}", "expirationTime": None,
                "keys": sub.keys(), "expired": sub.expired}

    def make_subscription(self, payload):
        key = payload.get("applicationServerKey")
        try:
            key_bytes = unb64url(key) if key else None
        except ValueError:
            return self.reply(400, {"error": "applicationServerKey is not base64url"})
        with self.state.lock:
            ident = payload.get("id") or secrets.token_urlsafe(12)
            if not re.fullmatch(r"[A-Za-z0-9_-]+", ident) or ident in self.state.subscriptions:
                return self.reply(400, {"error": f"id {ident!r} is taken or not [A-Za-z0-9_-]+"})
            sub = Subscription(ident, key_bytes)
            self.state.subscriptions[ident] = sub
            described = self.describe(sub)
        self.reply(201, described)

    def script_answers(self, ident, payload):
        answers = payload.get("answers", [])
        default = payload.get("default")
        for answer in answers + ([default] if default is not None else []):
            if not (answer in SCRIPTED_STATUSES or (isinstance(answer, str) and re.fullmatch(r"hang(:\d+(\.\d+)?)?", answer))):
                return self.reply(400, {"error": f"unknown answer {answer!r}: {sorted(SCRIPTED_STATUSES)} or hang[:s]"})
        with self.state.lock:
            sub = self.state.subscriptions.get(ident)
            if sub is None:
                return self.reply(404, {"error": "no such subscription"})
            sub.answers = list(answers)
            sub.default_answer = default
        self.reply(200, {"answers": answers, "default": default})

    # ---- RFC 8030 ------------------------------------------------------------
    def receive_push(self, ident):
        body = self.body()
        entry = {"t": time.time(), "subscription": ident, "bytes": len(body),
                 "ttl": self.headers.get("TTL"), "urgency": self.headers.get("Urgency"),
                 "topic": self.headers.get("Topic"), "contentEncoding": self.headers.get("Content-Encoding")}
        with self.state.lock:
            sub = self.state.subscriptions.get(ident)
            scripted = None
            if sub is not None and not sub.expired:
                scripted = sub.answers.pop(0) if sub.answers else sub.default_answer
        try:
            if sub is None:
                raise Refusal(404, "no such subscription")
            if sub.expired:
                raise Refusal(410, "subscription expired")
            if isinstance(scripted, str):  # hang: longer than the sender's timeout
                seconds = float(scripted.partition(":")[2] or DEFAULT_HANG_SECONDS)
                time.sleep(seconds)
                raise Refusal(503, f"answered after hanging {seconds:g} s")
            if scripted is not None:
                raise Refusal(scripted, "scripted answer")
            message = self.check_and_open(sub, body)
        except Refusal as refusal:
            entry.update(status=refusal.status, error=refusal.reason)
            self.record(entry)
            log(f"push to {ident}: {refusal.status} ({refusal.reason})")
            headers = [("Retry-After", "1")] if refusal.status == 429 else []
            return self.reply(refusal.status, {"error": refusal.reason}, headers)
        entry.update(status=201, **message)
        with self.state.lock:
            entry["n"] = len(self.state.messages) + 1
            self.state.messages.append(entry)
        self.record(entry, delivered=True)
        log(f"push to {ident}: 201, {len(body)} bytes decrypted to {message['text'][:80]!r}")
        self.reply(201, None, [("Location", f"/message/{entry['n']}")])

    def check_and_open(self, sub, body):
        ttl = self.headers.get("TTL")
        if ttl is None or not ttl.isdigit():
            raise Refusal(400, "missing or malformed TTL header")
        if (self.headers.get("Content-Encoding") or "").lower() != "aes128gcm":
            raise Refusal(415, "Content-Encoding must be aes128gcm")
        if len(body) > MAX_BODY_BYTES:
            raise Refusal(413, f"body of {len(body)} bytes, at most {MAX_BODY_BYTES}")
        vapid = verify_vapid(self.headers.get("Authorization"), self.origin, time.time())
        if sub.application_server_key is not None and vapid["key"] != sub.application_server_key:
            raise Refusal(403, "k= is not the applicationServerKey the subscription was made with")
        plaintext = decrypt_aes128gcm(body, sub.private_key, sub.auth)
        text = plaintext.decode("utf-8", "replace")
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            payload = None
        return {"vapid": vapid["claims"], "k": vapid["k"], "text": text, "payload": payload}

    def record(self, entry, delivered=False):
        with self.state.lock:
            self.state.requests.append(entry)
            path = self.state.record_path
        if delivered and path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


class PushServiceServer(ThreadingHTTPServer):
    daemon_threads = True   # a hanging answer must not block shutdown
    allow_reuse_address = True

    def __init__(self, address, state):
        super().__init__(address, Handler)
        self.state = state


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description="Local Web Push service (RFC 8030/8291/8292) for tests and demos.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--record", metavar="FILE", help="append each received message to FILE (JSON lines)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    server = PushServiceServer((args.host, args.port), State(args.record))
    serve_until_stopped(server, args.port_file, log, (
        f"listening on http://{args.host}:{server.server_address[1]} (pushes to /push/<id>, control under /_control/)"
        + (f", recording to {args.record}" if args.record else "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
