"""GET /api/orientation/bilan/<id> and GET /api/orientation/bilans (SPEC §3 "Lookup")."""
from datetime import timedelta
from urllib.parse import quote

import pytest

from integration.e2e.support import assert_error, assert_json, iso

REPORT = """# Votre bilan d'orientation

## Synthèse de votre profil

Un profil scientifique.

## Pistes d'études recommandées

- CPGE MPSI

## Plan d'action

1. Préparer Parcoursup.
"""


# ---- one bilan ----------------------------------------------------------------
def test_pending_bilan_has_the_documented_fields(subscriber):
    bilan_id = subscriber.create_ok()

    response = subscriber.bilan(bilan_id)

    body = assert_json(response, 200)
    assert body["id"] == bilan_id
    assert body["status"] == "PENDING"
    created, updated = iso(body["createdAt"]), iso(body["updatedAt"])
    assert created.utcoffset() == timedelta(0) and updated >= created
    assert body["completedAt"] is None
    progress = body["progress"]
    assert progress["total"] == 3 and progress["step"] in (0, 1, 2, 3)
    assert isinstance(progress["label"], str) and progress["label"].strip()
    assert "resultat" not in body and "errorMessage" not in body
    assert response.headers["Retry-After"] == "5"
    assert response.headers.get("ETag")


def test_completed_bilan_has_the_report_and_its_sections(stack, subscriber):
    bilan_id = subscriber.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'COMPLETED', resultat = :'v2',
                  "completedAt" = now(), "updatedAt" = now() WHERE id = :'v1'""", bilan_id, REPORT)

    response = subscriber.bilan(bilan_id)

    body = assert_json(response, 200)
    assert body["status"] == "COMPLETED"
    assert body["resultat"] == REPORT
    assert body["sections"] == ["Synthèse de votre profil", "Pistes d'études recommandées", "Plan d'action"]
    assert iso(body["completedAt"]) >= iso(body["createdAt"])
    assert "Retry-After" not in response.headers


def test_failed_bilan_has_a_user_safe_message(stack, subscriber):
    bilan_id = subscriber.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'FAILED', "errorMessage" = :'v2',
                  "updatedAt" = now() WHERE id = :'v1'""", bilan_id, "La génération a échoué.")

    response = subscriber.bilan(bilan_id)

    body = assert_json(response, 200)
    assert body["status"] == "FAILED"
    assert body["errorMessage"] == "La génération a échoué."
    assert "resultat" not in body
    assert "Retry-After" not in response.headers


def test_etag_then_if_none_match_is_304(stack, subscriber):
    bilan_id = subscriber.create_ok()
    etag = subscriber.bilan(bilan_id).headers["ETag"]

    response = subscriber.bilan(bilan_id, headers={"If-None-Match": etag})

    assert response.status_code == 304, response.text
    assert response.content == b""
    assert response.headers.get("ETag") == etag


def test_etag_changes_when_the_bilan_changes(stack, subscriber):
    bilan_id = subscriber.create_ok()
    etag = subscriber.bilan(bilan_id).headers["ETag"]
    stack.psql("""UPDATE "orientation_bilans" SET "progressStep" = 2, "updatedAt" = now() + interval '1 second'
                  WHERE id = :'v1'""", bilan_id)

    response = subscriber.bilan(bilan_id, headers={"If-None-Match": etag})

    body = assert_json(response, 200)
    assert body["progress"]["step"] == 2
    assert response.headers["ETag"] != etag


def test_lookup_without_session_is_401(subscriber, users):
    bilan_id = subscriber.create_ok()
    assert_error(users.anonymous().bilan(bilan_id), 401, "unauthenticated")


# ---- nothing tells unknown, malformed and foreign ids apart -------------------------
@pytest.fixture
def not_found_body(subscriber):
    """The 404 body for an id that does not exist."""
    response = subscriber.bilan("6f1c1f5e-8a52-4c5e-9d9e-0d6f3c2b1a00")
    assert_error(response, 404, "not_found")
    return response.content


@pytest.mark.parametrize("bilan_id", ["abc", "1 OR 1=1", "1' OR '1'='1", "6F1C1F5E-8A52-4C5E-9D9E-0D6F3C2B1A0",
                                      "%00", "é" * 36])
def test_malformed_id_is_the_same_404(subscriber, not_found_body, bilan_id):
    response = subscriber.bilan(quote(bilan_id, safe=""))
    assert_error(response, 404, "not_found")
    assert response.content == not_found_body


def test_dot_segment_id_is_the_same_404(subscriber, not_found_body):
    # "../etc/passwd" sent as one (percent-encoded) path segment.
    response = subscriber.bilan(quote("../etc/passwd", safe=""))
    assert_error(response, 404, "not_found")
    assert response.content == not_found_body


def test_another_users_bilan_is_the_same_404(users, subscriber, not_found_body):
    someone_else = users.subscriber()
    bilan_id = someone_else.create_ok()

    response = subscriber.bilan(bilan_id)

    assert_error(response, 404, "not_found")
    assert response.content == not_found_body
    assert_json(someone_else.bilan(bilan_id), 200)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_405_with_allow(subscriber, method):
    bilan_id = subscriber.create_ok()
    response = subscriber.request(method, f"/api/orientation/bilan/{bilan_id}")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


# ---- history ----------------------------------------------------------------------
def test_history_lists_the_users_bilans_newest_first(stack, users):
    client, someone_else = users.subscriber(), users.subscriber()
    older = client.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'FAILED', "createdAt" = now() - interval '2 days'
                  WHERE id = :'v1'""", older)
    newer = client.create_ok()
    someone_else.create_ok()

    body = assert_json(client.history(), 200)

    bilans = body["bilans"]
    assert [b["id"] for b in bilans] == [newer, older]
    assert [b["status"] for b in bilans] == ["PENDING", "FAILED"]
    assert iso(bilans[0]["createdAt"]) > iso(bilans[1]["createdAt"])


def test_history_of_a_new_subscriber_is_empty(subscriber):
    assert assert_json(subscriber.history(), 200) == {"bilans": []}


def test_history_without_session_is_401(users):
    assert_error(users.anonymous().history(), 401, "unauthenticated")
