"""Tests of the local Web Push service (testservers/push_service.py).

Run from the repository root:
    /usr/bin/python3 -B -m pytest -p no:cacheprovider -q testservers/test_push_service.py

The sender here is written again from the RFCs with `cryptography` (not
the Swift one): RFC 8291 encryption, an RFC 8292 JWT. The service is started
as a subprocess on a free port, as devstack starts it.
"""

import base64
import hashlib
import hmac
import json
import os
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from testservers import push_service
from testservers.test_testservers import Server

SUBJECT = "mailto:support@example.org"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def point(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def h(key, message):
    return hmac.new(key, message, hashlib.sha256).digest()


def encrypt(plaintext: bytes, p256dh: str, auth: str, sender=None, salt=None) -> bytes:
    """RFC 8291 §3.4: one aes128gcm record, padding delimiter 0x02."""
    sender = sender or ec.generate_private_key(ec.SECP256R1())
    salt = salt or os.urandom(16)
    receiver_key = unb64url(p256dh)
    receiver = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), receiver_key)
    ikm = h(h(unb64url(auth), sender.exchange(ec.ECDH(), receiver)),
            b"WebPush: info\x00" + receiver_key + point(sender) + b"\x01")
    prk = h(salt, ikm)
    cek = h(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = h(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    return salt + (4096).to_bytes(4, "big") + bytes([65]) + point(sender) + record


def vapid(vapid_key, audience, exp=None, sub=SUBJECT, sign_with=None):
    header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
    claims = b64url(json.dumps({"aud": audience, "exp": exp or int(time.time()) + 12 * 3600, "sub": sub}).encode())
    der = (sign_with or vapid_key).sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    token = f"{header}.{claims}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    return f"vapid t={token}, k={b64url(point(vapid_key))}"


@pytest.fixture(scope="module")
def service_process(tmp_path_factory):
    folder = tmp_path_factory.mktemp("push")
    server = Server("push_service", ["--record", str(folder / "messages.jsonl")], folder)
    server.record = folder / "messages.jsonl"
    yield server
    assert server.stop() == 0


@pytest.fixture
def service(service_process):
    base = f"http://127.0.0.1:{service_process.port}"
    requests.post(f"{base}/_control/reset", json={}, timeout=5).raise_for_status()
    return base


@pytest.fixture
def vapid_key():
    return ec.generate_private_key(ec.SECP256R1())


def subscribe(service, **options):
    response = requests.post(f"{service}/_control/subscriptions", json=options, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def push(service, subscription, vapid_key, payload=b'{"title":"Bonjour"}', headers=None, **vapid_options):
    sent = {"TTL": "60", "Content-Encoding": "aes128gcm", "Urgency": "high",
            "Authorization": vapid(vapid_key, service, **vapid_options)}
    sent.update(headers or {})
    body = encrypt(payload, subscription["keys"]["p256dh"], subscription["keys"]["auth"])
    return requests.post(subscription["endpoint"], data=body, headers=sent, timeout=10)


def last_error(service):
    return requests.get(f"{service}/_control/requests", timeout=5).json()[-1]["error"]


# ---- receiving ------------------------------------------------------------------
def test_a_signed_encrypted_push_is_decrypted_and_recorded(service, service_process, vapid_key):
    subscription = subscribe(service, applicationServerKey=b64url(point(vapid_key)))
    assert subscription["endpoint"] == f"{service}/push/{subscription['id']}"
    assert len(unb64url(subscription["keys"]["p256dh"])) == 65 and len(unb64url(subscription["keys"]["auth"])) == 16
    payload = '{"title":"✅ Votre Bilan d\'Orientation est prêt !","url":"https://x/orientation/resultat/1"}'
    response = push(service, subscription, vapid_key, payload.encode())
    assert response.status_code == 201, response.text
    assert response.headers["Location"].startswith("/message/")

    [message] = requests.get(f"{service}/_control/messages", params={"subscription": subscription["id"]}, timeout=5).json()
    assert message["payload"]["title"] == "✅ Votre Bilan d'Orientation est prêt !"
    assert message["text"] == payload
    assert message["vapid"]["aud"] == service and message["vapid"]["sub"] == SUBJECT
    assert message["ttl"] == "60" and message["urgency"] == "high"
    recorded = [json.loads(line) for line in service_process.record.read_text().splitlines()]
    assert recorded[-1]["payload"]["url"] == "https://x/orientation/resultat/1"


def test_the_rfc8291_example_decrypts():
    """RFC 8291 §5, with the user agent's private key of Appendix A."""
    receiver = ec.derive_private_key(int.from_bytes(unb64url("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"), "big"),
                                     ec.SECP256R1())
    sender = ec.derive_private_key(int.from_bytes(unb64url("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"), "big"),
                                   ec.SECP256R1())
    auth = "BTBZMqHH6r4Tts7J_aSIgg"
    body = encrypt(b"When I grow up, I want to be a watermelon", b64url(point(receiver)), auth,
                   sender=sender, salt=unb64url("DGv6ra1nlYgDCS1FRnbzlw"))
    assert body[86:] == unb64url("8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ")
    assert push_service.decrypt_aes128gcm(body, receiver, unb64url(auth)) == b"When I grow up, I want to be a watermelon"


# ---- what a real push service would refuse ------------------------------------------
def test_an_unknown_subscription_is_404_and_an_expired_one_410(service, vapid_key):
    subscription = subscribe(service)
    missing = dict(subscription, endpoint=f"{service}/push/nobody")
    assert push(service, missing, vapid_key).status_code == 404
    assert requests.delete(f"{service}/_control/subscriptions/{subscription['id']}", timeout=5).status_code == 200
    assert push(service, subscription, vapid_key).status_code == 410
    assert requests.get(f"{service}/_control/messages", timeout=5).json() == []


@pytest.mark.parametrize("options, status, reason", [
    ({"sign_with": ec.generate_private_key(ec.SECP256R1())}, 401, "signature"),
    ({"exp": int(time.time()) + 25 * 3600}, 401, "exp"),
    ({"exp": int(time.time()) - 3600}, 401, "exp"),
    ({"sub": "support@example.org"}, 401, "sub"),
    ({"headers": {"TTL": None}}, 400, "TTL"),
    ({"headers": {"Content-Encoding": "aesgcm"}}, 415, "aes128gcm"),
    ({"headers": {"Authorization": "WebPush abc"}}, 401, "vapid"),
])
def test_bad_vapid_or_headers_are_refused(service, vapid_key, options, status, reason):
    subscription = subscribe(service)
    headers = options.pop("headers", None)
    response = push(service, subscription, vapid_key, headers=headers, **options)
    assert response.status_code == status, response.text
    assert reason in last_error(service)


def test_the_audience_must_be_the_push_services_origin(service, vapid_key):
    subscription = subscribe(service)
    headers = {"Authorization": vapid(vapid_key, "https://fcm.googleapis.com")}
    assert push(service, subscription, vapid_key, headers=headers).status_code == 401
    assert "aud" in last_error(service)


def test_a_key_other_than_the_subscriptions_is_403(service, vapid_key):
    subscription = subscribe(service, applicationServerKey=b64url(point(ec.generate_private_key(ec.SECP256R1()))))
    assert push(service, subscription, vapid_key).status_code == 403


def test_a_payload_encrypted_for_another_browser_is_400(service, vapid_key):
    subscription = subscribe(service)
    other = subscribe(service)
    body = encrypt(b"x", other["keys"]["p256dh"], other["keys"]["auth"])
    response = requests.post(subscription["endpoint"], data=body, timeout=5, headers={
        "TTL": "0", "Content-Encoding": "aes128gcm", "Authorization": vapid(vapid_key, service)})
    assert response.status_code == 400 and "decrypt" in last_error(service)


# ---- scripted answers ----------------------------------------------------------------
def test_scripted_answers_come_first_then_normal_delivery(service, vapid_key):
    subscription = subscribe(service)
    url = f"{service}/_control/subscriptions/{subscription['id']}/answers"
    assert requests.post(url, json={"answers": [500, 429, 404, 410]}, timeout=5).status_code == 200
    statuses = [push(service, subscription, vapid_key).status_code for _ in range(5)]
    assert statuses == [500, 429, 404, 410, 201]
    assert requests.post(url, json={"default": 503}, timeout=5).status_code == 200
    assert [push(service, subscription, vapid_key).status_code for _ in range(2)] == [503, 503]
    assert requests.post(url, json={"answers": [418]}, timeout=5).status_code == 400
    assert len(requests.get(f"{service}/_control/messages", timeout=5).json()) == 1
