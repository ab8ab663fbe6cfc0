"""Browser suite: a real headless Chromium (Debian's `chromium` + `chromedriver`,
driven by python3-selenium) against the real local stack of
`scripts/devstack.py` — PostgreSQL, migrations, the FastCGI handlers under
spawn-fcgi, nginx with the shipped snippet, the detached generator, the
fake Gemini server and the local Web Push service.

Run from the repository root, as root (the throwaway cluster runs as the
`postgres` user):

    BILAN_BIN=.build/debug /usr/bin/python3 -B -m pytest -p no:cacheprovider -q integration/browser

Settings (environment):
  BILAN_BIN                 folder of the executables (default .build/release)
  BILAN_BROWSER_LATENCY_MS  fake Gemini latency per call (default 1500)
  BILAN_BROWSER_KEEP=1      keep the stack's folder (logs, mail) afterwards

Screenshots land in integration/browser/artifacts/ (ignored by git); a failing test
also leaves `<test>-failure.png` and `<test>-failure.html` there.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"

from integration.browser.browser_support import new_driver
from scripts.devstack import Stack

LATENCY_MS = int(os.environ.get("BILAN_BROWSER_LATENCY_MS", "1500"))


@pytest.fixture(scope="session")
def stack():
    root = Path(tempfile.mkdtemp(prefix="bilan-browser-"))
    os.chmod(root, 0o755)  # the cluster runs as `postgres`, which must reach it
    bin_dir = Path(os.environ.get("BILAN_BIN", REPO / ".build" / "release")).resolve()
    # push=True: Web Push is on (a VAPID pair, the local push service), as
    # on a site that set it up: the pending page shows its button.
    stack = Stack(root, bin_dir=bin_dir, gemini_latency_ms=LATENCY_MS, push=True)
    try:
        stack.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    yield stack
    stack.stop()
    if os.environ.get("BILAN_BROWSER_KEEP"):
        print(f"\nstack kept in {stack.root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("*-failure*"):  # left by an earlier run
        stale.unlink()
    return ARTIFACTS


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


@pytest.fixture
def browsers(request, artifacts):
    """Factory of Chromium drivers; every driver is quit after the test, and
    on failure each one leaves a screenshot and its page source behind."""
    drivers = []

    def make(javascript: bool = True):
        driver = new_driver(javascript=javascript)
        drivers.append(driver)
        return driver

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, driver in enumerate(drivers):
        try:
            if failed:
                stem = f"{request.node.name}-failure" + (f"-{i}" if i else "")
                driver.save_screenshot(str(artifacts / f"{stem}.png"))
                (artifacts / f"{stem}.html").write_text(
                    f"<!-- {driver.current_url} -->\n" + driver.page_source, encoding="utf-8")
        except Exception as error:  # the browser may be gone already
            print(f"could not save failure artifacts: {error}")
        finally:
            driver.quit()


@pytest.fixture
def stack_logs(request, stack):
    """On failure, prints the tail of the generator and nginx logs."""
    yield
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for path in (stack.generator_log, stack.nginx_log, stack.root / "log" / "gemini.log"):
            try:
                lines = path.read_text(errors="replace").splitlines()[-25:]
            except OSError:
                continue
            print(f"\n--- {path.name} (tail) ---\n" + "\n".join(lines))
