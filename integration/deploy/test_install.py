"""`make install` (docs/INSTALL.md §1) into a scratch DESTDIR: the layout a
sysadmin gets, the settings file that a second install never overwrites, and
the end-to-end smoke test run FROM the installed tree (executables,
templates, migrations, www/ and nginx snippets as installed; TEMPLATES_DIR,
MIGRATIONS_DIR and GENERATOR_PATH unset, so the executables find
../share/bilan and bilan-generator beside themselves).
"""
import os
import re
import shutil
import stat
from pathlib import Path

from integration.deploy.deploy_support import (EXECUTABLES, HANDLERS, REPO, InstalledTree, Users, assert_json, make_install,
                            scratch_dir, wait_for_mail)
from integration.e2e.generator_support import REPORT_HEADINGS, wait_settled
from integration.e2e.support import text_of

UNITS = sorted([f"{h}.{kind}" for h in HANDLERS for kind in ("socket", "service")]
               + ["bilan-recover.service", "bilan-recover.timer"])


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- layout ----------------------------------------------------------------------
def test_seven_executables_in_bin(installed):
    found = sorted(p.name for p in installed.bin.iterdir())
    assert found == sorted(EXECUTABLES)
    for name in EXECUTABLES:
        path = installed.bin / name
        mode = stat.S_IMODE(path.stat().st_mode)
        assert path.is_file() and mode == 0o755, (name, oct(mode))
        assert path.read_bytes()[:4] == b"\x7fELF", name


def test_templates_www_and_migrations_under_share(installed):
    for folder in ("templates", "www", "migrations"):
        installed_files = files_under(installed.share / folder)
        assert installed_files, folder
        assert installed_files == files_under(REPO / folder), f"share/bilan/{folder} differs from the repository's"


def test_nginx_snippets(installed):
    nginx = installed.share / "nginx"
    assert sorted(p.name for p in nginx.iterdir()) == ["bilan-http.conf", "bilan-locations.conf"]
    locations = (nginx / "bilan-locations.conf").read_text()
    # Static files are served from the installed www/ (PREFIX=/usr/local).
    assert "root /usr/local/share/bilan/www;" in locations
    assert (nginx / "bilan-http.conf").read_text() == (REPO / "nginx" / "bilan-http.conf").read_text()


def test_systemd_units(installed):
    assert sorted(p.name for p in installed.units.iterdir()) == UNITS
    for unit in installed.units.iterdir():
        text = unit.read_text()
        assert not re.search(r"@[A-Z]+@", text), f"{unit.name} keeps a placeholder"
        assert stat.S_IMODE(unit.stat().st_mode) & 0o022 == 0, f"{unit.name} is group/world writable"


def test_settings_file_mode_0640(installed):
    env = installed.env_file
    assert env.is_file()
    assert stat.S_IMODE(env.stat().st_mode) == 0o640
    assert env.read_text() == (REPO / "systemd" / "bilan.env.example").read_text()


def test_second_install_keeps_the_settings_but_replaces_the_data():
    destdir = scratch_dir("bilan-destdir2-")
    try:
        tree = InstalledTree(destdir)
        make_install(destdir)
        edited = "DATABASE_URL=postgresql://bilan:s3cret@db.example.org/bilan\nPUBLIC_URL=https://www.example.org\n"
        tree.env_file.write_text(edited)
        os.chmod(tree.env_file, 0o600)
        stray = tree.share / "templates" / "left-over.txt"
        stray.write_text("from an older version")

        make_install(destdir)

        assert tree.env_file.read_text() == edited
        assert stat.S_IMODE(tree.env_file.stat().st_mode) == 0o600
        # Templates, www/ and migrations are replaced as a whole (INSTALL.md "Backup").
        assert not stray.exists()
    finally:
        shutil.rmtree(destdir, ignore_errors=True)


def test_another_prefix_moves_every_path():
    destdir = scratch_dir("bilan-destdir-opt-")
    try:
        tree = InstalledTree(destdir, prefix="/opt/bilan")
        make_install(destdir, prefix="/opt/bilan")
        assert sorted(p.name for p in tree.bin.iterdir()) == sorted(EXECUTABLES)
        locations = (tree.share / "nginx" / "bilan-locations.conf").read_text()
        assert "root /opt/bilan/share/bilan/www;" in locations and "/usr/local" not in locations
        service = (tree.units / "bilan-create.service").read_text()
        assert "ExecStart=/opt/bilan/bin/bilan-create\n" in service
        assert "Environment=TEMPLATES_DIR=/opt/bilan/share/bilan/templates\n" in service
        assert "Environment=GENERATOR_PATH=/opt/bilan/bin/bilan-generator\n" in service
        assert "ExecStart=/opt/bilan/bin/bilan-generator recover\n" in (tree.units / "bilan-recover.service").read_text()
        assert "/usr/local" not in "".join(p.read_text() for p in tree.units.iterdir())
    finally:
        shutil.rmtree(destdir, ignore_errors=True)


# ---- smoke test from the installed tree --------------------------------------------
def process_facts(pid: int) -> tuple[str, dict[str, str]]:
    exe = os.readlink(f"/proc/{pid}/exe")
    environ = dict(item.split("=", 1) for item in
                   Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0") if "=" in item)
    return exe, environ


def test_the_stack_runs_the_installed_tree(installed, installed_stack):
    for short, pids in installed_stack.handler_pids.items():
        assert pids, short
        for pid in pids:
            exe, environ = process_facts(pid)
            assert Path(exe) == installed.bin / f"bilan-{short}", exe
            for setting in ("TEMPLATES_DIR", "MIGRATIONS_DIR", "GENERATOR_PATH"):
                assert setting not in environ, f"bilan-{short} got {setting} from the environment"
    nginx_locations = (installed_stack.root / "nginx" / "bilan-locations.conf").read_text()
    assert f"root {installed.share / 'www'};" in nginx_locations
    assert str(REPO) not in nginx_locations


def test_smoke_subscriber_gets_a_report_from_the_installed_tree(installed_stack):
    stack = installed_stack
    client = Users(stack, "smoke").subscriber()

    home = client.get("/orientation/")
    assert home.status_code == 200 and "text/html" in home.headers["Content-Type"], home.status_code
    assert assert_json(client.eligibility(), 200) == {"eligible": True, "plan": "ANNUAL"}

    bilan_id = client.create_ok()
    final = wait_settled(client, bilan_id, timeout=90)
    assert final["status"] == "COMPLETED", final
    assert final["sections"][:len(REPORT_HEADINGS)] == REPORT_HEADINGS, final["sections"]

    mail = wait_for_mail(stack, client.email, timeout=30)
    assert f"{stack.base_url}/orientation/resultat/{bilan_id}" in text_of(mail)
    assert list(stack.mail_dir.glob("*.eml"))

    page = client.get(f"/orientation/resultat/{bilan_id}")
    assert page.status_code == 200, page.text[:500]
    assert page.headers["Content-Type"].startswith("text/html")
    for heading in REPORT_HEADINGS[:3]:
        assert heading.replace("'", "&#39;") in page.text or heading in page.text, heading
