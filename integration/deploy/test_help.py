"""`--help` on every installed executable: a man-page-style text on stdout,
exit 0, with no setting at all in the environment (a sysadmin reads the help
before writing /etc/bilan/bilan.env).

Man-page style here means: the program's name with a one-line summary, a
synopsis, a description of what it does, and where its settings come from
(the handlers and the generator: NAME / SYNOPSIS / DESCRIPTION / ENVIRONMENT
sections; bilan-admin and its subcommands: swift-argument-parser's
OVERVIEW / USAGE / OPTIONS, which carry the same).
"""
import re

import pytest

from integration.deploy.deploy_support import HANDLERS, run

CLEAN_ENV = {"PATH": "/usr/bin:/bin"}
ADMIN_COMMANDS = [[], ["migrate"], ["user"], ["user", "add"], ["payment"], ["payment", "add"], ["session"],
                  ["list"], ["show"], ["retry"], ["resend-email"], ["check"], ["render-pdf"], ["vapid-keys"]]


def help_of(installed, program: str, *args: str):
    result = run([installed.bin / program, *args, "--help"], env=CLEAN_ENV, timeout=30)
    assert result.returncode == 0, f"{program} {' '.join(args)} --help exited {result.returncode}: {result.stderr}"
    assert result.stderr == "", result.stderr
    assert result.stdout.strip(), "empty help"
    return result.stdout


def sections(text: str) -> list[str]:
    """Unindented upper-case headings: man style (`NAME`) or argument-parser's (`USAGE: …`)."""
    return re.findall(r"^([A-Z][A-Z ]*[A-Z]):?(?=\s|$)", text, re.M)


def check_man_page(text: str, program: str):
    found = sections(text)
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT"):
        assert heading in found, f"{program} --help has no {heading} section:\n{text}"
    name_section = text.split("NAME", 1)[1].split("SYNOPSIS", 1)[0]
    assert re.search(rf"^\s+{re.escape(program)} - \S", name_section, re.M), name_section
    assert "BILAN_CONFIG" in text and "DATABASE_URL" in text, text


@pytest.mark.parametrize("handler", HANDLERS)
def test_handler_help(installed, handler):
    text = help_of(installed, handler)
    check_man_page(text, handler)
    assert re.search(r"^ROUTES$", text, re.M), text
    assert re.search(r"^\s+(GET|POST) /", text, re.M), text


def test_generator_help_lists_its_commands(installed):
    text = help_of(installed, "bilan-generator")
    for usage in ("bilan-generator run <bilanId>", "bilan-generator recover"):
        assert usage in text, text
    assert "BILAN_CONFIG" in text, text


def test_generator_help_is_a_man_page(installed):
    check_man_page(help_of(installed, "bilan-generator"), "bilan-generator")


@pytest.mark.parametrize("command", ADMIN_COMMANDS, ids=lambda c: " ".join(c) or "bilan-admin")
def test_admin_help(installed, command):
    text = help_of(installed, "bilan-admin", *command)
    found = sections(text)
    assert "OVERVIEW" in found and "USAGE" in found and "OPTIONS" in found, text
    overview = text.split("OVERVIEW:", 1)[1].split("USAGE:", 1)[0]
    assert overview.strip(), text
    usage = text.split("USAGE:", 1)[1].strip().splitlines()[0]
    assert usage.startswith(" ".join(["bilan-admin", *command])), usage
    if len(command) == 1 and command[0] in ("user", "payment"):
        assert re.search(r"^\s+add\s+\S", text, re.M), text
    if not command:
        for sub in ("migrate", "user", "payment", "session", "list", "show", "retry", "resend-email", "check"):
            assert re.search(rf"^\s+{sub}\s+\S", text, re.M), f"{sub} not listed:\n{text}"
        assert "BILAN_CONFIG" in text and "DATABASE_URL" in text, text
    if command and command[-1] not in ("user", "payment"):
        assert "--json" in text, text


def test_admin_help_subcommand_form(installed):
    """`bilan-admin help check` says what `bilan-admin check --help` says."""
    result = run([installed.bin / "bilan-admin", "help", "check"], env=CLEAN_ENV)
    assert result.returncode == 0 and result.stdout == help_of(installed, "bilan-admin", "check")
