"""The Python suites that drive the real stack: e2e, reliability, deploy,
browser (see pytest.ini at the repository root)."""
