"""The report engine end to end (SPEC §12, docs/REPORT-ENGINE.md): what the
real generator sends to the fake Gemini server (date, school year, French
labels, model-family settings), the report check with its one repair call,
the link rule at render time, the safety path (help card on the page and in
the mail, `list --flagged`, a blocked prompt never answered with
« reformulez »), and model currency (fallback on 404, requeue when no model
is left, `bilan-admin check` naming a missing model).

One stack of this module's own: mail to .eml files, short backoffs
(generator_support.FAST_ENV). Every test resets the fake Gemini server and
uses fresh users; none leaves a bilan PENDING.
"""
import email
import email.policy
import json
import re
import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from integration.e2e.generator_support import (FAST_ENV, assert_nothing_pending, bilan_messages, bilan_row, create_bilan,
                               gemini_requests, kinds, log_excerpt, log_lines, new_client, raw_mails_to,
                               ready_mail_alternative, recover, reset_gemini, sample, set_default_fault, set_faults,
                               status_of, stop_stack_when_idle, wait_for, wait_generators_idle, wait_settled)
from integration.e2e.support import REPO, start_stack

MESSAGES = bilan_messages()
FIXTURES = REPO / "fixtures" / "questionnaires"
FRENCH_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                 "octobre", "novembre", "décembre"]
HELP_CARD_TITLE = "Besoin d'en parler ?"


def today_in_paris() -> tuple[str, str]:
    """(« 2 décembre 2026 », « 2026-2027 »), computed independently of the Swift code."""
    now = datetime.now(ZoneInfo("Europe/Paris"))
    day = "1er" if now.day == 1 else str(now.day)
    start = now.year if now.month >= 9 else now.year - 1
    return f"{day} {FRENCH_MONTHS[now.month - 1]} {now.year}", f"{start}-{start + 1}"


def raw_codes() -> set[str]:
    """The questionnaire codes no French text holds (with `_`, or all capitals
    of 6+ letters), read from the schema's source, and the camelCase keys."""
    source = (REPO / "Sources" / "BilanCore" / "Domain" / "QuestionnaireSchema.swift").read_text(encoding="utf-8")
    codes = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source))
    keys = set(re.findall(r'"([a-z]+[A-Z][A-Za-z]+)"', source))
    return {c for c in codes if "_" in c or len(c) >= 6} | keys


@pytest.fixture(scope="module")
def engine_stack():
    stack = start_stack(mail="file", env=dict(FAST_ENV))
    yield stack
    stop_stack_when_idle(stack)


@pytest.fixture
def eng(engine_stack):
    wait_generators_idle(engine_stack)
    reset_gemini(engine_stack)
    yield engine_stack
    engine_stack.gemini("POST", "/_control/retired", {"models": []})
    assert_nothing_pending(engine_stack)


def generate(stack, prefix: str, questionnaire="terminale-cpge-aero"):
    client = new_client(stack, prefix)
    if isinstance(questionnaire, dict):
        response = client.post("/api/orientation/create", json=questionnaire)
        assert response.status_code == 202, response.text
        bilan_id = response.json()["bilanId"]
    else:
        bilan_id = create_bilan(client, questionnaire)
    body = wait_settled(client, bilan_id)
    wait_generators_idle(stack)
    return client, bilan_id, body


def report_check(stack, bilan_id: str) -> dict:
    shown = json.loads(stack.admin("show", bilan_id, "--json").stdout)
    return shown["reportCheck"]


# ---- what the model is told ------------------------------------------------------------
def test_prompts_carry_the_date_the_school_year_and_french_labels(eng):
    _, bilan_id, body = generate(eng, "prompts", "terminale-sante-stress")
    assert body["status"] == "COMPLETED", body
    date, school_year = today_in_paris()
    calls = gemini_requests(eng)
    assert kinds(calls) == ["json", "text", "final"], calls
    codes = raw_codes()
    for call in calls:
        prompt = call["prompt"]
        assert f"Date du jour : {date}" in prompt, prompt[:400]
        assert f"Année scolaire : {school_year}" in prompt, prompt[:400]
        assert "physique-chimie" in prompt and "bac+8" in prompt and "mobilité régionale" in prompt, prompt
        found = sorted(c for c in codes if re.search(rf"(?<![A-Za-z0-9_]){c}(?![A-Za-z0-9_])", prompt))
        assert not found, f"raw codes or key names in the {call['kind']} prompt: {found}"
        # The terminale's level file, chosen at run time.
        assert "Parcoursup 2027" in prompt, "the terminale instructions are missing"
    # Dated facts go to passes 2 and 3 only.
    assert "valable jusqu'au" not in calls[0]["prompt"]
    assert all("FAITS DATÉS (sources officielles" in call["prompt"] and "valable jusqu'au" in call["prompt"]
               for call in calls[1:])


def test_generation_settings_follow_the_model_family(eng):
    _, _, body = generate(eng, "family")
    assert body["status"] == "COMPLETED", body
    for call in gemini_requests(eng):
        assert call["model"] == "gemini-3.6-flash", call["model"]
        config = call["generationConfig"]
        assert config["thinkingConfig"] == {"thinkingLevel": "low"}, config
        assert "temperature" not in config, config


def test_model_version_of_each_pass_is_stored(eng):
    _, bilan_id, body = generate(eng, "version")
    assert body["status"] == "COMPLETED", body
    assert bilan_row(eng, bilan_id)["modelVersions"] == {
        "initial": "gemini-3.6-flash-001", "psychopedagogique": "gemini-3.6-flash-001",
        "terrain": "gemini-3.6-flash-001"}
    assert any("model_version=gemini-3.6-flash-001" in line for line in log_lines(eng, bilan_id)), log_excerpt(eng)


# ---- the report check and its repair ------------------------------------------------------
def test_a_clean_report_is_stored_with_a_passing_verdict_and_no_repair(eng):
    client, bilan_id, body = generate(eng, "clean")
    assert body["status"] == "COMPLETED", body
    assert kinds(gemini_requests(eng)) == ["json", "text", "final"]
    verdict = report_check(eng, bilan_id)
    assert verdict["passed"] is True and verdict["repaired"] is False and verdict["broken"] == [], verdict
    assert {rule["id"] for rule in verdict["rules"]} == {
        "title", "headings", "no-html", "links", "size", "length", "free-texts", "no-codes", "plan", "dates"}
    # Rendered once at completion (SPEC §16): the page shows that HTML.
    row = bilan_row(eng, bilan_id)
    assert row["resultatHtml"].count("<h2 id=\"section-") == 8 and len(row["resultatToc"]) == 8, row["resultatToc"]
    marker = "<p>Rendu stocké à la complétion.</p>"
    eng.psql("""UPDATE "orientation_bilans" SET "resultatHtml" = "resultatHtml" || :'v1' WHERE "id" = :'v2'::uuid""",
             marker, bilan_id)
    assert marker in client.get(f"/orientation/resultat/{bilan_id}").text


@pytest.mark.parametrize("fault", ["report-offlist-link", "report-html", "report-extra-heading", "report-huge"])
def test_a_report_breaking_a_hard_rule_gets_exactly_one_repair_and_is_stored_clean(eng, fault):
    set_faults(eng, ["ok", "ok", fault])
    _, bilan_id, body = generate(eng, "repair-" + fault)
    assert body["status"] == "COMPLETED", f"{body}{log_excerpt(eng, bilan_id)}"
    assert kinds(gemini_requests(eng)) == ["json", "text", "final", "repair"], gemini_requests(eng)
    repair_prompt = gemini_requests(eng)[-1]["prompt"]
    assert "<<<BILAN_A_REPARER" in repair_prompt and "RÉPARATION DU BILAN" in repair_prompt
    report = body["resultat"]
    assert "example.com" not in report and "<script" not in report and "<div" not in report, report[:2000]
    assert "## Annexe" not in report and len(report.encode()) <= 65536
    verdict = report_check(eng, bilan_id)
    assert verdict["passed"] is True and verdict["repaired"] is True and verdict["linksNeutralised"] == 0, verdict


def test_off_list_links_that_survive_the_repair_become_plain_text(eng):
    set_faults(eng, ["ok", "ok", "report-offlist-link", "report-offlist-link"])
    client, bilan_id, body = generate(eng, "links-twice")
    assert body["status"] == "COMPLETED", body
    assert kinds(gemini_requests(eng)) == ["json", "text", "final", "repair"], gemini_requests(eng)
    report = body["resultat"]
    assert "https://example.com" not in report and "http://www.onisep.fr" not in report, report
    assert "un site" in report  # the link's text stays
    verdict = report_check(eng, bilan_id)
    assert verdict["passed"] is True and verdict["linksNeutralised"] >= 2, verdict
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert 'href="https://example.com' not in page and "un site" in page


def test_html_that_survives_the_repair_fails_the_bilan_safely(eng):
    set_faults(eng, ["ok", "ok", "report-html", "report-html"])
    client, bilan_id, body = generate(eng, "html-twice")
    assert body["status"] == "FAILED", body
    assert body["errorMessage"] == MESSAGES["reportRefused"], body
    row = bilan_row(eng, bilan_id)
    assert row["failureKind"] == "REPORT_REFUSED" and row["resultat"] is None, row
    assert "no-html" in row["failureDetail"], row["failureDetail"]
    assert row["reportCheck"]["passed"] is False, row["reportCheck"]


def test_a_report_breaking_only_soft_rules_is_stored_with_its_verdict(eng):
    set_faults(eng, ["ok", "ok", "report-short", "report-no-dates"])
    _, bilan_id, body = generate(eng, "soft")
    assert body["status"] == "COMPLETED", body
    assert kinds(gemini_requests(eng)) == ["json", "text", "final", "repair"], gemini_requests(eng)
    verdict = report_check(eng, bilan_id)
    assert verdict["passed"] is True and verdict["repaired"] is True, verdict
    assert verdict["broken"] == ["plan"], verdict
    shown = eng.admin("show", bilan_id).stdout
    assert "reportCheck    passed, repaired" in shown and "FAIL soft plan" in shown, shown


def test_an_off_list_link_in_a_stored_report_renders_as_text(eng):
    client, bilan_id, body = generate(eng, "stored-link")
    assert body["status"] == "COMPLETED", body
    # A report stored before the check existed (no stored rendering), or edited by hand.
    eng.psql("""UPDATE "orientation_bilans" SET "resultat" = "resultat" || :'v1', "resultatHtml" = NULL
                 WHERE "id" = :'v2'::uuid""",
             "\n\nVoir [ce forum](https://forum.example.net/orientation), <https://evil.example/x>, "
             "[Onisep](http://www.onisep.fr/metiers) et [Parcoursup](https://www.parcoursup.gouv.fr).\n", bilan_id)
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert "ce forum" in page
    assert "forum.example.net" not in "".join(re.findall(r'href="([^"]*)"', page)), page
    assert 'href="https://evil.example' not in page
    assert 'href="https://www.onisep.fr/metiers"' in page  # a listed host over http is upgraded
    assert 'href="https://www.parcoursup.gouv.fr"' in page


# ---- safety ---------------------------------------------------------------------------------
DISTRESS = dict(sample("terminale-cpge-aero"),
                difficultes="Je n'en peux plus, j'ai parfois envie de disparaître. Je dors très mal.")


def test_distress_shows_the_card_on_the_page_and_in_the_mail_and_flags_the_bilan(eng):
    client, bilan_id, body = generate(eng, "distress", DISTRESS)
    assert body["status"] == "COMPLETED", body
    assert bilan_row(eng, bilan_id)["distressFlag"] is True
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert HELP_CARD_TITLE.replace("'", "&#39;") in page or HELP_CARD_TITLE in page, page[:3000]
    for number in ("3114", "0 800 235 236", "119", "psychologue de l'Éducation nationale".replace("'", "&#39;")):
        assert number in page or number.replace("&#39;", "'") in page, number
    assert page.index('id="help-card"') < page.index('id="report"'), "the card must come before the report"
    # The prompts say how to address it.
    assert all("SIGNAL DE DÉTRESSE" in call["prompt"] for call in gemini_requests(eng))
    mails = raw_mails_to(eng, client.email)
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0], policy=email.policy.default)
    text, page_part = [part.get_content() for part in ready_mail_alternative(message).iter_parts()]
    assert "BESOIN D'EN PARLER" in text and "3114" in text and "0 800 235 236" in text, text
    assert "Besoin d&#39;en parler" in page_part or "Besoin d'en parler" in page_part
    flagged = json.loads(eng.admin("list", "--flagged", "--json").stdout)["bilans"]
    assert bilan_id in [item["id"] for item in flagged]
    assert all(item["distressFlag"] for item in flagged)


def test_an_ordinary_questionnaire_is_not_flagged(eng):
    client, bilan_id, body = generate(eng, "calm", "terminale-cpge-aero")
    assert bilan_row(eng, bilan_id)["distressFlag"] is False
    assert 'id="help-card"' not in client.get(f"/orientation/resultat/{bilan_id}").text
    flagged = json.loads(eng.admin("list", "--flagged", "--json").stdout)["bilans"]
    assert bilan_id not in [item["id"] for item in flagged]
    mails = raw_mails_to(eng, client.email)
    assert len(mails) == 1 and b"3114" not in mails[0]


def test_a_blocked_prompt_shows_the_card_and_never_asks_to_rephrase(eng):
    set_default_fault(eng, "blocked")
    client, bilan_id, body = generate(eng, "blocked")
    assert body["status"] == "FAILED", body
    assert body["errorMessage"] == MESSAGES["contentRefused"]
    assert body.get("aide") is True, body
    assert "reformul" not in body["errorMessage"].lower()
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert 'id="help-card"' in page and "reformul" not in page.lower(), page
    assert 'id="support-link"' in page
    assert bilan_row(eng, bilan_id)["failureKind"] == "CONTENT_REFUSED"


# ---- model currency ---------------------------------------------------------------------------
def test_a_retired_model_falls_back_to_the_next_configured_one(eng):
    eng.gemini("POST", "/_control/retired", {"models": ["gemini-3.6-flash"]})
    _, bilan_id, body = generate(eng, "fallback")
    assert body["status"] == "COMPLETED", body
    calls = gemini_requests(eng)
    # Once the default answered 404, the process stays on the fallback.
    assert [c["model"] for c in calls if c["status"] == 200] == ["gemini-3.5-flash"] * 3, calls
    assert sum(1 for c in calls if c["model"] == "gemini-3.6-flash") == 1, calls
    assert set(bilan_row(eng, bilan_id)["modelVersions"].values()) == {"gemini-3.5-flash-001"}
    warnings = [line for line in log_lines(eng, bilan_id) if "gemini fallback model in use" in line]
    assert len(warnings) == 3, log_excerpt(eng, bilan_id)


def test_with_no_model_left_the_bilan_is_requeued_not_failed(eng):
    eng.gemini("POST", "/_control/retired", {"models": ["gemini-3.6-flash", "gemini-3.5-flash"]})
    client = new_client(eng, "no-model")
    bilan_id = create_bilan(client)
    wait_for(lambda: any("no configured Gemini model answers" in line for line in log_lines(eng, bilan_id)),
             30, "the generator to give the bilan back")
    wait_generators_idle(eng)
    row = bilan_row(eng, bilan_id)
    assert row["status"] == "PENDING" and row["attempts"] == 0, row
    line = next(line for line in log_lines(eng, bilan_id) if "no configured Gemini model answers" in line)
    assert "GEMINI_MODEL" in line and "gemini-3.6-flash" in line and "gemini-3.5-flash" in line, line
    # The operator fixes the setting (here: the models come back); recovery finishes the bilan.
    eng.gemini("POST", "/_control/retired", {"models": []})
    recover(eng)
    assert status_of(client, bilan_id)["status"] == "COMPLETED", log_excerpt(eng, bilan_id)


def test_admin_check_names_a_missing_model(eng):
    result = eng.admin("check", check=False)
    assert "gemini:gemini-3.6-flash" in result.stdout and "gemini:gemini-3.5-flash" in result.stdout, result.stdout
    eng.gemini("POST", "/_control/retired", {"models": ["gemini-3.5-flash"]})
    result = eng.admin("check", check=False)
    assert result.returncode == 1, result.stdout
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) >= 1 and all("gemini-3.5-flash" in line for line in failing
                                     if "gemini" in line), result.stdout
    assert any("gemini-3.5-flash" in line and "GEMINI_FALLBACK_MODELS" in line for line in failing), result.stdout


def test_admin_check_report_runs_the_same_check_on_a_file(eng, tmp_path):
    client, bilan_id, body = generate(eng, "check-report")
    good = tmp_path / "good.md"
    good.write_text(body["resultat"], encoding="utf-8")
    questionnaire = tmp_path / "q.json"
    questionnaire.write_text(json.dumps(sample("terminale-cpge-aero")), encoding="utf-8")
    result = eng.admin("check-report", str(good), "--questionnaire", str(questionnaire), "--json", check=False)
    assert result.returncode == 0 and json.loads(result.stdout)["passed"] is True, result.stdout + result.stderr
    bad = tmp_path / "bad.md"
    bad.write_text(body["resultat"].replace("## Plan d'action", "## Plan\n\n<script>x()</script>"), encoding="utf-8")
    result = eng.admin("check-report", str(bad), check=False)
    assert result.returncode == 1, result.stdout
    assert "FAIL hard headings" in result.stdout and "FAIL hard no-html" in result.stdout, result.stdout


# ---- the report engine's files ----------------------------------------------------------------
def broken_templates(tmp_path, edit) -> str:
    """A copy of templates/ changed by `edit(folder)`."""
    folder = tmp_path / "templates"
    shutil.copytree(REPO / "templates", folder)
    edit(folder)
    return str(folder)


def run_generator(stack, *args, **env):
    return subprocess.run([str(stack.bin_dir / "bilan-generator"), *args], env=dict(stack.env, **env),
                          capture_output=True, text=True, timeout=120)


def pending_bilan(stack, prefix: str) -> str:
    """A queued bilan that no generator was spawned for."""
    client = new_client(stack, prefix)
    user = stack.psql("""SELECT "id" FROM users WHERE "email" = :'v1'""", client.email)
    return stack.psql("""INSERT INTO "orientation_bilans" ("userId", "questionnaire")
                         VALUES (:'v1'::uuid, :'v2'::jsonb) RETURNING "id" """,
                      user, json.dumps(sample("terminale-cpge-aero")))


@pytest.mark.parametrize("case", ["malformed-fact", "missing-level", "missing-labels"])
def test_a_broken_engine_file_stops_the_generator_before_any_bilan_is_written(eng, tmp_path, case):
    def edit(folder):
        if case == "malformed-fact":
            with open(folder / "facts.txt", "a", encoding="utf-8") as facts:
                facts.write("2026-2027 | 31/12/2027 | https://www.onisep.fr | date au mauvais format\n")
        elif case == "missing-level":
            (folder / "prompts" / "niveaux" / "terminale.txt").unlink()
        else:
            (folder / "labels.txt").unlink()
    templates = broken_templates(tmp_path, edit)
    bilan_id = pending_bilan(eng, "broken-" + case)
    result = run_generator(eng, "run", bilan_id, TEMPLATES_DIR=templates)
    assert result.returncode == 78, (result.returncode, result.stderr[-2000:])
    # Run by hand, the generator logs to its standard error.
    line = next(line for line in result.stderr.splitlines() if "report engine files unusable" in line)
    assert bilan_id in line, line
    expected = {"malformed-fact": "facts.txt line ", "missing-level": "niveaux/terminale.txt",
                "missing-labels": "labels.txt"}[case]
    assert expected in line, line
    if case == "malformed-fact":
        facts_lines = (REPO / "templates" / "facts.txt").read_text(encoding="utf-8").splitlines()
        assert f"facts.txt line {len(facts_lines) + 1}:" in line, line
    row = bilan_row(eng, bilan_id)
    assert row["status"] == "PENDING" and row["attempts"] == 0 and row["analyse"] is None, row
    assert gemini_requests(eng) == []
    # Fixed file: the next run writes the bilan.
    assert run_generator(eng, "run", bilan_id).returncode == 0
    assert bilan_row(eng, bilan_id)["status"] == "COMPLETED"


def test_admin_check_warns_when_no_fact_covers_the_school_year(eng, tmp_path):
    _, school_year = today_in_paris()
    start = int(school_year[:4])
    def edit(folder):
        (folder / "facts.txt").write_text(
            f"{start - 1}-{start} | {start + 5}-01-01 | https://www.onisep.fr | Un fait de l'an dernier.\n",
            encoding="utf-8")
    templates = broken_templates(tmp_path, edit)
    result = subprocess.run([str(eng.bin_dir / "bilan-admin"), "check"], env=dict(eng.env, TEMPLATES_DIR=templates),
                            capture_output=True, text=True, timeout=60)
    line = next(line for line in result.stdout.splitlines() if " facts " in f" {line} ")
    assert line.startswith("warn") and school_year in line and "facts.txt" in line, result.stdout
    good = eng.admin("check", check=False).stdout
    assert any(l.startswith("ok") and " facts " in f" {l} " and school_year in l for l in good.splitlines()), good
