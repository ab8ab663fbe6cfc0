"""docs/INSTALL.md's recipes for hosts without systemd, run as written
(paths moved into the scratch install; `-u bilan -g bilan` dropped, there is
no `bilan` user here): spawn-fcgi + multiwatch serve a handler and stop with
it, and the cron line's recovery runs. Also: nothing in INSTALL.md sources
the settings file in a shell, which the example file does not survive.
"""
import grp
import os
import pwd
import re
import signal
import subprocess
from pathlib import Path

import pytest

from integration.deploy.deploy_support import REPO, alive, run, scratch_dir, wait_for

INSTALL = (REPO / "docs" / "INSTALL.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", INSTALL, re.S)


def settings_file(stack, folder: Path) -> Path:
    path = folder / "bilan.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in stack.env.items() if key != "PATH"))
    return path


def localise(command: str, installed, settings: Path, sock: Path) -> str:
    command = command.replace("/usr/local/bin/", f"{installed.bin}/")
    command = command.replace("/etc/bilan/bilan.env", str(settings))
    command = command.replace("/run/bilan/status.sock", str(sock))
    return command.replace("-u bilan -g bilan ", "")


@pytest.fixture
def folder():
    path = scratch_dir("bilan-nosystemd-")
    yield path
    subprocess.run(["rm", "-rf", str(path)])


def test_spawn_fcgi_recipe_serves_and_stops(installed, installed_stack, folder):
    block = next(b for b in shell_blocks() if "spawn-fcgi" in b)
    command = block.replace("\\\n", " ").strip()
    assert "-s TERM" not in command, "multiwatch -s TERM sends SIGQUIT on Debian 12 (see INSTALL.md)"
    sock, pidfile = folder / "status.sock", folder / "status.pid"
    command = localise(command, installed, settings_file(installed_stack, folder), sock)
    command = command.replace("spawn-fcgi ", f"spawn-fcgi -P {pidfile} ", 1)
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    supervisor = int(pidfile.read_text().split()[0])
    try:
        workers = wait_for(lambda: (lambda c: c if len(c) == 4 else None)(
            Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()), 10, "4 workers")
        answer = run(["cgi-fcgi", "-bind", "-connect", sock], env={
            "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/orientation/health",
            "DOCUMENT_URI": "/api/orientation/health", "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": ""})
        assert answer.returncode == 0, answer.stderr
        assert '"queueDepth"' in answer.stdout, answer.stdout
        assert stat_owner(sock) == ("www-data", "www-data"), "-U www-data -G www-data: nginx may connect"
        assert sock.stat().st_mode & 0o777 == 0o660
    finally:
        os.kill(supervisor, signal.SIGTERM)
    # SIGTERM to multiwatch stops it and every worker (SIGUSR1, libfcgi's graceful stop).
    wait_for(lambda: not alive(supervisor) and not any(alive(int(w)) for w in workers), 10,
             "multiwatch and its workers to stop")


def stat_owner(path: Path) -> tuple[str, str]:
    info = path.stat()
    return pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name


def test_cron_recovery_line_runs(installed, installed_stack, folder):
    line = next(l for b in shell_blocks() for l in b.splitlines() if l.startswith("* * * * * "))
    fields = line.split(None, 6)
    assert fields[5] == "bilan", "/etc/cron.d lines name the user"
    command = localise(fields[6], installed, settings_file(installed_stack, folder), folder / "unused.sock")
    assert "BILAN_CONFIG=" in command, "cron's environment holds no setting: the line must name the file"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert 'event="recovery finished"' in result.stderr + result.stdout


def test_install_never_sources_the_settings_file():
    """systemd's EnvironmentFile format is not shell syntax (MAIL_FROM=Bilan d'orientation <…>
    is one value for systemd and BILAN_CONFIG, an unterminated quote for sh)."""
    for block in shell_blocks():
        assert not re.search(r"(^|[;&|]\s*)(\.|source)\s+\S*bilan\.env", block, re.M), block
