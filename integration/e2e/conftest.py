"""End-to-end suite: drives the real stack (PostgreSQL, migrations, the
FastCGI handlers under spawn-fcgi, nginx with the shipped snippet) over HTTP.

Run from the repository root, as root (the throwaway cluster runs as the
`postgres` user):

    BILAN_BIN=.build/debug /usr/bin/python3 -B -m pytest -p no:cacheprovider -q integration/e2e

`BILAN_BIN` names the folder holding the executables (default
`.build/release`); `BILAN_E2E_KEEP=1` keeps the stacks' folders (logs, mail)
for a post-mortem. One stack serves the whole session; tests that have to
break a stack (stop PostgreSQL, swap the generator) start their own.
"""
import pytest

from integration.e2e.support import Users, mail_only_generator, start_stack, stop_stack


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
