"""`make run`: the whole stack on http://127.0.0.1:$PORT, a demo subscriber,
and a login link. Every setting of README's table given in the environment
overrides the demo default (a real database, Gemini key or SMTP server).
Ctrl-C stops everything this started. Run from the repository root as
`python3 -m scripts.run` (what `make run` does)."""
from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import threading
import time
import urllib.parse
import urllib.request

from scripts.devstack import REPO, Stack

SETTINGS = ["DATABASE_URL", "DIRECT_URL", "DATABASE_PREPARED", "PUBLIC_URL", "GEMINI_API_KEY", "GEMINI_MODEL",
            "GEMINI_BASE_URL", "GEMINI_TIMEOUT", "MAIL_TRANSPORT", "SMTP_URL", "SMTP_TLS", "MAIL_DIR", "MAIL_FROM",
            "SUPPORT_URL", "SESSION_COOKIE", "MAX_GENERATORS", "MAX_ATTEMPTS", "GENERATOR_PATH", "TEMPLATES_DIR",
            "LOG_LEVEL", "SENDMAIL_PATH", "GEMINI_MAX_TRIES", "GEMINI_RETRY_BASE_MS", "REQUEUE_BASE_SECONDS",
            "MAIL_UNCONFIRMED_RETRY_SECONDS", "LOGIN_PATH", "GEMINI_FALLBACK_MODELS", "GEMINI_THINKING_LEVEL",
            "GEMINI_THINKING_BUDGET", "GEMINI_TEMPERATURE", "REPORT_LINK_HOSTS", "WEASYPRINT_PATH", "PDF_TIMEOUT",
            "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_ALLOW_HTTP", "PUSH_SERVICE_HOSTS"]
DEMO_EMAIL = os.environ.get("DEMO_EMAIL", "eleve.demo@example.org")


def login_link(stack: Stack) -> str | None:
    """Asks for a magic link like a student would, and reads it from the mail folder."""
    before = set(stack.mail_dir.glob("*.eml"))
    body = urllib.parse.urlencode({"email": DEMO_EMAIL, "returnTo": "/orientation/"}).encode()
    request = urllib.request.Request(stack.base_url + "/auth/login", data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Origin": stack.base_url})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        new = sorted(set(stack.mail_dir.glob("*.eml")) - before)
        if new:
            message = email.message_from_bytes(new[-1].read_bytes(), policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",)).get_content()
            match = re.search(r"https?://\S+/auth/callback\?token=\w+", text)
            return match.group(0) if match else None
        time.sleep(0.1)
    return None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def recover_every_minute(stack: Stack, stop: threading.Event):
    """What the systemd timer does in production."""
    while not stop.wait(60):
        stack.generator("recover")


def main():
    port = int(os.environ.get("PORT", "8080"))
    overrides = {key: os.environ[key] for key in SETTINGS if os.environ.get(key)}
    demo = "GEMINI_API_KEY" not in overrides
    # Without a VAPID identity of the site's own, the demo makes one and runs
    # the local push service, so a push arrives end to end on this machine.
    local_push = "VAPID_PRIVATE_KEY" not in overrides
    stack = Stack(REPO / "var", port=port, env=overrides, demo=demo, push=local_push,
                  database_url=overrides.get("DATABASE_URL"), gemini_latency_ms=1500 if demo else 0)
    print(f"starting the stack under {stack.root} …", flush=True)
    stack.start()
    stack.admin("user", "add", DEMO_EMAIL, "--name", "Élève de démonstration")
    if "ANNUAL" not in stack.psql(
            "SELECT string_agg(p.plan, ',') FROM payments p JOIN users u ON u.id = p.\"userId\" "
            "WHERE lower(u.email) = lower(:'v1')", DEMO_EMAIL):
        stack.admin("payment", "add", DEMO_EMAIL, "--plan", "ANNUAL")
    link = login_link(stack) if stack.env.get("MAIL_TRANSPORT") == "file" else None
    if local_push:
        # The demo subscriber's "device": a subscription at the local push
        # service, posted through the real route as the page's button does.
        stack.push_subscription(stack.admin("session", DEMO_EMAIL).stdout.strip())
    stop = threading.Event()
    threading.Thread(target=recover_every_minute, args=(stack, stop), daemon=True).start()

    print()
    print(f"  Bilan d'orientation is running: {stack.base_url}/orientation/")
    if demo:
        print("  DEMO MODE: reports come from a local fake Gemini server, not from Google.")
    print(f"  Demo subscriber: {DEMO_EMAIL}")
    print(f"  Log in with:     {link}" if link else f"  Log in at {stack.base_url}/auth/login.html (link sent by mail)")
    print(f"  Mails:           {stack.mail_dir}/" if stack.env.get("MAIL_TRANSPORT") == "file" else "")
    if local_push:
        print(f"  Web Push:        local push service on http://127.0.0.1:{stack.push_port}; the demo subscriber's")
        print(f"                   pushes, decrypted, land in {stack.push_messages_file}")
    print(f"  Logs:            {stack.root / 'log'}/ (nginx.log holds the handlers' lines)")
    print("  Ctrl-C stops everything.")
    print(flush=True)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
    finally:
        stop.set()
        stack.stop()


if __name__ == "__main__":
    main()
