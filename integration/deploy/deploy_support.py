"""Helpers of the deployment suite (issue 7): `make install` into a scratch
DESTDIR, the paths of an installed tree, and a Stack that runs FROM that tree
(executables, templates, migrations, www/ and nginx snippets as installed),
not from the build tree.

The e2e helpers (integration/e2e/support.py, generator_support.py) and
scripts/devstack.py are reused as they are, imported as packages.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Re-exported for the tests of this folder.
from integration.e2e.support import REPO, Client, Users, assert_json, psql_url, wait_for_mail  # noqa: F401
from scripts.devstack import Stack, free_port, wait_for  # noqa: F401

HANDLERS = ["bilan-eligibility", "bilan-create", "bilan-status", "bilan-page", "bilan-auth"]
EXECUTABLES = HANDLERS + ["bilan-generator", "bilan-admin"]
PREFIX = "/usr/local"


@dataclass
class InstalledTree:
    """What `make install DESTDIR=<destdir> PREFIX=<prefix>` produced."""
    destdir: Path
    prefix: str = PREFIX

    @property
    def root(self) -> Path:
        return self.destdir / self.prefix.lstrip("/")

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def share(self) -> Path:
        return self.root / "share" / "bilan"

    @property
    def units(self) -> Path:
        return self.root / "lib" / "systemd" / "system"

    @property
    def env_file(self) -> Path:
        return self.destdir / "etc" / "bilan" / "bilan.env"


def make_install(destdir: Path, prefix: str = PREFIX, **variables: str) -> subprocess.CompletedProcess:
    """Runs `make install` exactly as docs/INSTALL.md says, into `destdir`.

    `make install` depends on `make build` (a no-op when the release build is
    up to date). BILAN_DEPLOY_NO_BUILD=1 (set by `make deploy-test`, which has
    just built) skips that step with make's `-o build`, so the test never
    touches .build/ while other work goes on in the tree."""
    argv = ["make", "-C", str(REPO), "--no-print-directory"]
    if os.environ.get("BILAN_DEPLOY_NO_BUILD"):
        argv += ["-o", "build", "-o", "deps"]
    argv += ["install", f"DESTDIR={destdir}", f"PREFIX={prefix}"]
    argv += [f"{key}={value}" for key, value in variables.items()]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"make install failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def scratch_dir(prefix: str) -> Path:
    """A temporary folder the `postgres` user may traverse (the cluster's)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path


def start_installed_stack(tree: InstalledTree, **options) -> Stack:
    """A Stack running the installed executables with only the settings a site
    would put in /etc/bilan/bilan.env: TEMPLATES_DIR, MIGRATIONS_DIR and
    GENERATOR_PATH are left unset (Stack's share_dir), so the executables must
    find ../share/bilan and bilan-generator beside themselves; nginx serves the
    installed www/ with the installed snippets."""
    root = scratch_dir("bilan-deploy-")
    stack = Stack(root, bin_dir=tree.bin, share_dir=tree.share, **options)
    try:
        return stack.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def new_database(stack: Stack, name: str) -> str:
    """A fresh, empty database on a running stack's cluster (starting another
    cluster costs far more); returns its libpq URL."""
    stack.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    stack.psql(f'CREATE DATABASE "{name}"')
    return f"postgresql:///{name}?host={stack.pg_socket_dir}&user=postgres"


def stop_installed_stack(stack: Stack):
    stack.stop()
    if os.environ.get("BILAN_E2E_KEEP"):
        print(f"\nstack kept in {stack.root}")
    else:
        shutil.rmtree(stack.root, ignore_errors=True)


def run(argv: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True, timeout=timeout)


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def closed_port() -> int:
    """A local TCP port nothing listens on (bound then released)."""
    return free_port()
