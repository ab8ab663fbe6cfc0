"""Bad input over every route: a generated corpus of several hundred hostile
or broken requests, sent byte for byte over raw sockets (chunked bodies,
invalid UTF-8, NUL bytes, lying cookies…).

Every case must get the 4xx it deserves (a JSON error on JSON routes, the
right HTML page on the result page and the login callback), never a 5xx,
never a hang, never a leak of internals; and the whole corpus must leave
the database exactly as it found it (row counts and an md5 of every row of
users, sessions, login_tokens, payments and orientation_bilans), send no
mail, and kill no handler.

Cases that legitimately write (a successful login request, a link that
works, a logout) are not in the corpus: the open-redirect cases, which need
real links, run separately at the end.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

import pytest

from integration.reliability.rel_support import (JSON_TYPE, QUESTIONNAIRE, SESSION_COOKIE, Hang, Users, alive, build_request, chunked,
                         db_fingerprint, expire_session, fresh_address, log_tail, raw_exchange, record,
                         session_token, start_stack, stop_stack)
from integration.e2e.support import mail_only_generator, text_of, wait_for_mail

LINK = re.compile(r"/auth/callback\?token=([A-Za-z0-9_-]+)")
# What must never reach a client: SQL, driver or runtime internals.
LEAK = re.compile(r"syntax error|SQLSTATE|postgres|libpq|PQexec|\bERROR:|Fatal error|\.swift:\d|Traceback|"
                  r"orientation_session_user|tokenHash|DATABASE_URL|GEMINI", re.IGNORECASE)


@dataclass
class Case:
    group: str
    name: str
    method: str
    target: str | bytes
    headers: list = field(default_factory=list)
    body: bytes | None = None
    chunks: list | None = None            # Transfer-Encoding: chunked body
    expect: frozenset = frozenset({400})  # acceptable statuses
    kind: str = "json"                    # json | html | redirect | nginx | neutral
    code: str | None = None               # JSON `error`, when one is required
    field_name: str | None = None         # JSON `field`, when one is required
    source: str | None = None             # client address (default: a fresh one)
    timeout: float = 15


# ---- the stack and the people of the corpus ----------------------------------------------------
@pytest.fixture(scope="module")
def world():
    stack = start_stack(env={"GENERATOR_PATH": mail_only_generator()})
    try:
        users = Users(stack, "badinput")
        a = users.subscriber()            # has a PENDING bilan: not eligible any more
        bilan_a = a.create_ok()
        b = users.subscriber()            # eligible: a create that slipped through would write
        c = users.subscriber()            # another user, with a bilan of their own
        bilan_c = c.create_ok()
        a_second = session_token(stack, a.email)  # for logout attempts that must not end it
        expired = session_token(stack, b.email)
        expire_session(stack, expired)
        # Login links: one used, one expired (both written before the snapshot).
        d = users.registered()
        used_token = login_token(stack, d)
        login = use_link(stack, used_token)
        assert login.status == 303, login
        e = users.registered()
        expired_token = login_token(stack, e)
        stack.psql("""UPDATE login_tokens SET "expiresAt" = now() - interval '1 second'
                      WHERE lower(email) = lower(:'v1')""", e)
        yield dict(stack=stack, a=a, b=b, c=c, bilan_a=bilan_a, bilan_c=bilan_c, a_second=a_second,
                   expired=expired, used_token=used_token, expired_token=expired_token)
    finally:
        stop_stack(stack)


def raw(stack, method, target, headers=(), body=None, source=None):
    return raw_exchange(stack.port, build_request(method, target, headers=list(headers), body=body),
                        source=source or fresh_address())


def use_link(stack, token: str):
    """The confirmation page's POST: what opens a session (SPEC §16)."""
    return raw(stack, "POST", "/auth/callback",
               [("Origin", stack.base_url), ("Content-Type", "application/x-www-form-urlencoded")],
               f"token={token}".encode())


def login_token(stack, address: str) -> str:
    answer = raw(stack, "POST", "/auth/login", [("Content-Type", "application/json"), ("Origin", stack.base_url)],
                 json.dumps({"email": address}).encode())
    assert answer.status == 200, answer
    return login_token_from_mail(stack, address)


# ---- the corpus -------------------------------------------------------------------------------
def corpus(w) -> list[Case]:
    stack = w["stack"]
    origin = stack.base_url
    port = stack.port
    cookie_a = f"{SESSION_COOKIE}={w['a'].token}"
    cookie_b = f"{SESSION_COOKIE}={w['b'].token}"
    bilan_a, bilan_c = w["bilan_a"], w["bilan_c"]
    cases: list[Case] = []

    def add(*args, **kwargs):
        kwargs["expect"] = frozenset(kwargs.get("expect", {400}))
        cases.append(Case(*args, **kwargs))

    json_a = [("Cookie", cookie_a), ("Origin", origin), ("Content-Type", "application/json")]
    valid = json.dumps(QUESTIONNAIRE, ensure_ascii=False).encode()

    def q(**changes) -> dict:
        body = dict(QUESTIONNAIRE)
        for key, value in changes.items():
            if value is ...:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def create(group, name, body: bytes, *, expect=(400,), code=None, field_name=None, headers=None, **kw):
        add(group, name, "POST", "/api/orientation/create", headers=headers if headers is not None else json_a,
            body=body, expect=expect, code=code, field_name=field_name, **kw)

    # 1. Sessions: missing, forged, expired, other shapes, on every route that needs one.
    forged = {
        "none": None,
        "empty": f"{SESSION_COOKIE}=",
        "random-43": f"{SESSION_COOKIE}={uuid.uuid4().hex}{uuid.uuid4().hex[:11]}",
        "hex-64": f"{SESSION_COOKIE}={'0' * 64}",
        "sql-injection": f"{SESSION_COOKIE}=' OR '1'='1",
        "sql-injection-2": f"{SESSION_COOKIE}=x%27%20OR%201%3D1--abcdefghijkl",
        "too-long": f"{SESSION_COOKIE}={'A' * 4000}",
        "too-short": f"{SESSION_COOKIE}=abc",
        "invalid-utf8": f"{SESSION_COOKIE}=".encode() + b"\xff\xfe\xc3\x28" * 8,
        "expired": f"{SESSION_COOKIE}={w['expired']}",
        "truncated": f"{SESSION_COOKIE}={w['a'].token[:-1]}",
        "extended": f"{SESSION_COOKIE}={w['a'].token}x",
        "quoted": f'{SESSION_COOKIE}="{uuid.uuid4().hex}{uuid.uuid4().hex}"',
        "other-name": f"{SESSION_COOKIE}2={w['a'].token}",
        "unicode": f"{SESSION_COOKIE}=é{uuid.uuid4().hex}",
        "control": f"{SESSION_COOKIE}=".encode() + b"\x01\x02\x1b" + uuid.uuid4().hex.encode(),
    }
    for label, cookie in forged.items():
        headers = [] if cookie is None else [("Cookie", cookie)]
        add("session", f"eligibility/{label}", "GET", "/api/orientation/eligibility", headers, expect={401},
            code="unauthenticated")
        add("session", f"bilan/{label}", "GET", f"/api/orientation/bilan/{bilan_a}", headers, expect={401},
            code="unauthenticated")
        add("session", f"bilans/{label}", "GET", "/api/orientation/bilans", headers, expect={401},
            code="unauthenticated")
        add("session", f"resultat/{label}", "GET", f"/orientation/resultat/{bilan_a}", headers, expect={302},
            kind="redirect")
        add("session", f"create/{label}", "POST", "/api/orientation/create",
            headers + [("Origin", origin), ("Content-Type", "application/json")], valid, expect={401},
            code="unauthenticated")

    # 2. Wrong methods, on every route.
    methods = {
        "/api/orientation/eligibility": ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"],
        "/api/orientation/create": ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"],
        f"/api/orientation/bilan/{bilan_a}": ["POST", "PUT", "DELETE", "PATCH"],
        "/api/orientation/bilans": ["POST", "PUT", "DELETE", "PATCH"],
        f"/orientation/resultat/{bilan_a}": ["POST", "PUT", "DELETE"],
        "/auth/login": ["GET", "PUT", "DELETE", "PATCH"],
        "/auth/callback?token=abc": ["PUT", "DELETE", "PATCH"],
        "/auth/logout": ["GET", "PUT", "DELETE"],
    }
    for target, verbs in methods.items():
        for verb in verbs:
            add("method", f"{verb} {target.split('?')[0]}", verb, target,
                [("Cookie", cookie_a), ("Origin", origin), ("Content-Type", "application/json")], b"{}",
                expect={405}, code="method_not_allowed")
    for verb in ["POST", "PUT", "DELETE", "PATCH"]:
        add("method", f"{verb} /api/orientation/health", verb, "/api/orientation/health", [], b"{}",
            expect={405}, code="method_not_allowed", source="127.0.0.1")
    add("method", "TRACE (nginx refuses it itself)", "TRACE", "/api/orientation/eligibility",
        [("Cookie", cookie_a)], expect={405}, kind="nginx")
    add("health", "from a foreign address (nginx deny)", "GET", "/api/orientation/health", [], expect={403},
        kind="nginx")
    add("health", "10 MiB POST from localhost", "POST", "/api/orientation/health",
        [("Content-Type", "application/json")], b" " * (10 << 20), expect={405, 413}, source="127.0.0.1",
        timeout=60)

    # 3. Malformed and truncated JSON.
    for cut in sorted({1, 2, 5, 10, 17, 30, 50, 80, 120, 200, 300, 400, 500, len(valid) // 2,
                       len(valid) - 30, len(valid) - 10, len(valid) - 2, len(valid) - 1}):
        create("json", f"truncated at {cut}", valid[:cut], code="invalid_json")
    malformed = [b"", b" ", b"{", b"}", b"[", b"{,}", b'{"niveau"}', b'{"niveau":}', b'{"niveau":"TERMINALE",}',
                 b"{'niveau':'TERMINALE'}", b'{niveau:"TERMINALE"}', b'{"niveau":"TERMINALE"} x',
                 b'{"niveau":"TERMINALE"}{}', b'{"a":1 /* comment */}', b'{"a":NaN}', b'{"a":Infinity}',
                 b'{"a":-}', b'{"a":01}', b'{"a":1.}', b'{"a":.5}', b'{"a":"\\x41"}', b'{"a":"\\u12"}',
                 b'{"a":tru}', b"nul", b'{"a":"unterminated}', b'{"a" "b"}', b'{"a":1,,"b":2}',
                 b'{"a":0x10}', b'{"a":+1}', b'{"a":1e}', b'\x00{"niveau":"TERMINALE"}',
                 b'{"niveau":"TERMINALE","niveau":"SECONDE","filiere":"GENERALE","centresInteret":"x"}']
    for body in malformed:
        create("json", f"malformed {body[:40]!r}", body, code="invalid_json")
    for body in [b"null", b"true", b"42", b'"texte"', b"[]", b"[" + valid + b"]"]:
        create("json", f"top level {body[:20]!r}", body, code=None)

    # 4. Deep nesting (a recursive parser without a depth limit would overflow its stack).
    for depth in (1000, 10_000, 30_000):  # all under 64 KiB
        create("nesting", f"arrays {depth}", b"[" * depth + b"]" * depth)
        create("nesting", f"objects {depth // 3}", b'{"a":' * (depth // 3) + b"1" + b"}" * (depth // 3))
    create("nesting", "unclosed arrays 65000", b"[" * 65_000, code="invalid_json")
    create("nesting", "in moyennes", json.dumps(q(moyennes={"generale": 12})).encode().replace(
        b'"generale": 12', b'"generale": ' + b"[" * 5000 + b"]" * 5000))
    create("nesting", "in centresInteret", json.dumps(q()).encode().replace(
        b'"centresInteret": "', b'"centresInteret": ' + b'{"x":' * 5000 + b"1" + b"}" * 5000 + b', "ignored": "'))

    # 5. Huge and out-of-range numbers.
    for number in [b"1e400", b"-1e400", b"1e308", b"20.0000001", b"21", b"-1", b"-0.0001",
                   b"123456789012345678901234567890", b"1" + b"0" * 5000, b"0." + b"0" * 5000 + b"1e99999"]:
        body = json.dumps(q(moyennes={"generale": 777})).encode().replace(b"777", number)
        create("number", f"moyennes.generale = {number[:30]!r}", body)
    for key, value in [("niveau", b"1e999"), ("alternance", b"1"), ("specialites", b"[1e400]"),
                       ("centresInteret", b"-9223372036854775809")]:
        body = json.dumps(q(**{key: "@@"})).encode().replace(b'"@@"', value)
        create("number", f"{key} = {value[:20]!r}", body, field_name=None)

    # 6. Wrong types and values, field by field.
    wrong = {
        "niveau": [1, True, [], {}, None, "terminale", "TERMINALE ", "", "POST-BAC"],
        "filiere": [1, [], None, "GENERAL", "generale"],
        "serie": ["XYZ", 1, ["STI2D"]],
        "specialites": ["MATHEMATIQUES", 1, {}, [1], [None], ["XXX"],
                        ["MATHEMATIQUES", "SVT", "SES", "NSI"], ["SVT", "SVT"]],
        "options": ["MATHS_EXPERTES", [1], ["XXX"], {}],
        "moyennes": [[], "14", 14, {"generale": "14"}, {"generale": True}, {"generale": [14]},
                     {"Maths": 12}, {"a b": 12}, {"x" * 31: 12}, {f"m{i}": 10 for i in range(21)}],
        "matieresPreferees": ["maths", [1], {}, [["x"]], [None]],
        "centresInteret": [1, [], {}, True],
        "projetProfessionnel": [1, [], {}, False],
        "typesEtudes": ["CPGE", [1], ["XXX"], {}],
        "dureeEtudes": [5, "BAC_4", [], "bac_5"],
        "mobilite": [1, "MONDIALE", []],
        "alternance": ["true", 1, "oui", [], {}],
        "pointsForts": [1, [], {}],
        "difficultes": [1, [], {}],
        "commentaire": [1, [], {}],
    }
    for key, values in wrong.items():
        for value in values:
            extra = {"filiere": "TECHNOLOGIQUE"} if key == "serie" else {}
            create("type", f"{key} = {json.dumps(value)[:40]}", json.dumps(q(**{key: value}, **extra)).encode(),
                   code="invalid_questionnaire", field_name=key if key != "moyennes" else None)
    for missing in (["niveau"], ["filiere"], ["projetProfessionnel", "centresInteret"]):
        create("type", f"missing {'+'.join(missing)}", json.dumps(q(**{k: ... for k in missing})).encode(),
               code="invalid_questionnaire")

    # 7. Unknown keys (and attempts to set what only the server sets).
    for key in ["__proto__", "constructor", "NIVEAU", "niveau ", "", "x" * 1000, "moyennes.generale", "clé",
                "$where", "userId", "status", "id", "resultat", "analyse", "createdAt"]:
        value = "COMPLETED" if key == "status" else "x"
        create("unknown-key", f"key {key[:30]!r}", json.dumps(q(**{key: value})).encode(),
               code="invalid_questionnaire")

    # 8. Invalid UTF-8, NUL and control characters.
    for label, bad in [("ff", b"\xff"), ("c3 28", b"\xc3\x28"), ("overlong /", b"\xc0\xaf"),
                       ("surrogate", b"\xed\xa0\x80"), ("> U+10FFFF", b"\xf4\x90\x80\x80"),
                       ("lone continuation", b"\x80"), ("truncated euro", b"\xe2\x82"), ("fe ff", b"\xfe\xff")]:
        create("utf8", f"value {label}", valid.replace(b"Astronomie", b"Astro" + bad + b"nomie"))
        create("utf8", f"key {label}", valid.replace(b'"commentaire"', b'"comment' + bad + b'aire"'))
    create("utf8", "whole body in Latin-1", json.dumps(q(centresInteret="théâtre, cinéma"), ensure_ascii=False).encode()
           .replace("é".encode(), b"\xe9").replace("â".encode(), b"\xe2"))
    for escape in ["\\u0000", "\\u0001", "\\u0007", "\\u0008", "\\u000b", "\\u000c", "\\u001b", "\\u001f",
                   "\\u007f", "\\u0085", "\\u009f"]:
        for key in ("centresInteret", "projetProfessionnel", "commentaire"):
            body = json.dumps(q(**{key: "avant@@après"}), ensure_ascii=False).encode().replace(b"@@", escape.encode())
            create("control", f"{key} with {escape}", body, code="invalid_questionnaire", field_name=key)
    create("control", "matieresPreferees item with \\u0000",
           json.dumps(q(matieresPreferees=["maths@@"])).encode().replace(b"@@", b"\\u0000"),
           code="invalid_questionnaire", field_name="matieresPreferees")
    for byte in (b"\x00", b"\x01", b"\x1b", b"\x0a"):
        create("control", f"raw byte {byte!r} inside a string", valid.replace(b"Astronomie", b"Astro" + byte + b"nomie"),
               code="invalid_json")
    for escape in ("\\ud800", "\\udfff", "\\ud800\\u0041"):
        create("control", f"lone surrogate {escape}", valid.replace(b"Astronomie", b"Astro" + escape.encode() + b"nomie"))

    # 9. Texts of 2,001 characters (ASCII and two-byte).
    for key in ("centresInteret", "projetProfessionnel", "pointsForts", "difficultes", "commentaire"):
        for char in ("a", "é"):
            create("length", f"{key} = 2001 × {char}", json.dumps(q(**{key: char * 2001}), ensure_ascii=False).encode(),
                   code="invalid_questionnaire", field_name=key)
    create("length", "matieresPreferees of 500 items", json.dumps(q(matieresPreferees=["x"] * 500)).encode(),
           code="invalid_questionnaire", field_name="matieresPreferees")

    # 10. Sizes: 64 KiB + 1 and 10 MiB, with Content-Length and chunked.
    padded = valid[:-1] + b" " * (64 * 1024 + 1 - len(valid)) + b"}"
    assert len(padded) == 64 * 1024 + 1
    create("size", "64 KiB + 1", padded, expect={413}, code="payload_too_large")
    create("size", "10 MiB", b" " * (10 << 20), expect={413}, code="payload_too_large", timeout=60)
    create("size", "64 KiB + 1 chunked", None, chunks=chunked(padded), expect={413}, code="payload_too_large",
           headers=json_a + [("Transfer-Encoding", "chunked")])
    create("size", "10 MiB chunked", None, chunks=chunked(b" " * (10 << 20), 65536), expect={413},
           code="payload_too_large", headers=json_a + [("Transfer-Encoding", "chunked")], timeout=60)
    create("size", "64 KiB + 1 form", b"niveau=TERMINALE&commentaire=" + b"a" * (64 * 1024), expect={413},
           code="payload_too_large", headers=[("Cookie", cookie_a), ("Origin", origin),
                                              ("Content-Type", "application/x-www-form-urlencoded")])
    add("size", "login 8 KiB + 1", "POST", "/auth/login", [("Origin", origin), ("Content-Type", "application/json")],
        b'{"email":"nobody@example.org","x":"' + b"a" * 8200 + b'"}', expect={413}, code="payload_too_large")
    add("size", "login 10 MiB", "POST", "/auth/login", [("Origin", origin), ("Content-Type", "application/json")],
        b" " * (10 << 20), expect={413}, code="payload_too_large", timeout=60)
    add("size", "logout 10 MiB", "POST", "/auth/logout", [("Cookie", cookie_a), ("Origin", origin),
                                                          ("Content-Type", "application/json")],
        b" " * (10 << 20), expect={413}, code="payload_too_large", timeout=60)

    # Bodies where none is expected: the JSON routes must still answer JSON.
    for target in ["/api/orientation/eligibility", f"/api/orientation/bilan/{bilan_a}", "/api/orientation/bilans"]:
        add("size", f"10 MiB body on GET {target}", "GET", target, [("Cookie", cookie_a),
                                                                    ("Content-Type", "application/json")],
            b" " * (10 << 20), expect={413}, code="payload_too_large", timeout=60)
    add("size", "10 MiB body on GET the result page", "GET", f"/orientation/resultat/{bilan_a}",
        [("Cookie", cookie_a)], b" " * (10 << 20), expect={413}, kind="nginx", timeout=60)
    add("size", "10 MiB body on GET the callback", "GET", "/auth/callback?token=abc", [], b" " * (10 << 20),
        expect={413}, kind="nginx", timeout=60)

    # 11. Chunked bodies that are otherwise bad.
    chunked_a = json_a + [("Transfer-Encoding", "chunked")]
    create("chunked", "truncated JSON, 7-byte chunks", None, chunks=chunked(valid[:-5], 7), code="invalid_json",
           headers=chunked_a)
    create("chunked", "bad questionnaire, 1-byte chunks", None,
           chunks=chunked(json.dumps(q(niveau="XXX")).encode(), 1), code="invalid_questionnaire",
           field_name="niveau", headers=chunked_a)
    create("chunked", "invalid UTF-8 split across chunks", None,
           chunks=chunked(valid.replace(b"Astronomie", b"Astro\xc3\x28nomie"), 3), headers=chunked_a)
    create("chunked", "chunk extensions", None,
           chunks=[b"5;ext=1\r\n{\"niv\r\n", b"0\r\n\r\n"], code="invalid_json", headers=chunked_a)
    create("chunked", "bad chunk size (nginx)", None, chunks=[b"zz\r\nabc\r\n0\r\n\r\n"], kind="nginx",
           headers=chunked_a)
    create("chunked", "chunk longer than announced (nginx)", None, chunks=[b"2\r\nabcdef\r\n0\r\n\r\n"],
           kind="nginx", headers=chunked_a)
    create("chunked", "chunked and Content-Length (nginx)", None, chunks=chunked(valid),
           kind="nginx", headers=chunked_a + [("Content-Length", "10")])

    # 12. Wrong media types.
    for media in [None, "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/jsonx",
                  "application/json-patch+json", "text/json", "application/javascript", "*/*", "application"]:
        headers = [("Cookie", cookie_a), ("Origin", origin)] + ([("Content-Type", media)] if media else [])
        create("media", f"Content-Type {media}", valid, expect={415}, code="unsupported_media_type", headers=headers)
    form = [("Cookie", cookie_a), ("Origin", origin), ("Content-Type", "application/x-www-form-urlencoded")]
    create("media", "JSON sent as a form", valid, code="invalid_questionnaire", headers=form)
    for body in [b"niveau=XXX&filiere=GENERALE&centresInteret=x", b"niveau=TERMINALE&filiere=GENERALE",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=x&specialites=SVT&specialites=SVT",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=x&moyennes.generale=abc",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=x&moyennes.generale=25",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=x&alternance=peut-etre",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=x&foo=bar",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=" + b"a" * 2001,
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=a%00b",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=a%FFb",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=a%ZZb",
                 b"niveau=TERMINALE&filiere=GENERALE&centresInteret=%",
                 b"niveau=TERMINALE&niveau=SECONDE&filiere=GENERALE&centresInteret=x&moyennes.Maths=12"]:
        create("form", f"form {body[-40:]!r}", body, headers=form)

    # 13. SQL injection and traversal strings in fields (enums refused; free text is
    # only text: it reaches the eligibility check, which refuses user A).
    for payload in ["TERMINALE' OR '1'='1", "TERMINALE'; DROP TABLE users; --", "../../etc/passwd",
                    "TERMINALE\" OR \"\"=\""]:
        create("injection", f"niveau {payload[:30]}", json.dumps(q(niveau=payload)).encode(),
               code="invalid_questionnaire", field_name="niveau")
    for payload in ["'); DROP TABLE orientation_bilans; --", "' OR 1=1 --", "$$; DELETE FROM users; $$",
                    "../../../../etc/passwd", "\\'; SELECT pg_sleep(10); --", "{{7*7}} ${7*7} <%= 7*7 %>"]:
        create("injection", f"free text {payload[:30]}", json.dumps(q(centresInteret=payload)).encode(),
               expect={403}, code="not_eligible")
    create("injection", "moyennes key with a quote",
           json.dumps(q(moyennes={"a';drop table users;--": 12})).encode(), code="invalid_questionnaire")

    # 14. Foreign Origin / Referer, with B's session and a VALID body: a bypass would write.
    json_b = [("Cookie", cookie_b), ("Content-Type", "application/json")]
    for label, extra in {
        "Origin evil": [("Origin", "https://evil.example")],
        "Origin null, no Referer": [("Origin", "null")],
        "Origin other port": [("Origin", f"http://127.0.0.1:{port + 1}")],
        "Origin https": [("Origin", f"https://127.0.0.1:{port}")],
        "Origin with a path": [("Origin", origin + "/orientation/")],
        "Origin suffix": [("Origin", origin + ".evil.example")],
        "Origin userinfo": [("Origin", f"http://127.0.0.1:{port}@evil.example")],
        "Referer evil": [("Referer", "https://evil.example/orientation/")],
        "Referer prefix": [("Referer", origin + ".evil.example/")],
        "Referer userinfo": [("Referer", f"http://127.0.0.1:{port}@evil.example/")],
        "neither": [],
        "Origin evil, Referer ours": [("Origin", "https://evil.example"), ("Referer", origin + "/orientation/")],
    }.items():
        create("origin", label, valid, expect={403}, code="forbidden_origin", headers=json_b + extra)
        add("origin", f"logout: {label}", "POST", "/auth/logout",
            [("Cookie", f"{SESSION_COOKIE}={w['a_second']}"), ("Content-Type", "application/json")] + extra, b"{}",
            expect={403}, code="forbidden_origin")
    for label, extra in {"Origin evil": [("Origin", "https://evil.example")],
                         "Referer evil": [("Referer", "https://evil.example/")]}.items():
        add("origin", f"login: {label}", "POST", "/auth/login", [("Content-Type", "application/json")] + extra,
            b'{"email":"nobody@example.org"}', expect={403}, code="forbidden_origin")

    # 15. Ids: malformed, injected, traversal, other users'.
    json_get = [("Cookie", cookie_a)]
    ids = ["0", "abc", "null", "undefined", bilan_a.replace("-", ""), "{" + bilan_a + "}", bilan_a + "x",
           bilan_a[:-1], "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
           bilan_c, bilan_c.upper(), str(uuid.uuid4()), quote("' OR '1'='1"), quote("1; DROP TABLE users"),
           quote("' UNION SELECT resultat FROM orientation_bilans --"), "%27--", "%22", quote("<script>"),
           "%ff%fe", "%C3%A9", "a" * 5000, bilan_a + "/", bilan_a + "/x", "%2Fetc%2Fpasswd",
           bilan_c + "%20", bilan_c + "%0a"]
    for bid in ids:
        add("id", f"bilan/{bid[:40]}", "GET", f"/api/orientation/bilan/{bid}", json_get, expect={404},
            code="not_found")
        add("id", f"resultat/{bid[:40]}", "GET", f"/orientation/resultat/{bid}", json_get, expect={404},
            kind="html")
    add("id", "bilan/raw invalid UTF-8", "GET", b"/api/orientation/bilan/\xff\xfe\xc3\x28", json_get, expect={404},
        code="not_found")
    add("id", "resultat/raw invalid UTF-8", "GET", b"/orientation/resultat/\xff\xfe", json_get, expect={404},
        kind="html")
    for target in ["/api/orientation/bilan/%00", b"/api/orientation/bilan/\x00abc", "/orientation/resultat/%00",
                   b"/api/orientation/bilan/a b"]:
        add("id", f"NUL/space in the path {target!r} (nginx)", "GET", target, json_get, kind="nginx")
    for target in ["/api/orientation/bilan/../../etc/passwd", "/api/orientation/bilan/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                   "/orientation/resultat/../../../etc/passwd", "/api/orientation/bilan/..%2f..%2f..%2fetc%2fpasswd"]:
        # nginx resolves the dot segments: the request leaves the API (404 or, above
        # the root, 400) and never reaches a handler.
        add("id", f"traversal {target}", "GET", target, json_get, expect={400, 404}, kind="nginx")
    # nginx's own redirect of a prefix location without its slash (to bilan/, then 404 JSON).
    add("id", "/api/orientation/bilan without the slash", "GET", "/api/orientation/bilan", json_get,
        expect={301}, kind="nginx")
    for target in ["/api/orientation/", "/api/orientation/eligibility/", "/api/orientation/create/",
                   "/api/orientation/bilans/x", "/api/orientation/unknown",
                   "/api/orientation/metricsx", "/api/orientation/bilan/%2e%2e"]:
        add("id", f"unknown API path {target}", "GET", target, json_get, expect={404}, code="not_found")

    # 16. The login callback: forged, reused and expired tokens.
    tokens = ["", "abc", "0" * 64, "A" * 43, "A" * 5000, quote("' OR '1'='1"), "%00", "%ZZ", "%C3%A9" * 10,
              quote("<script>alert(1)</script>"), w["used_token"], w["expired_token"], w["used_token"] + "x",
              w["used_token"][:-1], w["used_token"].upper() if w["used_token"].upper() != w["used_token"] else "B" * 43]
    for token in tokens:
        add("callback", f"token {token[:30]!r}", "GET", f"/auth/callback?token={token}", [], expect={400}, kind="html")
    for query in ["", "?", "?tok=abc", f"?token={w['used_token']}&token={w['expired_token']}", "?token[]=abc",
                  f"?token={w['expired_token']}&returnTo=//evil.example"]:
        add("callback", f"query {query[:40]!r}", "GET", f"/auth/callback{query}", [], expect={400}, kind="html")

    # 17. Login requests: invalid addresses, bodies, media types.
    login_json = [("Origin", origin), ("Content-Type", "application/json")]
    for address in ["", "a", "a@", "@b.co", "a@b", "a b@c.de", "a@b.co\r\nBcc: victim@example.org",
                    "a@b.co\nBcc: victim@example.org", "a@b.co\u0000", "x" * 300 + "@b.co", "<a@b.co>",
                    "a@b.co,c@d.ef", "a@b.co;c@d.ef", "a@@b.co", "\"a\"@b.co", "a@b.co (comment)", "é@b.co"]:
        add("login", f"email {address[:30]!r}", "POST", "/auth/login", login_json,
            json.dumps({"email": address}).encode(), code="invalid_email", field_name="email")
    for body in [b"{", b'{"email":}', b"[]", b'"a@b.co"', b"", b'{"email":"a@b.co",}']:
        add("login", f"body {body!r}", "POST", "/auth/login", login_json, body, code="invalid_json")
    for body in [b'{"email":1}', b'{"email":["a@b.co"]}', b'{"email":null}', b'{"email":{"$ne":""}}']:
        add("login", f"body {body!r}", "POST", "/auth/login", login_json, body)
    add("login", "invalid UTF-8 address", "POST", "/auth/login", login_json, b'{"email":"a\xff@b.co"}')
    for media in [None, "text/plain", "application/xml", "multipart/form-data; boundary=x"]:
        add("login", f"Content-Type {media}", "POST", "/auth/login",
            [("Origin", origin)] + ([("Content-Type", media)] if media else []), b'{"email":"nobody@example.org"}',
            expect={415}, code="unsupported_media_type")
    login_form = [("Origin", origin), ("Content-Type", "application/x-www-form-urlencoded")]
    for body in [b"email=%ZZ", b"email=a%00%40b.co", b"email=", b"mail=a@b.co", b"email=a%0d%0aBcc:%20x@y.co"]:
        add("login", f"form {body!r}", "POST", "/auth/login", login_form, body, expect={303, 400}, kind="json-or-form")
    # Plausible but unknown addresses carrying injections: the neutral answer, nothing written, no mail.
    for address in ["x'OR'1'='1@example.org", "a@example.org';DROP-TABLE-users;--", "%27@example.org",
                    "admin@example.org'--"]:
        add("login", f"unknown address {address[:30]!r}", "POST", "/auth/login", login_json,
            json.dumps({"email": address}).encode(), expect={200, 400}, kind="neutral")
    return cases


# ---- checking one answer -------------------------------------------------------------------------
def problems_of(case: Case, answer) -> list[str]:
    found = []
    if answer.status >= 500:
        found.append(f"server error {answer.status}")
    if answer.status not in case.expect:
        found.append(f"status {answer.status}, expected {sorted(case.expect)}")
    if LEAK.search(answer.text):
        found.append(f"internal detail in the answer: {LEAK.search(answer.text).group(0)!r}")
    ctype = answer.content_type
    if case.kind == "json" or (case.kind == "json-or-form" and answer.status != 303) or \
            (case.kind == "neutral" and answer.status == 400):
        if ctype != JSON_TYPE:
            found.append(f"Content-Type {ctype!r}")
        if answer.headers.get("cache-control") != "no-store":
            found.append(f"Cache-Control {answer.headers.get('cache-control')!r}")
        if answer.headers.get("x-content-type-options") != "nosniff":
            found.append("no X-Content-Type-Options: nosniff")
        try:
            body = answer.json()
        except ValueError:
            found.append(f"body is not JSON: {answer.body[:120]!r}")
            body = {}
        if not isinstance(body, dict) or not isinstance(body.get("error"), str) or \
                not (isinstance(body.get("message"), str) and body["message"].strip()):
            found.append(f"not an error object: {answer.body[:200]!r}")
        elif case.code and body["error"] != case.code:
            found.append(f"error {body['error']!r}, expected {case.code!r} ({body.get('message')})")
        elif case.field_name and body.get("field") != case.field_name:
            found.append(f"field {body.get('field')!r}, expected {case.field_name!r}")
        if answer.status == 405 and not answer.headers.get("allow"):
            found.append("405 without Allow")
    elif case.kind == "html":
        if not ctype.startswith("text/html"):
            found.append(f"Content-Type {ctype!r}, expected an HTML page")
        if "set-cookie" in answer.headers:
            found.append("Set-Cookie on a refused request")
    elif case.kind == "redirect":
        location = answer.headers.get("location", "")
        if "/auth/login" not in location or "returnTo=" not in location:
            found.append(f"Location {location!r}, expected the login page with a return URL")
    elif case.kind == "neutral" and answer.status == 200:
        if ctype != JSON_TYPE or answer.json().get("ok") is not True:
            found.append(f"not the neutral answer: {answer.body[:200]!r}")
    if case.kind != "html" and answer.status < 400 and "set-cookie" in answer.headers and case.kind != "redirect":
        found.append("Set-Cookie on a refused request")
    return found


@pytest.mark.time_limit(600)
def test_bad_input_corpus_gets_4xx_and_changes_nothing(world):
    stack = world["stack"]
    cases = corpus(world)
    groups: dict[str, int] = {}
    for case in cases:
        groups[case.group] = groups.get(case.group, 0) + 1
    routes = {case.target.split("?")[0].rsplit("/", 1)[0] if isinstance(case.target, str) else "raw" for case in cases}
    pids = {name: list(p) for name, p in stack.handler_pids.items()}
    mails_before = sorted(p.name for p in stack.mail_dir.iterdir())
    before = db_fingerprint(stack)

    failures = []
    statuses: dict[int, int] = {}
    slowest = (0.0, "")
    started = time.monotonic()
    for case in cases:
        request = build_request(case.method, case.target, headers=case.headers, body=case.body,
                                content_length=case.chunks is None)
        try:
            answer = raw_exchange(stack.port, request, source=case.source or fresh_address(),
                                  timeout=case.timeout, body_chunks=case.chunks)
        except Hang as error:
            failures.append(f"[{case.group}] {case.name}: HANG {error}")
            continue
        except OSError as error:
            failures.append(f"[{case.group}] {case.name}: connection error {error!r}")
            continue
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        if answer.elapsed > slowest[0]:
            slowest = (answer.elapsed, case.name)
        for problem in problems_of(case, answer):
            failures.append(f"[{case.group}] {case.method} {case.target!s:.80}: {case.name}: {problem}")
    elapsed = time.monotonic() - started

    time.sleep(0.5)  # login mails leave after the answer: give a wrong one time to land
    after = db_fingerprint(stack)
    mails_after = sorted(p.name for p in stack.mail_dir.iterdir())
    dead = [f"{name}:{pid}" for name, p in pids.items() for pid in p if not alive(pid)]

    print(f"\n[bad input] {len(cases)} cases in {elapsed:.1f}s over {len(routes)} route prefixes; "
          f"by group {groups}; statuses {dict(sorted(statuses.items()))}; slowest {slowest[0]:.2f}s ({slowest[1]})")
    record("bad_input", cases=len(cases), groups=groups, statuses={str(k): v for k, v in sorted(statuses.items())},
           failures=len(failures), seconds=round(elapsed, 1), db_unchanged=before == after,
           new_mails=len(set(mails_after) - set(mails_before)), dead_handlers=len(dead))
    assert len(cases) >= 300
    assert before == after, f"the corpus changed the database:\nbefore {before}\nafter  {after}"
    assert mails_after == mails_before, f"mail sent during the corpus: {set(mails_after) - set(mails_before)}"
    assert not dead, f"handlers died: {dead}\n" + log_tail(stack.nginx_log)
    assert stack.handler_pids == pids
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)


# ---- open redirects: real links, so they write (not in the corpus) ----------------------------------
FOREIGN_RETURNS = ["//evil.example", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                   "/\t/evil.example", "/%2f%2fevil.example", "http:/evil.example", "https:evil.example",
                   "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " //evil.example",
                   "/orientation/\r\nLocation: https://evil.example", "//evil.example%00/orientation/",
                   "/%5cevil.example", "@evil.example", "evil.example", "/" + "a" * 600,
                   "/orientation/é", "///evil.example"]


@pytest.mark.time_limit(300)
def test_return_urls_never_leave_the_site(world):
    stack = world["stack"]
    users = Users(stack, "redirect")
    bad = []
    for target in FOREIGN_RETURNS:
        address = users.registered()
        answer = raw(stack, "POST", "/auth/login", [("Origin", stack.base_url), ("Content-Type", "application/json")],
                     json.dumps({"email": address, "returnTo": target}).encode())
        assert answer.status == 200, answer
        token = login_token_from_mail(stack, address)
        landing = use_link(stack, token)
        location = landing.headers.get("location", "")
        if landing.status != 303 or browser_target_origin(stack.base_url, location) != stack.base_url \
                or any(ord(c) < 0x21 or ord(c) > 0x7e for c in location):
            bad.append(f"returnTo {target!r} → {landing.status} Location {location!r}")
    print(f"\n[open redirect] {len(FOREIGN_RETURNS)} foreign return URLs, {len(bad)} left the site")
    record("open_redirect", cases=len(FOREIGN_RETURNS), escaped=len(bad))
    assert not bad, "\n".join(bad)


def browser_target_origin(base: str, location: str) -> str:
    """The origin a browser goes to for this Location: like a browser, it drops
    tabs and line breaks, reads backslashes as slashes, then resolves."""
    cleaned = re.sub(r"[\t\r\n]", "", location).strip().replace("\\", "/")
    target = urlsplit(urljoin(base + "/", cleaned))
    return f"{target.scheme}://{target.netloc}"


def login_token_from_mail(stack, address):
    """The token of the latest login link mailed to `address`."""
    message = wait_for_mail(stack, address)
    return LINK.search(text_of(message)).group(1)
