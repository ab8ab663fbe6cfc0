"""POST /api/orientation/create (SPEC §3 "Create", §5 questionnaire)."""
import json
import re
import uuid

import pytest

from integration.e2e.support import QUESTIONNAIRE, assert_error, assert_json

ROUTE = "/api/orientation/create"
EVIL = "https://evil.example"
LIMIT = 64 * 1024


def without(key):
    return {k: v for k, v in QUESTIONNAIRE.items() if k != key}


def stored_questionnaire(stack, bilan_id):
    return json.loads(stack.psql("""SELECT questionnaire FROM "orientation_bilans" WHERE id = :'v1'""", bilan_id))


def bilan_count(stack, email):
    return int(stack.psql("""SELECT count(*) FROM "orientation_bilans" b JOIN users u ON u.id = b."userId"
                             WHERE lower(u.email) = lower(:'v1')""", email))


# ---- success ------------------------------------------------------------------
def test_create_answers_202_pending_with_location(stack, subscriber):
    response = subscriber.create()

    body = assert_json(response, 202)
    assert set(body) == {"bilanId", "status", "resultUrl"}
    bilan_id = body["bilanId"]
    assert str(uuid.UUID(bilan_id)) == bilan_id
    assert body["status"] == "PENDING"
    assert body["resultUrl"] == f"/orientation/resultat/{bilan_id}"
    assert response.headers["Location"] in (body["resultUrl"], stack.base_url + body["resultUrl"])
    assert stack.psql("""SELECT status FROM "orientation_bilans" WHERE id = :'v1'""", bilan_id) == "PENDING"
    assert stored_questionnaire(stack, bilan_id) == QUESTIONNAIRE


def test_same_site_referer_without_origin_is_accepted(stack, users):
    client = users.subscriber()
    client.http.headers.pop("Origin")
    response = client.create(headers={"Referer": stack.base_url + "/orientation/questionnaire.html"})
    assert_json(response, 202)


def test_text_of_2000_characters_is_accepted(subscriber):
    questionnaire = dict(QUESTIONNAIRE, projetProfessionnel="é" * 2000)  # 2,000 characters, 4,000 bytes
    assert_json(subscriber.create(questionnaire), 202)


FORM_FIELDS = [
    ("niveau", "TERMINALE"),
    ("filiere", "GENERALE"),
    ("serie", ""),                       # empty fields count as absent
    ("specialites", "MATHEMATIQUES"),
    ("specialites", "PHYSIQUE_CHIMIE"),
    ("options", "MATHS_EXPERTES"),
    ("moyennes.generale", "14,5"),
    ("moyennes.mathematiques", "15,5"),
    ("centresInteret", ""),
    ("projetProfessionnel", "Devenir ingénieure dans l'aéronautique & le spatial."),
    ("typesEtudes", "CPGE"),
    ("typesEtudes", "ECOLE_INGENIEUR_POSTBAC"),
    ("dureeEtudes", "BAC_5"),
    ("mobilite", "NATIONALE"),
    ("alternance", "on"),
    ("commentaire", "Merci = à bientôt ?"),
]
# What the same answers look like from the JS form.
FORM_AS_JSON = {
    "niveau": "TERMINALE",
    "filiere": "GENERALE",
    "specialites": ["MATHEMATIQUES", "PHYSIQUE_CHIMIE"],
    "options": ["MATHS_EXPERTES"],
    "moyennes": {"generale": 14.5, "mathematiques": 15.5},
    "projetProfessionnel": "Devenir ingénieure dans l'aéronautique & le spatial.",
    "typesEtudes": ["CPGE", "ECOLE_INGENIEUR_POSTBAC"],
    "dureeEtudes": "BAC_5",
    "mobilite": "NATIONALE",
    "alternance": True,
    "commentaire": "Merci = à bientôt ?",
}


def test_form_post_redirects_to_the_result_page_and_stores_what_json_would(stack, users):
    form_user, json_user = users.subscriber(), users.subscriber()

    response = form_user.post(ROUTE, data=FORM_FIELDS)  # application/x-www-form-urlencoded

    assert response.status_code == 303, response.text
    location = response.headers["Location"].removeprefix(stack.base_url)
    match = re.fullmatch(r"/orientation/resultat/([0-9a-f-]{36})", location)
    assert match, location
    form_id = match.group(1)
    json_id = json_user.create_ok(FORM_AS_JSON)
    assert stored_questionnaire(stack, form_id) == stored_questionnaire(stack, json_id)
    assert stack.psql("""SELECT a.questionnaire = b.questionnaire FROM "orientation_bilans" a, "orientation_bilans" b
                         WHERE a.id = :'v1' AND b.id = :'v2'""", form_id, json_id) == "t"


# ---- the checks, one by one, in the order of SPEC §3 -------------------------------
def test_without_session_is_401(users):
    assert_error(users.anonymous().create(), 401, "unauthenticated")


def test_auth_is_checked_before_origin(users):
    assert_error(users.anonymous(origin=EVIL).create(), 401, "unauthenticated")


@pytest.mark.parametrize("origin", [EVIL, "http://127.0.0.1", "http://localhost"])
def test_foreign_origin_is_403(users, origin):
    client = users.subscriber()
    client.http.headers["Origin"] = origin
    assert_error(client.create(), 403, "forbidden_origin")
    assert bilan_count(client.stack, client.email) == 0


def test_origin_that_only_starts_like_ours_is_403(stack, users):
    client = users.subscriber()
    client.http.headers["Origin"] = stack.base_url + ".evil.example"
    assert_error(client.create(), 403, "forbidden_origin")


@pytest.mark.parametrize("referer", [EVIL + "/page", "{base}.evil.example/page"])
def test_foreign_referer_without_origin_is_403(stack, users, referer):
    client = users.subscriber()
    client.http.headers.pop("Origin")
    response = client.create(headers={"Referer": referer.format(base=stack.base_url)})
    assert_error(response, 403, "forbidden_origin")


def test_neither_origin_nor_referer_is_403(users):
    client = users.subscriber()
    client.http.headers.pop("Origin")
    assert_error(client.create(), 403, "forbidden_origin")
    assert bilan_count(client.stack, client.email) == 0


def test_origin_is_checked_before_media_type(users):
    client = users.subscriber()
    client.http.headers["Origin"] = EVIL
    response = client.post(ROUTE, data=b"hello", headers={"Content-Type": "text/plain"})
    assert_error(response, 403, "forbidden_origin")


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", None])
def test_other_media_types_are_415(subscriber, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = subscriber.post(ROUTE, data=json.dumps(QUESTIONNAIRE).encode(), headers=headers)
    assert_error(response, 415, "unsupported_media_type")


def test_json_media_type_with_charset_is_accepted(subscriber):
    response = subscriber.post(ROUTE, data=json.dumps(QUESTIONNAIRE).encode(),
                               headers={"Content-Type": "application/json; charset=UTF-8"})
    assert_json(response, 202)


@pytest.mark.parametrize("size", [LIMIT + 1, 10 * 1024 * 1024], ids=["64KiB+1", "10MiB"])
def test_body_over_64_kib_is_413(stack, subscriber, size):
    body = b'{"commentaire":"' + b"a" * (size - 18) + b'"}'
    assert len(body) == size
    response = subscriber.post(ROUTE, data=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    assert bilan_count(stack, subscriber.email) == 0


def test_body_of_exactly_64_kib_passes_the_size_check(subscriber):
    # A valid JSON body of exactly 65,536 bytes: refused for its content, not its size.
    filler = LIMIT - len(json.dumps(dict(QUESTIONNAIRE, commentaire="")).encode())
    body = json.dumps(dict(QUESTIONNAIRE, commentaire="a" * filler)).encode()
    assert len(body) == LIMIT
    response = subscriber.post(ROUTE, data=body, headers={"Content-Type": "application/json"})
    body = assert_error(response, 400, "invalid_questionnaire")
    assert body["field"] == "commentaire"


@pytest.mark.parametrize("body", [
    json.dumps(QUESTIONNAIRE)[:-20],                                  # truncated
    '{"niveau": "TERMINALE", "niveau": "SECONDE", "filiere": "GENERALE", "centresInteret": "x"}',
    "",                                                               # empty body
    "{'niveau': 'TERMINALE'}",                                        # not JSON quoting
    '{"niveau": "TERMINALE"} trailing',
], ids=["truncated", "duplicate-key", "empty", "single-quotes", "trailing-garbage"])
def test_malformed_json_is_400_invalid_json(subscriber, body):
    response = subscriber.post(ROUTE, data=body.encode(), headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


def test_body_that_is_not_utf8_is_400(subscriber):
    body = '{"niveau": "TERMINALE", "filiere": "GENERALE", "centresInteret": "café"}'.encode("latin-1")
    response = subscriber.post(ROUTE, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert assert_json(response, 400)["error"] in ("invalid_json", "invalid_questionnaire")


INVALID = [
    ("unknown-key", dict(QUESTIONNAIRE, cheval="oui"), "cheval"),
    ("niveau-missing", without("niveau"), "niveau"),
    ("niveau-unknown", dict(QUESTIONNAIRE, niveau="CM2"), "niveau"),
    ("filiere-missing", without("filiere"), "filiere"),
    ("four-specialites", dict(QUESTIONNAIRE, specialites=["MATHEMATIQUES", "PHYSIQUE_CHIMIE", "SVT", "NSI"]),
     "specialites"),
    ("duplicate-specialite", dict(QUESTIONNAIRE, specialites=["SVT", "SVT"]), "specialites"),
    ("grade-21", dict(QUESTIONNAIRE, moyennes={"generale": 14, "mathematiques": 21}), "moyennes"),
    ("grade-negative", dict(QUESTIONNAIRE, moyennes={"generale": -1}), "moyennes"),
    ("text-2001-characters", dict(QUESTIONNAIRE, projetProfessionnel="a" * 2001), "projetProfessionnel"),
    ("control-character", dict(QUESTIONNAIRE, commentaire="Bonjour\u0007"), "commentaire"),
    ("escape-character", dict(QUESTIONNAIRE, pointsForts="\u001b[31mrouge"), "pointsForts"),
    ("alternance-not-boolean", dict(QUESTIONNAIRE, alternance="peut-être"), "alternance"),
]


@pytest.mark.parametrize("questionnaire,field", [(q, f) for _, q, f in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_questionnaire_is_400_naming_the_field(stack, subscriber, questionnaire, field):
    body = assert_error(subscriber.create(questionnaire), 400, "invalid_questionnaire")
    assert body.get("field") == field or body.get("field", "").startswith(field + "."), body
    assert bilan_count(stack, subscriber.email) == 0


def test_unknown_key_is_named_in_the_message(subscriber):
    body = assert_error(subscriber.create(dict(QUESTIONNAIRE, cheval="oui")), 400, "invalid_questionnaire")
    assert "cheval" in body["message"]


def test_neither_project_nor_interests_is_invalid(subscriber):
    questionnaire = {k: v for k, v in QUESTIONNAIRE.items() if k not in ("projetProfessionnel", "centresInteret")}
    body = assert_error(subscriber.create(questionnaire), 400, "invalid_questionnaire")
    assert body.get("field") in ("projetProfessionnel", "centresInteret"), body


def test_questionnaire_is_checked_before_eligibility(users):
    client = users.with_payments()  # not a subscriber
    body = assert_error(client.create(without("niveau")), 400, "invalid_questionnaire")
    assert body["field"] == "niveau"


def test_user_without_subscription_is_403_not_eligible(users):
    client = users.with_payments(("ANNUAL", "REFUNDED"))
    body = assert_error(client.create(), 403, "not_eligible")
    assert body["reason"] == "NO_SUBSCRIPTION"
    assert bilan_count(client.stack, client.email) == 0


def test_second_create_in_the_year_is_403_not_eligible(stack, subscriber):
    first = subscriber.create_ok()
    body = assert_error(subscriber.create(), 403, "not_eligible")
    assert body["reason"] == "ALREADY_USED"
    assert body.get("lastBilanId", first) == first
    assert bilan_count(stack, subscriber.email) == 1


def test_create_after_a_failed_bilan_is_accepted(stack, subscriber):
    first = subscriber.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'FAILED' WHERE id = :'v1'""", first)
    second = subscriber.create_ok()
    assert second != first


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405_with_allow(subscriber, method):
    response = subscriber.request(method, ROUTE)
    assert_error(response, 405, "method_not_allowed")
    assert [m.strip() for m in response.headers["Allow"].split(",")] == ["POST"]
