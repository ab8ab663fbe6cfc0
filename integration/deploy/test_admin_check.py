"""`bilan-admin check` (the installed one): one line per dependency,
`ok  <name> <detail>` or `FAIL <name> <detail>`, exit 0 only when every
line is ok; `--json` says the same for scripts.

The good configuration is the running installed stack's (TEMPLATES_DIR and
MIGRATIONS_DIR unset: found beside the executable). Each bad one changes one
thing; one changes four at once and gets four FAIL lines.
"""
import json
import re
import shutil
import subprocess

import pytest

from integration.deploy.deploy_support import REPO, closed_port, new_database, run, scratch_dir, wait_for

LINE = re.compile(r"^(ok  |warn|FAIL) (\S+) +(.*)$")
# One gemini line per configured model: the default and its default fallback (SPEC §12).
GEMINI = ["gemini:gemini-3.6-flash", "gemini:gemini-3.5-flash"]
NAMES = ["configuration", "database", "direct-database", "templates", "report-files", "facts", "generator-slots",
         *GEMINI, "mail", "weasyprint", "push"]
SMTP_SECRET = "sm7p-pa55word"


def check(installed, env: dict, *args: str) -> tuple[int, dict[str, tuple[bool, str]], str]:
    """Runs the check; returns its exit status, {name: (ok, detail)} and the raw output."""
    result = run([installed.bin / "bilan-admin", "check", *args], env=env, timeout=120)
    output = result.stdout + result.stderr
    if "--json" in args:
        document = json.loads(result.stdout)
        assert set(document) == {"ok", "checks"}, document
        checks = {c["name"]: (c["ok"], c["detail"]) for c in document["checks"]}
        assert document["ok"] == all(ok for ok, _ in checks.values())
        return result.returncode, checks, output
    checks = {}
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        assert match, f"not a check line: {line!r}\n{output}"
        assert match[2] not in checks, f"{match[2]} twice"
        checks[match[2]] = (match[1] != "FAIL", match[3])
    return result.returncode, checks, output


def failing(checks) -> list[str]:
    return sorted(name for name, (ok, _) in checks.items() if not ok)


@pytest.fixture(scope="module")
def good_env(installed_stack) -> dict:
    env = dict(installed_stack.env)
    for setting in ("TEMPLATES_DIR", "MIGRATIONS_DIR"):
        assert setting not in env
    return env


@pytest.fixture(scope="module")
def smtp_sink():
    """The SMTP sink of testservers/, for a good SMTP configuration."""
    folder = scratch_dir("bilan-check-smtp-")
    port_file = folder / "port"
    process = subprocess.Popen(["/usr/bin/python3", "-B", "-m", "testservers.smtp_sink", "--port", "0",
                                "--port-file", str(port_file), "--dir", str(folder)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = int(wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 10, "the SMTP sink"))
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def incomplete_templates(installed):
    """A copy of the installed templates without the HTML mail."""
    folder = scratch_dir("bilan-templates-")
    shutil.copytree(installed.share / "templates", folder, dirs_exist_ok=True)
    (folder / "mail" / "bilan-ready.html").unlink()
    # Beside it, a copy without one level instruction file (SPEC §12).
    levels = folder.parent / (folder.name + "-levels")
    shutil.copytree(installed.share / "templates", levels, dirs_exist_ok=True)
    (levels / "prompts" / "niveaux" / "premiere.txt").unlink()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(levels, ignore_errors=True)


# ---- good ----------------------------------------------------------------------------
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_good_configuration_is_all_ok(installed, good_env, as_json):
    status, checks, output = check(installed, good_env, *(["--json"] if as_json else []))
    assert status == 0, output
    assert list(checks) == NAMES, output
    assert failing(checks) == [], output
    assert str(installed.share / "templates") in checks["templates"][1] or "../share/bilan/templates" in checks["templates"][1]


def test_good_smtp_server_is_ok(installed, good_env, smtp_sink):
    env = dict(good_env, MAIL_TRANSPORT="smtp", SMTP_URL=f"smtp://127.0.0.1:{smtp_sink}", SMTP_TLS="none")
    status, checks, output = check(installed, env)
    assert status == 0 and failing(checks) == [], output


def test_settings_file_named_by_bilan_config(installed, good_env, tmp_path):
    """The sysadmin's way (docs/INSTALL.md): BILAN_CONFIG=/etc/bilan/bilan.env bilan-admin check.
    The file keeps the example's MAIL_FROM, which a shell could not source."""
    example = (REPO / "systemd" / "bilan.env.example").read_text()
    mail_from = next(line for line in example.splitlines() if line.startswith("MAIL_FROM="))
    settings = tmp_path / "bilan.env"
    settings.write_text("# as in /etc/bilan/bilan.env\n" + mail_from + "\n"
                        + "".join(f"{key}={value}\n" for key, value in good_env.items() if key != "PATH"))
    status, checks, output = check(installed, {"PATH": good_env["PATH"], "BILAN_CONFIG": str(settings)})
    assert status == 0 and failing(checks) == [], output


# ---- bad -----------------------------------------------------------------------------
def bad_cases(stack, templates) -> dict[str, tuple[dict, list[str], str]]:
    """name: (settings changed, checks that must fail, what their detail must say)."""
    port = closed_port()
    return {
        "wrong-database": ({"DATABASE_URL": f"postgresql:///no_such_db?host={stack.pg_socket_dir}&user=postgres"},
                           ["database", "direct-database"], "no_such_db"),
        "unreachable-gemini": ({"GEMINI_BASE_URL": f"http://127.0.0.1:{port}"}, GEMINI, ""),
        "closed-smtp-port": ({"MAIL_TRANSPORT": "smtp", "SMTP_URL": f"smtp://bilan:{SMTP_SECRET}@127.0.0.1:{port}",
                              "SMTP_TLS": "none"}, ["mail"], ""),
        "template-missing": ({"TEMPLATES_DIR": str(templates)}, ["templates"], "bilan-ready.html"),
        "level-file-missing": ({"TEMPLATES_DIR": str(templates.parent / (templates.name + "-levels"))},
                               ["report-files"], "premiere.txt"),
        # SPEC §14: the report PDFs need WeasyPrint; bilans still complete without it.
        "weasyprint-missing": ({"WEASYPRINT_PATH": "/nonexistent/weasyprint"}, ["weasyprint"], "missing"),
    }


@pytest.mark.parametrize("case", ["wrong-database", "unreachable-gemini", "closed-smtp-port", "template-missing",
                                  "level-file-missing", "weasyprint-missing"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_one_bad_setting_fails_its_check(installed, installed_stack, good_env, incomplete_templates, case, as_json):
    changes, expected, detail = bad_cases(installed_stack, incomplete_templates)[case]
    status, checks, output = check(installed, dict(good_env, **changes), *(["--json"] if as_json else []))
    assert status == 1, output
    assert list(checks) == NAMES, output
    assert failing(checks) == sorted(expected), output
    for name in expected:
        assert checks[name][1].strip(), output
        assert detail in checks[name][1], output
    assert SMTP_SECRET not in output
    assert good_env["GEMINI_API_KEY"] not in output


def test_four_problems_at_once_are_four_fail_lines(installed, installed_stack, good_env, incomplete_templates):
    changes = {}
    for case, (settings, _, _) in bad_cases(installed_stack, incomplete_templates).items():
        if case not in ("level-file-missing", "weasyprint-missing"):
            changes.update(settings)
    status, checks, output = check(installed, dict(good_env, **changes))
    assert status == 1, output
    assert failing(checks) == sorted(["database", "direct-database", *GEMINI, "mail", "templates"]), output
    assert [line.split()[0] for line in output.splitlines()].count("FAIL") == 6, output
    assert checks["configuration"][0] and checks["generator-slots"][0], output


@pytest.mark.parametrize("setting, value", [("SMTP_TLS", "bogus"), ("MAX_GENERATORS", "0"),
                                            ("PUBLIC_URL", "www.example.org"), ("DATABASE_URL", "")])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_malformed_setting_is_named(installed, good_env, setting, value, as_json):
    env = dict(good_env, **{setting: value})
    status, checks, output = check(installed, env, *(["--json"] if as_json else []))
    assert status == 1, output
    assert list(checks) == ["configuration"] and failing(checks) == ["configuration"], output
    assert setting in checks["configuration"][1], output


@pytest.fixture(scope="module")
def unmigrated(installed, installed_stack, good_env):
    """The check against a database that `bilan-admin migrate` never saw."""
    url = new_database(installed_stack, "bilan_check_empty")
    return check(installed, dict(good_env, DATABASE_URL=url))


def test_unmigrated_database_fails_the_database_check(unmigrated):
    status, checks, output = unmigrated
    assert status == 1, output
    assert failing(checks) == ["database", "direct-database"], output


def test_unmigrated_database_says_run_migrate(unmigrated):
    status, checks, output = unmigrated
    assert "pending" in checks["database"][1] and "bilan-admin migrate" in checks["database"][1], output
