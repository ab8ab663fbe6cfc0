"""GET /api/orientation/eligibility (SPEC §3, eligibility rule)."""
import secrets
from datetime import timedelta

import pytest

from integration.e2e.support import assert_error, assert_json, iso

ROUTE = "/api/orientation/eligibility"


def test_without_cookie_is_401(users):
    assert_error(users.anonymous().eligibility(), 401, "unauthenticated")


@pytest.mark.parametrize("cookie", [
    secrets.token_hex(32),          # shaped like a real token, never issued
    "not a token; at all",          # not even shaped like one
    "' OR '1'='1",
])
def test_forged_cookie_is_401(users, cookie):
    client = users.anonymous()
    client.token = cookie
    assert_error(client.eligibility(), 401, "unauthenticated")


def test_user_without_payment_has_no_subscription(users):
    body = assert_json(users.with_payments().eligibility(), 200)
    assert body == {"eligible": False, "reason": "NO_SUBSCRIPTION"}


@pytest.mark.parametrize("status", ["REFUNDED", "FAILED"])
def test_payment_that_did_not_succeed_gives_no_subscription(users, status):
    client = users.with_payments(("ANNUAL", status))
    body = assert_json(client.eligibility(), 200)
    assert body == {"eligible": False, "reason": "NO_SUBSCRIPTION"}


@pytest.mark.parametrize("plan", ["MONTHLY", "ANNUAL"])
def test_subscriber_is_eligible_with_their_plan(users, plan):
    body = assert_json(users.subscriber(plan).eligibility(), 200)
    assert body == {"eligible": True, "plan": plan}


def test_refund_beside_a_succeeded_payment_keeps_access(users):
    client = users.with_payments(("MONTHLY", "REFUNDED"), ("MONTHLY", "SUCCEEDED"))
    body = assert_json(client.eligibility(), 200)
    assert body == {"eligible": True, "plan": "MONTHLY"}


def test_after_a_create_the_year_is_used(subscriber):
    bilan_id = subscriber.create_ok()
    created_at = iso(assert_json(subscriber.bilan(bilan_id), 200)["createdAt"])

    body = assert_json(subscriber.eligibility(), 200)
    assert body["eligible"] is False
    assert body["reason"] == "ALREADY_USED"
    assert body["lastBilanId"] == bilan_id
    assert iso(body["nextEligibleAt"]) == created_at + timedelta(days=365)


def test_a_failed_bilan_does_not_use_up_the_year(stack, subscriber):
    bilan_id = subscriber.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'FAILED' WHERE id = :'v1'""", bilan_id)

    body = assert_json(subscriber.eligibility(), 200)
    assert body == {"eligible": True, "plan": "ANNUAL"}


def test_a_completed_bilan_uses_up_the_year(stack, subscriber):
    bilan_id = subscriber.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'COMPLETED', resultat = '# Bilan'
                  WHERE id = :'v1'""", bilan_id)

    body = assert_json(subscriber.eligibility(), 200)
    assert body["reason"] == "ALREADY_USED" and body["lastBilanId"] == bilan_id


def test_a_bilan_366_days_old_no_longer_counts(stack, subscriber):
    bilan_id = subscriber.create_ok()
    stack.psql("""UPDATE "orientation_bilans" SET status = 'COMPLETED',
                  "createdAt" = now() - interval '366 days' WHERE id = :'v1'""", bilan_id)

    body = assert_json(subscriber.eligibility(), 200)
    assert body == {"eligible": True, "plan": "ANNUAL"}


def test_a_bilan_364_days_old_still_counts(stack, subscriber):
    bilan_id = subscriber.create_ok()
    created_at = stack.psql(
        """UPDATE "orientation_bilans" SET status = 'COMPLETED',
           "createdAt" = now() - interval '364 days' WHERE id = :'v1'
           RETURNING to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')""",
        bilan_id)

    body = assert_json(subscriber.eligibility(), 200)
    assert body["eligible"] is False and body["reason"] == "ALREADY_USED"
    assert body["lastBilanId"] == bilan_id
    assert iso(body["nextEligibleAt"]) == iso(created_at) + timedelta(days=365)


def test_wrong_method_is_405_with_allow(subscriber):
    response = subscriber.post(ROUTE, json={})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("Allow", "")
