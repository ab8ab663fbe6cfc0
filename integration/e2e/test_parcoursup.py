"""Parcoursup grounding end to end (SPEC §13, docs/PARCOURSUP.md): the real
`bilan-admin import-parcoursup` into PostgreSQL, the real generator against
the fake Gemini server (which records prompts), nginx and the page.

Without data a bilan is written as before; the fixture export (technical
names) and a previous session with French labels and a BOM load beside each
other; a bilan with `departement` and `mobilite: REGIONALE` gets exactly the
programmes of its région and wanted types, of the latest session, in its
terrain prompt and in the table of its stored report and page; every bad
input of the issue leaves the table as it was (or, for a refused row, loads
the others whole). The tests run in file order on one stack of their own.
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from integration.e2e.generator_support import (bilan_row, clean_run, gemini_requests, generator_stack, new_client, sample,
                               wait_generators_idle, wait_settled)
from integration.e2e.support import REPO

FIXTURES = REPO / "fixtures" / "parcoursup"
EXPORT = FIXTURES / "fr-esr-parcoursup-2025.csv"
FRENCH = FIXTURES / "fr-esr-parcoursup-2024-libelles.csv"
BAD = FIXTURES / "bad"
BRETAGNE = {"22", "29", "35", "56"}
WANTED = ["CPGE", "BUT"]
SOURCE = "données ouvertes Parcoursup du ministère chargé de l'Enseignement supérieur (jeu fr-esr-parcoursup)"


@pytest.fixture(scope="module")
def psup_stack():
    with generator_stack() as stack:
        yield stack


@pytest.fixture
def psup(psup_stack):
    with clean_run(psup_stack) as stack:
        yield stack


# ---- helpers -----------------------------------------------------------------------
def import_file(stack, path, *args: str, json_output: bool = True) -> subprocess.CompletedProcess:
    return stack.admin("import-parcoursup", str(path), *args, *(["--json"] if json_output else []), check=False)


def imported(stack, path, *args: str) -> dict:
    result = import_file(stack, path, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def table_state(stack) -> str:
    """Row count and a digest of every row: equal means unchanged."""
    return stack.psql("""SELECT count(*) || ' ' || coalesce(md5(string_agg(f::text, '|' ORDER BY f."session", f."codAffForm")), '')
                           FROM parcoursup_formations f""")


def session_rows(stack, session: int) -> int:
    return int(stack.psql("""SELECT count(*) FROM parcoursup_formations WHERE "session" = :'v1'::smallint""", str(session)))


def export_rows(path: Path = EXPORT) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def questionnaire(**changes) -> dict:
    answers = dict(sample("terminale-cpge-aero"), typesEtudes=WANTED, departement="35", mobilite="REGIONALE")
    answers.update(changes)
    return answers


def generate(stack, prefix: str, answers: dict):
    client = new_client(stack, prefix)
    response = client.post("/api/orientation/create", json=answers)
    assert response.status_code == 202, response.text
    bilan_id = response.json()["bilanId"]
    body = wait_settled(client, bilan_id)
    wait_generators_idle(stack)
    assert body["status"] == "COMPLETED", body
    return client, bilan_id


def terrain_prompt(stack) -> str:
    finals = [call["prompt"] for call in gemini_requests(stack) if call["kind"] == "final"]
    assert len(finals) == 1, [call["kind"] for call in gemini_requests(stack)]
    return finals[0]


def data_block(prompt: str) -> list[str]:
    match = re.search(r"(?m)^<<<FORMATIONS_PARCOURSUP\n(.*?)^FORMATIONS_PARCOURSUP>>>$", prompt, re.S)
    assert match, "no FORMATIONS_PARCOURSUP block in the terrain prompt"
    return match.group(1).splitlines()


def report_table(report: str) -> list[list[str]]:
    """The cells of the « Formations repérées » table, header and rule left out."""
    section = report.split("## Réalité du terrain", 1)[1].split("\n## ", 1)[0]
    assert section.lstrip().startswith("### Formations repérées"), section[:300]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def french_rate(value: str) -> str:
    return value.replace(".", ",") + " %"


# ---- no data: as before ---------------------------------------------------------------
def test_without_data_the_report_is_written_as_before(psup):
    assert table_state(psup) == "0"
    _, bilan_id = generate(psup, "psup-none", questionnaire())
    prompt = terrain_prompt(psup)
    assert "FORMATIONS_PARCOURSUP" not in prompt and "Formations repérées" not in prompt
    row = bilan_row(psup, bilan_id)
    assert "Formations repérées" not in row["resultat"]
    assert row["parcoursupRows"]["rows"] == [], row["parcoursupRows"]
    assert "programmes" not in [rule["id"] for rule in row["reportCheck"]["rules"]]
    shown = psup.admin("show", bilan_id).stdout
    assert "parcoursupRows none" in shown, shown


# ---- imports -----------------------------------------------------------------------------
def test_the_fixture_export_is_imported_with_a_progress_line(psup):
    result = import_file(psup, EXPORT)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = len(export_rows())
    assert summary["session"] == 2025 and summary["header"] == "technical names", summary
    assert summary["loaded"] == expected == summary["added"] and summary["refused"] == 0, summary
    assert not summary["alreadyLoaded"]
    assert re.search(r"reading .*fr-esr-parcoursup-2025\.csv: [\d.]+ of [\d.]+ MiB \(100 %\)", result.stderr), result.stderr
    assert session_rows(psup, 2025) == expected
    stored = psup.psql("""SELECT "tauxAcces"::text || ' ' || "lien" FROM parcoursup_formations
                           WHERE "codAffForm" = :'v1'""", export_rows()[0]["cod_aff_form"])
    assert stored.split() == [export_rows()[0]["taux_acces_ens"] + ".00", export_rows()[0]["lien_form_psup"]], stored


def test_the_same_file_again_changes_nothing_and_says_the_session_was_loaded(psup):
    before = table_state(psup)
    result = import_file(psup, EXPORT, json_output=False)
    assert result.returncode == 0, result.stderr
    assert "session 2025 was already loaded" in result.stdout and "replaced by this file" in result.stdout, result.stdout
    assert f"0 added, 0 changed, 0 removed, {len(export_rows())} unchanged" in result.stdout, result.stdout
    assert table_state(psup) == before


def test_french_labels_with_a_bom_load_a_second_session_beside_the_first(psup):
    before_2025 = psup.psql("""SELECT md5(string_agg(f::text, '|' ORDER BY "codAffForm")) FROM parcoursup_formations f
                                WHERE "session" = 2025""")
    assert FRENCH.read_bytes().startswith(b"\xef\xbb\xbf")
    summary = imported(psup, FRENCH)
    assert summary["session"] == 2024 and summary["header"] == "French labels", summary
    assert summary["loaded"] == len(export_rows(FRENCH)) and summary["refused"] == 0, summary
    assert session_rows(psup, 2024) == len(export_rows(FRENCH))
    assert psup.psql("""SELECT md5(string_agg(f::text, '|' ORDER BY "codAffForm")) FROM parcoursup_formations f
                         WHERE "session" = 2025""") == before_2025
    # The title and the programme type: both columns are labelled « Filière de formation ».
    with open(FRENCH, encoding="utf-8-sig", newline="") as handle:
        header, first = list(csv.reader(handle, delimiter=";"))[:2]
    title, kind = (first[i] for i, name in enumerate(header) if name == "Filière de formation")
    stored = psup.psql("""SELECT "formation" || ' / ' || "typeFormation" FROM parcoursup_formations
                           WHERE "session" = 2024 AND "codAffForm" = :'v1'""", first[header.index("cod_aff_form")])
    assert stored == f"{title} / {kind}" and title != kind, stored


def test_a_changed_export_replaces_its_session_whole(psup, tmp_path):
    rows = export_rows()
    changed = [dict(row) for row in rows[3:]]
    changed[0]["taux_acces_ens"] = "7"
    path = tmp_path / "changed.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(changed)
    summary = imported(psup, path)
    assert summary["alreadyLoaded"] and summary["removed"] == 3 and summary["changed"] == 1, summary
    assert summary["added"] == 0 and summary["unchanged"] == len(rows) - 4, summary
    assert session_rows(psup, 2025) == len(rows) - 3
    # Back to the fixture for the tests below.
    back = imported(psup, EXPORT)
    assert (back["added"], back["changed"], back["removed"]) == (3, 1, 0), back


# ---- the bilan ---------------------------------------------------------------------------
def test_a_regional_bilan_gets_the_programmes_of_its_region_and_types(psup):
    expected = [row for row in export_rows() if row["dep"] in BRETAGNE and row["fili"] in WANTED]
    assert 0 < len(expected) <= 12, len(expected)  # the fixture holds every match in one table
    by_code = {row["cod_aff_form"]: row for row in expected}
    client, bilan_id = generate(psup, "psup-region", questionnaire())

    # The terrain prompt: source, latest session, exactly these rows with their 2025 figures.
    lines = data_block(terrain_prompt(psup))
    assert lines[0] == f"Source : {SOURCE}, session 2025 ; zone de recherche : région Bretagne.", lines[0]
    assert len(lines) - 1 == len(expected), lines
    for row in expected:
        line = next((l for l in lines if l.startswith(f"- {row['lib_for_voe_ins']} — {row['g_ea_lib_vx']}, ")), None)
        assert line, f"{row['lib_for_voe_ins']} ({row['g_ea_lib_vx']}) not in the prompt"
        assert f"({row['dep']}) ;" in line and f"taux d'accès {french_rate(row['taux_acces_ens'])}" in line, line
        assert f"{row['capa_fin']} places" in line, line

    # The stored report: the code's table, exactly these rows, their rates and links.
    row = bilan_row(psup, bilan_id)
    cells = report_table(row["resultat"])
    assert len(cells) == len(expected), cells
    found = {}
    for line in cells:
        formation, establishment, town, _status, _selectivity, rate, places, link = line
        code = re.search(r"g_ta_cod=(\d+)", link).group(1)
        source = by_code[code]
        assert (formation, establishment) == (source["lib_for_voe_ins"], source["g_ea_lib_vx"]), line
        assert town == f"{source['ville_etab']} ({source['dep']})", line
        assert rate == french_rate(source["taux_acces_ens"]) and places == source["capa_fin"], line
        assert link == f"[voir la fiche]({source['lien_form_psup']})", link
        found[code] = line
    assert set(found) == set(by_code)
    assert row["parcoursupRows"]["session"] == 2025
    assert sorted(r["codAffForm"] for r in row["parcoursupRows"]["rows"]) == sorted(by_code)
    rules = {rule["id"]: rule for rule in row["reportCheck"]["rules"]}
    assert rules["programmes"]["ok"] and not rules["programmes"]["hard"], rules["programmes"]
    assert row["reportCheck"]["broken"] == [], row["reportCheck"]

    # The page renders the table, each link to the programme's Parcoursup page.
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert "Formations repérées" in page and "<table>" in page
    for source in expected:
        assert f'href="{html.escape(source["lien_form_psup"])}"' in page, source["lien_form_psup"]

    # bilan-admin show lists them.
    shown = json.loads(psup.admin("show", bilan_id, "--json").stdout)
    assert len(shown["parcoursupRows"]["rows"]) == len(expected)
    text = psup.admin("show", bilan_id).stdout
    assert f"parcoursupRows {len(expected)} programme(s), session 2025, région Bretagne" in text, text
    for code in by_code:
        assert re.search(rf"^\s+{code}\s", text, re.M), text


def test_the_no_js_form_keeps_the_departement_and_gets_the_local_table(psup):
    client = new_client(psup, "psup-form")
    fields = [("niveau", "TERMINALE"), ("filiere", "TECHNOLOGIQUE"), ("serie", "STI2D"),
              ("centresInteret", "Programmation et réseaux"), ("typesEtudes", "BUT"), ("typesEtudes", "BTS"),
              ("mobilite", "LOCALE"), ("departement", "29"), ("moyennes.generale", "12,5")]
    response = client.post("/api/orientation/create", data=fields)
    assert response.status_code == 303, response.text
    bilan_id = response.headers["Location"].rsplit("/", 1)[1]
    assert wait_settled(client, bilan_id)["status"] == "COMPLETED"
    wait_generators_idle(psup)
    row = bilan_row(psup, bilan_id)
    assert row["questionnaire"]["departement"] == "29"
    assert "- Département : Finistère" in terrain_prompt(psup)
    rows = row["parcoursupRows"]["rows"]
    assert row["parcoursupRows"]["scope"] == "académie de Rennes" and rows, row["parcoursupRows"]
    assert {r["departement"] for r in rows} <= BRETAGNE
    assert len(report_table(row["resultat"])) == len(rows)


def test_a_national_bilan_mixes_selectivities_across_the_country(psup):
    _, bilan_id = generate(psup, "psup-national", questionnaire(mobilite="NATIONALE", typesEtudes=["LICENCE"]))
    rows = bilan_row(psup, bilan_id)["parcoursupRows"]["rows"]
    assert len(rows) == 12, rows
    licences = {row["cod_aff_form"] for row in export_rows() if row["fili"] in ("Licence", "Licence_Las")}
    assert {row["codAffForm"] for row in rows} <= licences
    assert len({row["departement"] for row in rows}) > 3, rows
    assert any(row["tauxAcces"] < 50 for row in rows) and any(row["tauxAcces"] >= 50 for row in rows), rows


# ---- bad input -----------------------------------------------------------------------------
BAD_FILES = [
    ("page-html.csv", "not the Parcoursup CSV export"),
    ("separateur-virgule.csv", "separated by commas, not « ; »"),
    ("derniere-ligne-coupee.csv", "line 7 has fewer fields than the header's 118"),
    ("cod-aff-form-en-double.csv", "the same cod_aff_form on several rows"),
    ("colonne-manquante.csv", "the header has no column taux_acces_ens"),
    ("deux-sessions.csv", "rows of sessions 2021, 2022: import one session at a time"),
]


@pytest.mark.parametrize("name, message", BAD_FILES, ids=[name for name, _ in BAD_FILES])
def test_a_bad_file_is_refused_with_a_clear_message_and_the_table_untouched(psup, name, message):
    before = table_state(psup)
    result = import_file(psup, BAD / name)
    assert result.returncode == 1, result.stdout
    assert message in result.stderr and "nothing imported" in result.stderr, result.stderr
    assert result.stdout == ""
    assert table_state(psup) == before


def test_a_two_gigabyte_file_is_refused_by_its_size_before_reading(psup, tmp_path):
    big = tmp_path / "fr-esr-parcoursup-enorme.csv"
    with open(big, "wb") as handle:
        handle.truncate(2 << 30)  # sparse: nothing written to disk
    before = table_state(psup)
    result = import_file(psup, big)
    assert result.returncode == 1
    assert "2 GiB is more than the 256 MiB" in result.stderr and "not read" in result.stderr, result.stderr
    assert "reading" not in result.stderr
    assert table_state(psup) == before


def test_a_compressed_download_is_named(psup, tmp_path):
    archive = tmp_path / "fr-esr-parcoursup.csv"
    archive.write_bytes(b"PK\x03\x04" + os.urandom(64))
    result = import_file(psup, archive)
    assert result.returncode == 1 and "a zip archive" in result.stderr, result.stderr


def test_a_non_numeric_access_rate_refuses_that_row_and_loads_the_others_whole(psup):
    before_2025 = psup.psql("""SELECT md5(string_agg(f::text, '|' ORDER BY "codAffForm")) FROM parcoursup_formations f
                                WHERE "session" = 2025""")
    summary = imported(psup, BAD / "taux-non-numerique.csv")
    assert summary["session"] == 2022 and summary["loaded"] == 5 and summary["refused"] == 1, summary
    assert summary["refusals"] == [{"reason": "taux_acces_ens 'NC' is not a number", "rows": 1, "lines": "5"}], summary
    assert session_rows(psup, 2022) == 5
    # Idempotent: the same file again writes nothing.
    again = imported(psup, BAD / "taux-non-numerique.csv")
    assert again["alreadyLoaded"] and again["unchanged"] == 5 and again["added"] == again["changed"] == 0, again
    assert psup.psql("""SELECT md5(string_agg(f::text, '|' ORDER BY "codAffForm")) FROM parcoursup_formations f
                         WHERE "session" = 2025""") == before_2025
    psup.psql("""DELETE FROM parcoursup_formations WHERE "session" = 2022;
                 DELETE FROM parcoursup_sessions WHERE "session" = 2022""")


def test_a_session_option_keeps_one_session_of_a_mixed_file(psup):
    summary = imported(psup, BAD / "deux-sessions.csv", "--session", "2021")
    assert summary["session"] == 2021 and summary["loaded"] == 3 and summary["otherSessions"] == 3, summary
    assert session_rows(psup, 2021) == 3
    psup.psql("""DELETE FROM parcoursup_formations WHERE "session" = 2021;
                 DELETE FROM parcoursup_sessions WHERE "session" = 2021""")
