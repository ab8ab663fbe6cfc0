"""Web Push end to end (SPEC §14): a student's browser subscription posted
through nginx to bilan-create, the real generator pushing the settled bilan
through libcurl to testservers/push_service.py, which verifies the VAPID JWT
and decrypts the aes128gcm body with the subscription's private key.

Two stacks of this module's own, with the real generator (FAST_ENV):
- `push_stack`: a VAPID pair made by `bilan-admin vapid-keys`, the local push
  service, PUSH_ALLOW_HTTP=true (its endpoints are plain http);
- `off_stack`: the push service runs, but no VAPID setting is given: the
  feature is off, nothing may reach the service.
"""
import pytest

from integration.e2e.generator_support import (FAST_ENV, READY_SUBJECT, assert_nothing_pending, create_bilan,
                                               new_client, recover, reset_gemini, set_default_fault,
                                               stop_stack_when_idle, wait_generators_idle, wait_settled)
from integration.e2e.support import JSON_TYPE, start_stack

PUSH = "/api/orientation/push"


@pytest.fixture(scope="module")
def push_stack():
    stack = start_stack(mail="file", push=True, env=dict(FAST_ENV))
    yield stack
    stop_stack_when_idle(stack)


@pytest.fixture
def pushing(push_stack):
    wait_generators_idle(push_stack)
    reset_gemini(push_stack)
    yield push_stack
    set_default_fault(push_stack, None)
    assert_nothing_pending(push_stack)


@pytest.fixture(scope="module")
def off_stack():
    stack = start_stack(mail="file", push=True, env=dict(
        FAST_ENV, VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY="", VAPID_SUBJECT="", PUSH_ALLOW_HTTP="true"))
    yield stack
    stop_stack_when_idle(stack)


def messages(stack, subscription) -> list[dict]:
    return stack.push_service("GET", f"/_control/messages?subscription={subscription['id']}")


def deliveries(stack, bilan_id) -> list[str]:
    """'<state> sent|gave up|owed <attempts> <last error>' per delivery row of the bilan."""
    text = stack.psql("""
        SELECT d."outcome" || ' ' || CASE WHEN d."sentAt" IS NOT NULL THEN 'sent'
                                          WHEN d."gaveUpAt" IS NOT NULL THEN 'gave up' ELSE 'owed' END
               || ' ' || d."attempts" || ' ' || coalesce(d."lastError", '')
          FROM push_deliveries d WHERE d."bilanId" = :'v1'::uuid ORDER BY d."subscriptionId" """, bilan_id)
    return [line.strip() for line in text.splitlines()] if text else []


def subscriptions_of(stack, email) -> int:
    return int(stack.psql("""SELECT count(*) FROM push_subscriptions s JOIN users u ON u."id" = s."userId"
                             WHERE lower(u."email") = lower(:'v1')""", email))


def settle(stack, client) -> tuple[str, dict]:
    bilan_id = create_bilan(client)
    body = wait_settled(client, bilan_id)
    wait_generators_idle(stack)
    return bilan_id, body


# ---- delivery ----------------------------------------------------------------------------
def test_a_subscribed_student_gets_one_decrypted_push_with_the_title_and_link(pushing):
    client = new_client(pushing, "push-happy")
    subscription = pushing.push_subscription(client.token)
    bilan_id, body = settle(pushing, client)
    assert body["status"] == "COMPLETED", body

    [message] = messages(pushing, subscription)
    payload = message["payload"]
    assert payload["title"] == READY_SUBJECT
    assert payload["url"] == f"{pushing.base_url}/orientation/resultat/{bilan_id}"
    assert payload["status"] == "COMPLETED" and payload["tag"] == f"bilan-{bilan_id}"
    assert "Ouvrez-le" in payload["body"]
    # What the push service checked before it answered 201.
    assert message["vapid"]["aud"] == f"http://127.0.0.1:{pushing.push_port}"
    assert message["vapid"]["sub"] == pushing.env["VAPID_SUBJECT"]
    assert message["k"] == pushing.env["VAPID_PUBLIC_KEY"]
    assert message["ttl"] == "86400" and message["urgency"] == "high" and message["topic"] == bilan_id.replace("-", "")
    assert deliveries(pushing, bilan_id) == ["COMPLETED sent 1"]

    # Recovery runs every minute: it never pushes the same bilan again.
    recover(pushing)
    recover(pushing)
    assert len(messages(pushing, subscription)) == 1
    assert pushing.env["VAPID_PRIVATE_KEY"] not in pushing.generator_log.read_text()


def test_a_server_error_is_retried_by_recover_exactly_once(pushing):
    client = new_client(pushing, "push-500")
    subscription = pushing.push_subscription(client.token)
    pushing.push_service("POST", f"/_control/subscriptions/{subscription['id']}/answers", {"answers": [500, 503]})
    bilan_id, body = settle(pushing, client)
    assert body["status"] == "COMPLETED", body
    assert messages(pushing, subscription) == []
    assert deliveries(pushing, bilan_id) == ["COMPLETED owed 1 push service answered 500"]

    recover(pushing)  # 503: still owed
    assert deliveries(pushing, bilan_id) == ["COMPLETED owed 2 push service answered 503"]
    recover(pushing)
    recover(pushing)
    assert len(messages(pushing, subscription)) == 1
    assert deliveries(pushing, bilan_id) == ["COMPLETED sent 3"]


def test_a_410_deletes_the_subscription_and_the_other_device_still_gets_it(pushing):
    client = new_client(pushing, "push-410")
    gone = pushing.push_subscription(client.token)
    kept = pushing.push_subscription(client.token)
    assert subscriptions_of(pushing, client.email) == 2
    pushing.push_service("DELETE", f"/_control/subscriptions/{gone['id']}")
    bilan_id, _ = settle(pushing, client)

    assert subscriptions_of(pushing, client.email) == 1
    assert int(pushing.psql("SELECT count(*) FROM push_subscriptions WHERE \"endpoint\" = :'v1'", gone["endpoint"])) == 0
    assert messages(pushing, gone) == []
    assert len(messages(pushing, kept)) == 1
    assert deliveries(pushing, bilan_id) == ["COMPLETED sent 1"]
    refused = [r for r in pushing.push_service("GET", "/_control/requests") if r["subscription"] == gone["id"]]
    assert [r["status"] for r in refused] == [410]


def test_a_404_deletes_the_subscription_too(pushing):
    client = new_client(pushing, "push-404")
    subscription = pushing.push_subscription(client.token)
    pushing.push_service("POST", f"/_control/subscriptions/{subscription['id']}/answers", {"answers": [404]})
    settle(pushing, client)
    assert subscriptions_of(pushing, client.email) == 0


def test_a_failed_bilan_is_pushed_too(pushing):
    client = new_client(pushing, "push-failed")
    subscription = pushing.push_subscription(client.token)
    set_default_fault(pushing, "403")  # refused by the model: FAILED at once
    bilan_id, body = settle(pushing, client)
    assert body["status"] == "FAILED", body
    [message] = messages(pushing, subscription)
    assert message["payload"]["status"] == "FAILED"
    assert message["payload"]["title"] == "Votre bilan d'orientation n'a pas pu être rédigé"
    assert message["payload"]["url"].endswith(f"/orientation/resultat/{bilan_id}")
    recover(pushing)
    assert len(messages(pushing, subscription)) == 1


def test_a_device_subscribed_after_the_bilan_settled_is_not_pushed_it(pushing):
    client = new_client(pushing, "push-late")
    bilan_id, _ = settle(pushing, client)
    late = pushing.push_subscription(client.token)
    recover(pushing)
    assert messages(pushing, late) == []
    assert deliveries(pushing, bilan_id) == []


# ---- the routes, through nginx ------------------------------------------------------------
def test_subscribe_and_unsubscribe_follow_creates_rules(pushing):
    client = new_client(pushing, "push-routes")
    subscription = pushing.push_service("POST", "/_control/subscriptions", {})
    body = {"endpoint": subscription["endpoint"], "keys": subscription["keys"]}

    anonymous = client.post(PUSH, json=body, headers={"Cookie": ""})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    foreign = client.post(PUSH, json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["error"] == "forbidden_origin"
    as_text = client.post(PUSH, data="{}", headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 415
    broken = client.post(PUSH, data='{"endpoint": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"] == "invalid_json"
    for field, bad in [("keys.p256dh", dict(body, keys=dict(body["keys"], p256dh="BAAA"))),
                       ("keys.auth", dict(body, keys=dict(body["keys"], auth="AAAA"))),
                       ("endpoint", dict(body, endpoint="ftp://127.0.0.1/x")),
                       ("endpoint", dict(body, endpoint="https://push.example.net/" + "a" * 2048))]:
        answer = client.post(PUSH, json=bad)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_subscription" and answer.json()["field"] == field, answer.text
        assert answer.headers["Content-Type"] == JSON_TYPE
    assert client.request("GET", PUSH).status_code == 405
    assert subscriptions_of(pushing, client.email) == 0

    created = client.post(PUSH, json=body)
    assert created.status_code == 201 and created.json() == {"subscribed": True}
    assert created.headers["Cache-Control"] == "no-store"
    assert subscriptions_of(pushing, client.email) == 1
    removed = client.request("DELETE", PUSH, json={"endpoint": body["endpoint"]})
    assert removed.status_code == 204 and removed.content == b""
    assert subscriptions_of(pushing, client.email) == 0


def test_the_pending_page_offers_the_button_with_the_public_key_only(pushing):
    client = new_client(pushing, "push-page")
    pushing.gemini("POST", "/_control/latency", {"ms": 1000})  # the bilan stays PENDING a few seconds
    bilan_id = create_bilan(client)
    page = client.get(f"/orientation/resultat/{bilan_id}", headers={"Accept": "text/html"}).text
    assert 'id="push"' in page and "Me prévenir sur cet appareil" in page
    assert pushing.env["VAPID_PUBLIC_KEY"] in page
    assert pushing.env["VAPID_PRIVATE_KEY"] not in page
    assert '<script src="/assets/push.js" defer></script>' in page
    wait_settled(client, bilan_id)
    wait_generators_idle(pushing)
    worker = client.get("/orientation/sw.js")
    assert worker.status_code == 200 and "showNotification" in worker.text
    assert "javascript" in worker.headers["Content-Type"]


# ---- without VAPID settings ----------------------------------------------------------------
def test_without_vapid_the_routes_are_off_and_nothing_is_pushed(off_stack):
    client = new_client(off_stack, "push-off")
    subscription = off_stack.push_service("POST", "/_control/subscriptions", {})
    body = {"endpoint": subscription["endpoint"], "keys": subscription["keys"]}
    for method in ("POST", "DELETE"):
        answer = client.request(method, PUSH, json=body)
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"] == "push_disabled" and answer.headers["Content-Type"] == JSON_TYPE
    # A subscription left from when push was on: the generator must not use it.
    off_stack.psql("""INSERT INTO push_subscriptions ("userId", "endpoint", "p256dh", "auth")
                      SELECT "id", :'v2', :'v3', :'v4' FROM users WHERE lower("email") = lower(:'v1')""",
                   client.email, subscription["endpoint"], subscription["keys"]["p256dh"], subscription["keys"]["auth"])
    bilan_id, settled = settle(off_stack, client)
    assert settled["status"] == "COMPLETED"
    page = client.get(f"/orientation/resultat/{bilan_id}", headers={"Accept": "text/html"}).text
    assert 'id="push"' not in page and "push.js" not in page
    recover(off_stack)
    assert off_stack.push_service("GET", "/_control/requests") == []
    assert deliveries(off_stack, bilan_id) == []
    check = off_stack.admin("check", check=False).stdout
    [line] = [line for line in check.splitlines() if line.split()[1:2] == ["push"]]
    assert line.startswith("ok") and " off: " in line, check
