"""Reliability suite: bad input, faults of real components, two hosts
sharing one database, abuse, load and leaks (docs/RELIABILITY.md).

Run from the repository root, as root (the throwaway clusters run as the
`postgres` user), with the executables in BILAN_BIN:

    BILAN_BIN=.build/release /usr/bin/python3 -B -m pytest -p no:cacheprovider -q -m "not soak" integration/reliability
    BILAN_BIN=.build/release /usr/bin/python3 -B -m pytest -p no:cacheprovider -q -s -m soak integration/reliability

Every test runs under a time limit (`@pytest.mark.time_limit(seconds)`,
default 300 s): a hang fails the test instead of blocking the suite. Both
markers (`soak`, `time_limit`) are declared in the root pytest.ini.
"""
import signal

import pytest

DEFAULT_LIMIT = 300


class TimeLimitExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def _time_limit(request):
    marker = request.node.get_closest_marker("time_limit")
    seconds = int(marker.args[0]) if marker else DEFAULT_LIMIT

    def expired(signum, frame):
        raise TimeLimitExceeded(f"{request.node.nodeid} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
