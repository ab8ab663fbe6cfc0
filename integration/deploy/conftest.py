"""Deployment suite (issue 7, "Deployment and operations for sysadmins"):
`make install` into a scratch DESTDIR, the installed layout, the systemd
units (`systemd-analyze verify`), the e2e smoke test run FROM the installed
tree, `bilan-admin check`, `--help`, the monitoring routes, the logs, and the
worked example of docs/INTEGRATION.md.

Run from the repository root, as root (the throwaway PostgreSQL cluster runs
as `postgres`), after `make build`:

    make deploy-test
    /usr/bin/python3 -B -m pytest -p no:cacheprovider -q integration/deploy

Nothing is ever installed outside the scratch DESTDIR. BILAN_E2E_KEEP=1 keeps
the stacks' folders; BILAN_DEPLOY_NO_BUILD=1 runs `make -o build install`
(no call to swift build; `make deploy-test` sets it after building).
"""
import shutil

import pytest

from integration.deploy.deploy_support import InstalledTree, make_install, scratch_dir, start_installed_stack, stop_installed_stack
from integration.e2e.generator_support import kill_generators, wait_generators_idle


@pytest.fixture(scope="session")
def installed():
    """One `make install DESTDIR=<tmp> PREFIX=/usr/local` for the session. Tests
    must not modify it (those that need to, install into their own DESTDIR)."""
    destdir = scratch_dir("bilan-destdir-")
    make_install(destdir)
    yield InstalledTree(destdir)
    shutil.rmtree(destdir, ignore_errors=True)


@pytest.fixture(scope="session")
def installed_stack(installed):
    """The whole stack running from the installed tree (real generator, fake
    Gemini, mail to .eml files)."""
    stack = start_installed_stack(installed)
    yield stack
    try:
        wait_generators_idle(stack, timeout=60)
    except TimeoutError:
        kill_generators(stack)
    stop_installed_stack(stack)
