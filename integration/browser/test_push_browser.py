"""« Me prévenir sur cet appareil » in a real headless Chromium (SPEC §14).

The permission is granted through the DevTools protocol
(`Browser.grantPermissions`), as a student's « Autoriser » would. Headless
Chromium has no push service of its own here (Chrome's goes through Google's
servers), so `PushManager.subscribe` is the one browser call replaced: it
returns a subscription made by the local push service
(testservers/push_service.py) with the site's VAPID key. Everything else is
the browser's own: the permission prompt on click, the service worker's
registration, the page's POST to /api/orientation/push; then the real
generator pushes to the local service, which verifies and decrypts it, and
the decrypted message is handed to the service worker
(`ServiceWorker.deliverPushMessage`), which must show the notification.
"""
from __future__ import annotations

import json
import time
import urllib.request
import uuid

from integration.browser.browser_support import RESULT_PATH, add_subscriber, click, element, log_in_with_cookie, until
from integration.e2e.support import QUESTIONNAIRE
from scripts.devstack import wait_for

# Installed before the page's own scripts: counts permission requests and
# stands in for the push service Chromium cannot reach from here.
STUB = """
(function () {
  var subscription = %s;
  window.__push = { permissionRequests: 0, subscribeCalls: [] };
  var ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = function () { window.__push.permissionRequests += 1; return ask(); };
  function keyBytes(text) {
    var b = text.replace(/-/g, '+').replace(/_/g, '/'); while (b.length %% 4) b += '=';
    var raw = atob(b), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  var made = null;
  PushManager.prototype.getSubscription = function () { return Promise.resolve(made); };
  PushManager.prototype.subscribe = function (options) {
    var key = new Uint8Array(options.applicationServerKey);
    window.__push.subscribeCalls.push({ userVisibleOnly: options.userVisibleOnly, key: Array.from(key) });
    made = {
      endpoint: subscription.endpoint,
      options: { applicationServerKey: key.buffer, userVisibleOnly: true },
      toJSON: function () { return { endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys }; },
      unsubscribe: function () { made = null; return Promise.resolve(true); }
    };
    return Promise.resolve(made);
  };
  window.__expectedKey = Array.from(keyBytes(subscription.applicationServerKey));
})();
"""


def create_bilan(stack, token: str) -> str:
    """Through the API, as the questionnaire page posts it (its form is not the subject here)."""
    request = urllib.request.Request(
        stack.base_url + "/api/orientation/create", data=json.dumps(QUESTIONNAIRE).encode(), method="POST",
        headers={"Content-Type": "application/json", "Origin": stack.base_url, "Cookie": f"bilan_session={token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["bilanId"]


def script(driver, source: str):
    """Runs an async snippet that calls `done(value)`; returns the value."""
    return driver.execute_async_script("var done = arguments[arguments.length - 1];" + source)


def test_push_button_asks_permission_registers_the_worker_and_the_push_arrives(stack, browsers, artifacts, stack_logs):
    email = f"push-{uuid.uuid4().hex[:8]}@example.org"
    add_subscriber(stack, email)
    subscription = stack.push_service("POST", "/_control/subscriptions",
                                      {"applicationServerKey": stack.env["VAPID_PUBLIC_KEY"]})
    subscription["applicationServerKey"] = stack.env["VAPID_PUBLIC_KEY"]

    driver = browsers()
    driver.set_script_timeout(20)
    driver.execute_cdp_cmd("ServiceWorker.enable", {})
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": stack.base_url, "permissions": ["notifications"]})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": STUB % json.dumps(subscription)})
    token = log_in_with_cookie(driver, stack, email)

    stack.gemini("POST", "/_control/latency", {"ms": 2500})  # long enough to click while PENDING
    try:
        bilan_id = create_bilan(stack, token)
        driver.get(f"{stack.base_url}/orientation/resultat/{bilan_id}")
        assert RESULT_PATH.search(driver.current_url)
        button = until(driver, lambda d: d.find_element("id", "push-subscribe") if element(d, "push").is_displayed() else None,
                       10, "the push offer is shown")
        assert "Me prévenir sur cet appareil" in button.text
        # Nothing before the click: no permission asked, no worker registered.
        assert driver.execute_script("return window.__push.permissionRequests") == 0
        assert script(driver, "navigator.serviceWorker.getRegistration('/orientation/').then(function (r) { done(!!r); });") is False

        driver.save_screenshot(str(artifacts / "push-offer.png"))
        click(driver, button)
        until(driver, lambda d: "noté" in element(d, "push-status").text, 15, "the page confirms the subscription")
        assert driver.execute_script("return window.__push.permissionRequests") == 1
        calls = driver.execute_script("return window.__push.subscribeCalls")
        assert len(calls) == 1 and calls[0]["userVisibleOnly"] is True
        assert calls[0]["key"] == driver.execute_script("return window.__expectedKey"), "subscribed with the VAPID key"
        worker = script(driver, """navigator.serviceWorker.getRegistration('/orientation/').then(function (r) {
            done(r && r.active ? [r.scope, r.active.scriptURL] : null); });""")
        assert worker == [f"{stack.base_url}/orientation/", f"{stack.base_url}/orientation/sw.js"], worker
        stored = stack.psql("""SELECT s."endpoint" FROM push_subscriptions s JOIN users u ON u."id" = s."userId"
                               WHERE u."email" = :'v1'""", email)
        assert stored == subscription["endpoint"], "the subscription POST reached the server"
        driver.save_screenshot(str(artifacts / "push-subscribed.png"))
    finally:
        stack.gemini("POST", "/_control/latency", {"ms": 0})

    # The bilan completes while the tab is open: the push leaves, the tab changes.
    messages = wait_for(lambda: stack.push_service("GET", f"/_control/messages?subscription={subscription['id']}"),
                        90, "the push to reach the local push service", interval=0.5)
    assert messages[0]["payload"]["url"] == f"{stack.base_url}/orientation/resultat/{bilan_id}"
    until(driver, lambda d: d.title.startswith("\u2705"), 30, "the title announces the finished bilan")
    assert element(driver, "favicon").get_attribute("href").endswith("/assets/favicon-ready.svg")

    # The decrypted message, handed to the service worker as Chromium's push
    # service would: it must show the notification with the link.
    # The profile is new (chromedriver makes one per session) and this is its
    # only registration: Chromium numbers registrations from 0. The worker
    # may be starting up: the message is handed again until it shows (its
    # tag makes a second one replace the first, as on a real device).
    def notifications_after_a_push():
        driver.execute_cdp_cmd("ServiceWorker.deliverPushMessage", {
            "origin": stack.base_url, "registrationId": "0", "data": messages[0]["text"]})
        time.sleep(1)
        return script(driver, """navigator.serviceWorker.ready.then(function (r) { return r.getNotifications(); })
            .then(function (list) { done(list.map(function (n) { return [n.title, n.data && n.data.url, n.tag]; })); });""")
    shown = wait_for(notifications_after_a_push, 30, "the service worker to show the notification", interval=0.5)
    assert shown == [[messages[0]["payload"]["title"], messages[0]["payload"]["url"], f"bilan-{bilan_id}"]], shown
