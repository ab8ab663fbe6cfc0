#!/usr/bin/python3
"""A local SMTP server that keeps every message it receives, for tests and demos.

Each message lands in `DIR/<n>-<timestamp>.eml` (the DATA bytes as received,
after SMTP dot-unstuffing, CRLF line ends kept) with a `DIR/<same>.json` beside
it holding the envelope. Optional AUTH (PLAIN/LOGIN, allowed without TLS since
it only listens on loopback) and a mode that refuses recipients with a
transient 451. Runs on Debian's python3-aiosmtpd; see README.md.
"""

import argparse
import asyncio
import hmac
import json
import logging
import os
import re
import signal
import sys
import time
import warnings
from datetime import datetime, timezone

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from testservers.server_support import write_port_file

HOSTNAME = "smtp-sink.localhost"  # fixed, so startup never waits on a DNS lookup


def log(message):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(f"{stamp} smtp_sink: {message}", file=sys.stderr, flush=True)


class SinkHandler:
    """aiosmtpd handler: refuses recipients on demand, saves every message."""

    def __init__(self, directory, fail_rcpt_count):
        self.directory = directory
        # None: accept every recipient; -1: refuse all; N > 0: refuse the next N.
        self.fail_rcpt_left = fail_rcpt_count
        self.counter = next_message_number(directory)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_rcpt_left:
            if self.fail_rcpt_left > 0:
                self.fail_rcpt_left -= 1
            log(f"refused RCPT {address} with 451 (--fail-rcpt)")
            return "451 4.3.0 Temporary failure, please try again later (smtp_sink --fail-rcpt)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = self.counter
        self.counter += 1
        received = datetime.now(timezone.utc)
        stem = f"{number:04d}-{received.strftime('%Y%m%dT%H%M%S.%fZ')}"
        content = envelope.original_content or b""
        metadata = {
            "n": number,
            "mailFrom": envelope.mail_from,
            "rcptTos": list(envelope.rcpt_tos),
            "mailOptions": list(envelope.mail_options),
            "rcptOptions": list(envelope.rcpt_options),
            "heloName": session.host_name,
            "peer": list(session.peer) if session.peer else None,
            "authenticatedAs": authenticated_user(session),
            "receivedAt": received.isoformat(),
            "size": len(content),
            "eml": stem + ".eml",
        }
        # The .eml first, then the .json: a test that sees the .json can read
        # a complete message.
        write_atomically(os.path.join(self.directory, stem + ".eml"), content)
        write_atomically(os.path.join(self.directory, stem + ".json"),
                         json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8"))
        log(f"saved {stem}.eml from=<{envelope.mail_from}> to={envelope.rcpt_tos} "
            f"{len(content)} bytes")
        return "250 2.0.0 Message accepted for delivery"


def authenticated_user(session):
    data = session.auth_data
    if isinstance(data, LoginPassword):
        return data.login.decode("utf-8", "replace")
    return None


def next_message_number(directory):
    """Continue after the messages already in the folder, so a restart never
    overwrites one."""
    numbers = [int(m.group(1)) for name in os.listdir(directory)
               if (m := re.match(r"(\d+)-.*\.eml$", name))]
    return max(numbers, default=0) + 1


def write_atomically(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def make_authenticator(user, password):
    """Accept exactly one user/password pair, over PLAIN or LOGIN."""
    expected_user = user.encode("utf-8")
    expected_password = password.encode("utf-8")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            mechanism in ("PLAIN", "LOGIN")
            and isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, expected_user)
            and hmac.compare_digest(auth_data.password, expected_password)
        )
        if not ok:
            log(f"AUTH {mechanism} refused")
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def smtp_factory(handler, args, loop):
    options = {"hostname": HOSTNAME, "enable_SMTPUTF8": True, "loop": loop}
    if args.auth_user is not None:
        options.update(
            auth_required=True,
            # Plain-text AUTH without STARTTLS: acceptable here because the sink
            # listens on loopback only, and it is what a test relay looks like.
            auth_require_tls=False,
            authenticator=make_authenticator(args.auth_user, args.auth_password),
        )
    return lambda: SMTP(handler, **options)


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = SinkHandler(args.dir, fail_rcpt_count(args))
    server = await loop.create_server(smtp_factory(handler, args, loop), args.host, args.port)
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    if args.port_file:
        write_port_file(args.port_file, port)
    modes = []
    if args.auth_user is not None:
        modes.append("AUTH required")
    if args.fail_rcpt or args.fail_rcpt_count:
        modes.append("RCPT answers 451")
    log(f"listening on smtp://{args.host}:{port}, saving to {args.dir}"
        + (f" ({', '.join(modes)})" if modes else ""))

    await stop.wait()
    server.close()
    await server.wait_closed()
    log("stopped")


def fail_rcpt_count(args):
    if args.fail_rcpt_count:
        return args.fail_rcpt_count
    return -1 if args.fail_rcpt else None


def parse_args(argv):
    parser = argparse.ArgumentParser(description="SMTP server that saves every message (tests, demo).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--dir", required=True, help="folder for the .eml and .json files")
    parser.add_argument("--auth-user", help="require AUTH PLAIN/LOGIN with this user")
    parser.add_argument("--auth-password", help="password for --auth-user")
    parser.add_argument("--fail-rcpt", action="store_true",
                        help="answer every RCPT TO with 451 (transient failure)")
    parser.add_argument("--fail-rcpt-count", type=int, default=0, metavar="N",
                        help="answer only the next N RCPT TO with 451, then accept")
    args = parser.parse_args(argv)
    if (args.auth_user is None) != (args.auth_password is None):
        parser.error("--auth-user and --auth-password go together")
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    # aiosmtpd warns about AUTH without TLS; that is deliberate here (loopback).
    # Its own log would otherwise repeat that warning for every connection.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
