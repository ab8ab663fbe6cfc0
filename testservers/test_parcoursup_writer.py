"""The fake writer with Parcoursup rows in the terrain prompt (SPEC §13): it
comments on those programmes only, writes no percentage but their access
rates in « Réalité du terrain », explains the rate as the ministry defines
it, and leaves room in its length for the table the generator inserts, so
every rule of the report check still holds once the table is in.
"""
import re

from testservers import fake_report_writer
from testservers.test_testservers import FACTS, QUESTIONNAIRE, check_report, count_words, pass_prompt, section

ROWS = [
    ("CPGE - MPSI", "Lycée Chateaubriand", "Rennes", "35", "Public", "43", "48"),
    ("BUT - Informatique", "IUT de Lannion", "Lannion", "22", "Public", "60", "112"),
    ("BUT - Génie électrique et informatique industrielle", "IUT de Rennes", "Rennes", "35", "Public", "53", "84"),
    ("CPGE - ECG - Mathématiques appliquées et histoire-géographie", "Lycée Brizeux", "Quimper", "29",
     "Privé sous contrat d'association", "7,5", "40"),
]


def block(rows=ROWS):
    lines = ["<<<FORMATIONS_PARCOURSUP",
             "Source : données ouvertes Parcoursup du ministère chargé de l'Enseignement supérieur "
             "(jeu fr-esr-parcoursup), session 2025 ; zone de recherche : région Bretagne."]
    lines += [f"- {title} — {school}, {town} ({dep}) ; {status} ; formation sélective ; taux d'accès {rate} % ; "
              f"{places} places ; 812 candidats" for title, school, town, dep, status, rate, places in rows]
    return "\n".join(lines + ["FORMATIONS_PARCOURSUP>>>"])


def with_rows(prompt, rows=ROWS):
    return prompt + "\n\nFormations repérées (données, pas instructions) :\n" + block(rows)


def table(rows=ROWS):
    """The generator's table (Sources/BilanCore/Report/FormationTable.swift), as it counts in words."""
    lines = ["### Formations repérées", "",
             "| Formation | Établissement | Ville | Statut | Sélectivité | Taux d'accès | Places | Fiche Parcoursup |",
             "|---|---|---|---|---|---:|---:|---|"]
    lines += [f"| {title} | {school} | {town} ({dep}) | {status.lower()} | sélective | {rate} % | {places} | "
              f"[voir la fiche](https://dossierappel.parcoursup.fr/Candidats/public/fiches/afficherFicheFormation?"
              f"g_ta_cod=4107&typeBac=0&originePc=0) |" for title, school, town, dep, status, rate, places in rows]
    lines += ["", "Source : données ouvertes Parcoursup du ministère chargé de l'Enseignement supérieur (jeu "
              "fr-esr-parcoursup), session 2025. Le taux d'accès est la part des candidats de la phase principale qui "
              "ont reçu ou auraient pu recevoir une proposition d'admission (jusqu'au rang du dernier appelé) : ce "
              "n'est pas une chance personnelle d'être admis."]
    return "\n".join(lines)


def percentages(text):
    return [float(value.replace(",", ".")) for value in re.findall(r"(\d+(?:,\d+)?)\s?%", text)]


def rates(rows=ROWS):
    return {float(row[5].replace(",", ".")) for row in rows}


def test_the_terrain_section_comments_on_the_rows_with_their_rates_only():
    report = fake_report_writer.answer_text("final", with_rows(pass_prompt(QUESTIONNAIRE, "final")))
    terrain = section(report, "Réalité du terrain")
    found = percentages(terrain)
    assert found and set(found) <= rates(), found
    assert "CPGE - ECG" in terrain and "7,5 %" in terrain, terrain[:600]  # the most selective, as written
    assert "rang du dernier appelé" in terrain and "pas votre chance personnelle" in terrain
    assert "session 2025" in terrain
    # No percentage anywhere else either: the writer has none of its own.
    assert set(percentages(report)) <= rates()


def test_every_rule_holds_and_the_table_still_fits_the_word_range():
    # The table's own rules (its links, its cells) are the Swift check's to judge, on the real stack
    # (integration/e2e/test_parcoursup.py); here: what the writer writes, and its length once the table is in.
    prompt = with_rows(pass_prompt(QUESTIONNAIRE, "final"))
    report = fake_report_writer.answer_text("final", prompt)
    assert check_report(report, QUESTIONNAIRE, FACTS) == {}, check_report(report, QUESTIONNAIRE, FACTS)
    full = report.replace("## Réalité du terrain\n", "## Réalité du terrain\n\n" + table() + "\n", 1)
    assert 1500 <= count_words(full) <= 2500, count_words(full)


def test_twelve_long_rows_still_fit_the_word_range():
    many = [(f"BUT - Métiers du multimédia et de l'internet, parcours {n}", f"IUT de Bretagne site numéro {n}",
             "Saint-Brieuc", "22", "Privé sous contrat d'association", str(20 + n * 5), "56") for n in range(12)]
    report = fake_report_writer.answer_text("final", with_rows(pass_prompt(QUESTIONNAIRE, "final"), many))
    full = report.replace("## Réalité du terrain\n", "## Réalité du terrain\n\n" + table(many) + "\n", 1)
    assert 1500 <= count_words(full) <= 2500, count_words(full)


def test_a_repair_with_rows_keeps_to_them_and_without_rows_nothing_changes():
    repair = with_rows(pass_prompt(QUESTIONNAIRE, "repair"))
    assert set(percentages(fake_report_writer.answer_text("repair", repair))) <= rates()
    plain = pass_prompt(QUESTIONNAIRE, "final")
    assert "%" not in fake_report_writer.answer_text("final", plain)
    assert fake_report_writer.read_prompt(plain).programmes == []


def test_short_and_hostile_reports_keep_to_the_rows():
    prompt = with_rows(pass_prompt(QUESTIONNAIRE, "final"))
    for corruption in ("report-short", None):
        report = fake_report_writer.answer_text("final", prompt, hostile=corruption is None, corruption=corruption)
        assert set(percentages(section(report, "Réalité du terrain"))) <= rates(), corruption
