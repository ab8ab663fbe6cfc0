"""The installed systemd units (docs/INSTALL.md §3).

`systemd-analyze verify` checks every unit as systemd would load it. It runs
with `--root` on a scratch copy of the install (never the real /usr/local):
the copy gets the host's own units (/usr/lib/systemd/system, for
sysinit.target & co.) so dependencies resolve, and ExecStart= then points at
the installed executables. systemd-analyze answers 0 even for most parse
errors ("Unknown key", "Failed to parse …, ignoring"), so any output at all
counts as a failure; `test_verify_catches_broken_units` proves the check
fails on such errors.

Then what verify cannot know: the handler services keep KillMode=process
(see test_killmode.py for what it protects, and
integration/e2e/test_detached_spawn.py for the generator's own session), the
sockets are the ones the nginx snippet talks to, and every path the units
name exists in the installed tree. The hardening options, their
`systemd-analyze security` exposure and a run of the units under a real
systemd are in test_systemd_security.py.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from integration.deploy.deploy_support import HANDLERS, InstalledTree, scratch_dir

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze missing: apt-get install systemd")


def load_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values…]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert len(values) == 1, f"[{section}] {key}: {values}"
    return values[0]


@pytest.fixture(scope="module")
def verify_root(installed):
    """A copy of the DESTDIR (hard links) plus the host's systemd units."""
    root = scratch_dir("bilan-verify-")
    shutil.copytree(installed.destdir, root, dirs_exist_ok=True, symlinks=True, copy_function=os.link)
    host_units = Path("/usr/lib/systemd/system")
    (root / "usr" / "lib" / "systemd").mkdir(parents=True, exist_ok=True)
    shutil.copytree(host_units, root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def verify(root: Path, units: list[Path]) -> tuple[int, str]:
    """systemd-analyze verify, as systemd would load the units from `root`."""
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="notice", SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="cat")
    argv = [SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", f"--root={root}"]
    argv += [str(unit.relative_to(root)) for unit in units]
    result = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    return result.returncode, (result.stdout + result.stderr).strip()


def unit_files(root: Path) -> list[Path]:
    return sorted(InstalledTree(root).units.iterdir())


def test_every_unit_passes_systemd_analyze_verify(verify_root):
    units = unit_files(verify_root)
    assert len(units) == 12
    status, output = verify(verify_root, units)
    assert status == 0 and output == "", f"systemd-analyze verify (exit {status}):\n{output}"


@pytest.mark.parametrize("mutation, complaint", [
    (("KillMode=process", "KillMode=bogus"), "kill mode"),
    (("Type=simple", "Tpye=simple"), "Unknown key"),
    (("ExecStart=/usr/local/bin/bilan-create", "ExecStart=/usr/local/bin/bilan-missing"), "not executable"),
    (("Requires=bilan-create.socket", "Requires=bilan-nothing.socket"), "not found"),
])
def test_verify_catches_broken_units(verify_root, mutation, complaint):
    """The check above fails on unit errors, including the ones systemd only warns about."""
    unit = InstalledTree(verify_root).units / "bilan-create.service"
    original = unit.read_text()
    assert mutation[0] in original
    broken = verify_root / "broken"
    broken_units = InstalledTree(broken).units
    try:
        shutil.copytree(verify_root, broken, symlinks=True, copy_function=os.link,
                        ignore=lambda folder, names: ["broken"] if Path(folder) == verify_root else [])
        target = broken_units / "bilan-create.service"
        target.unlink()  # a hard link: never write through it
        target.write_text(original.replace(mutation[0], mutation[1]))
        status, output = verify(broken, [target])
        assert output, f"verify said nothing about {mutation[1]}"
        assert complaint in output, output
    finally:
        shutil.rmtree(broken, ignore_errors=True)


# ---- what verify cannot know ------------------------------------------------------------
@pytest.mark.parametrize("handler", HANDLERS)
def test_handler_service(installed, handler):
    service = load_unit(installed.units / f"{handler}.service")
    # A restart stops the handler only, never the generators it spawned (INSTALL.md §3).
    assert one(service, "Service", "KillMode") == "process"
    assert one(service, "Service", "ExecStart") == f"/usr/local/bin/{handler}"
    assert (installed.bin / handler).is_file()
    assert one(service, "Service", "StandardInput") == "socket"
    # stdout would otherwise be the FastCGI socket itself.
    assert one(service, "Service", "StandardOutput") == "journal"
    assert one(service, "Unit", "Requires") == f"{handler}.socket"
    assert one(service, "Service", "EnvironmentFile") == "/etc/bilan/bilan.env"
    environment = dict(value.split("=", 1) for value in service["Service"].get("Environment", []))
    assert (installed.destdir / environment["TEMPLATES_DIR"].lstrip("/") / "pages" / "result.html").is_file()
    assert (installed.destdir / environment["GENERATOR_PATH"].lstrip("/")).is_file()
    # Where the generator writes must be writable under ProtectSystem=strict.
    assert environment["GENERATOR_LOG"].startswith("/var/log/bilan/")
    assert one(service, "Service", "LogsDirectory") == "bilan"
    assert environment["RUNTIME_DIR"].startswith("/var/lib/bilan/")
    assert one(service, "Service", "StateDirectory") == "bilan"


def snippet_sockets(installed) -> set[str]:
    text = (installed.share / "nginx" / "bilan-locations.conf").read_text()
    return set(re.findall(r"fastcgi_pass unix:(\S+);", text))


def test_sockets_are_the_ones_nginx_talks_to(installed):
    listened = set()
    for handler in HANDLERS:
        socket_unit = load_unit(installed.units / f"{handler}.socket")
        path = one(socket_unit, "Socket", "ListenStream")
        assert path == f"/run/bilan/{handler.removeprefix('bilan-')}.sock"
        listened.add(path)
        # nginx runs as www-data on Debian: it, and only it besides bilan, may connect.
        assert one(socket_unit, "Socket", "SocketGroup") == "www-data"
        assert one(socket_unit, "Socket", "SocketMode") == "0660"
        assert one(socket_unit, "Socket", "Accept") == "no"
        assert one(socket_unit, "Install", "WantedBy") == "sockets.target"
    assert snippet_sockets(installed) == listened


def test_recovery_timer_and_service(installed):
    service = load_unit(installed.units / "bilan-recover.service")
    assert one(service, "Service", "Type") == "oneshot"
    assert one(service, "Service", "ExecStart") == "/usr/local/bin/bilan-generator recover"
    assert one(service, "Service", "EnvironmentFile") == "/etc/bilan/bilan.env"
    timer = load_unit(installed.units / "bilan-recover.timer")
    assert one(timer, "Timer", "OnUnitActiveSec") == "1min"
    assert one(timer, "Install", "WantedBy") == "timers.target"
    # The timer starts the service of the same name (no Unit= override).
    assert "Unit" not in timer["Timer"]


def test_settings_file_is_the_units_environment_file_format(installed):
    """Every non-comment line of the installed bilan.env is KEY=value, which both
    systemd's EnvironmentFile= and BILAN_CONFIG read."""
    for line in installed.env_file.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line), line


# Where a program looks when a setting is absent (README.md's table), for PREFIX=/usr/local.
PROGRAM_DEFAULTS = {
    "RUNTIME_DIR": "/run/bilan",
    "GENERATOR_LOG": "/var/log/bilan/generator.log",
    "TEMPLATES_DIR": "/usr/local/bin/../share/bilan/templates",
    "GENERATOR_PATH": "/usr/local/bin/bilan-generator",
}


def env_file_settings(path: Path) -> dict[str, str]:
    settings = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


@pytest.mark.parametrize("setting", sorted(PROGRAM_DEFAULTS))
def test_hand_run_commands_share_the_services_paths(installed, setting):
    """A sysadmin's `BILAN_CONFIG=/etc/bilan/bilan.env bilan-admin retry|check`
    must use the slots, log and templates the services use (systemd: the
    EnvironmentFile= wins over Environment=)."""
    from_file = env_file_settings(installed.env_file)
    by_hand = from_file.get(setting, PROGRAM_DEFAULTS[setting])
    service = load_unit(installed.units / "bilan-create.service")
    unit_environment = dict(value.split("=", 1) for value in service["Service"].get("Environment", []))
    in_service = from_file.get(setting, unit_environment.get(setting, PROGRAM_DEFAULTS[setting]))
    assert os.path.normpath(by_hand) == os.path.normpath(in_service), (setting, by_hand, in_service)
