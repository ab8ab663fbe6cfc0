"""End-to-end suite: drives the real stack (PostgreSQL, migrations, the
FastCGI handlers under spawn-fcgi, nginx with the shipped snippet) over HTTP.

Run from the repository root, as root (the throwaway cluster runs as the
`postgres` user):

    BILAN_BIN=.build/debug /usr/bin/python3 -B -m pytest -p no:cacheprovider -q tests/e2e

`BILAN_BIN` names the folder holding the executables (default
`.build/release`); `BILAN_E2E_KEEP=1` keeps the stacks' folders (logs, mail)
for a post-mortem. One stack serves the whole session; tests that have to
break a stack (stop PostgreSQL, swap the generator) start their own.
"""
import tempfile
from pathlib import Path

import pytest

from support import Users, bin_dir, start_stack, stop_stack


def mail_only_generator() -> str:
    """A stand-in for bilan-generator that sends queued mail for real (login
    links go through `bilan-generator send-mail`, SPEC §16) and does nothing
    for `run`, so a bilan stays exactly as a test put it. The real program's
    path is written into the script: the spawned process inherits only the
    settings' environment variables."""
    folder = Path(tempfile.mkdtemp(prefix="bilan-mail-only-"))
    script = folder / "bilan-generator"
    script.write_text("#!/bin/sh\n"
                      f'[ "$1" = send-mail ] && exec "{bin_dir() / "bilan-generator"}" send-mail\n'
                      "exit 0\n")
    script.chmod(0o755)
    folder.chmod(0o755)
    return str(script)


@pytest.fixture(scope="session")
def stack():
    # The route tests look at the handlers, not at generation.
    stack = start_stack(env={"GENERATOR_PATH": mail_only_generator()})
    yield stack
    stop_stack(stack)


@pytest.fixture
def users(stack, request) -> Users:
    """Makes users whose addresses are unique and named after the test."""
    return Users(stack, request.node.name)


@pytest.fixture
def subscriber(users):
    """A logged-in annual subscriber who has never asked for a bilan."""
    return users.subscriber()
