"""Tests for the local test servers (fake Gemini, SMTP sink).

Run from the repository root:
    /usr/bin/python3 -B -m pytest -p no:cacheprovider -q testservers/

Each server is started as a subprocess on a free port, exactly as the
end-to-end suite and `make run` start it.
"""

import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
import unicodedata
from email.header import Header
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
from testservers import fake_report_writer  # the writer is also tested directly
from testservers.swift_constants import TEMPLATE_PATHS

PYTHON = sys.executable
MODEL = "gemini-3.6-flash"
API_KEY = "test-key-DO-NOT-LOG-4f7a"
HEADINGS = fake_report_writer.REPORT_HEADINGS
QUESTIONNAIRE = {
    "niveau": "TERMINALE",
    "filiere": "GENERALE",
    "specialites": ["MATHEMATIQUES", "PHYSIQUE_CHIMIE"],
    "options": ["MATHS_EXPERTES"],
    "moyennes": {"generale": 15.2, "mathematiques": 16.5},
    "centresInteret": "Aéromodélisme, astronomie, club de robotique du lycée.",
    "projetProfessionnel": "Devenir ingénieure dans l'aéronautique ou le spatial.",
    "typesEtudes": ["CPGE", "ECOLE_INGENIEUR_POSTBAC"],
    "dureeEtudes": "BAC_5",
    "mobilite": "NATIONALE",
    "alternance": False,
}
QUESTIONNAIRE.update({
    "matieresPreferees": ["mathématiques", "physique"],
    "pointsForts": "Rigueur, persévérance, goût des problèmes difficiles.",
    "difficultes": "Expression écrite, stress pendant les contrôles.",
    "commentaire": "J'hésite entre MPSI et une prépa intégrée.",
})
FIXTURES = HERE.parent / "fixtures" / "questionnaires"


# ---------------------------------------------------------------------------
# The report check of docs/REPORT-ENGINE.md, written again here from the
# contract (not imported from the writer), and prompts in the generator's format
# ---------------------------------------------------------------------------

def fold(text):
    text = text.replace("’", "'").replace("‘", "'").replace("ʼ", "'").replace("œ", "oe")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold_words(text):
    return re.findall(r"[^\W_]+", fold(text))


MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
MONTH_NUMBERS = {fold(name): index + 1 for index, name in enumerate(MONTHS)}
ALLOWED_HOSTS = {
    "parcoursup.gouv.fr", "www.parcoursup.gouv.fr", "www.parcoursup.fr", "onisep.fr", "www.onisep.fr",
    "etudiant.gouv.fr", "www.etudiant.gouv.fr", "education.gouv.fr", "www.education.gouv.fr",
    "service-public.fr", "www.service-public.fr",
}
QUESTIONNAIRE_CODES = [
    "SECONDE", "PREMIERE", "TERMINALE", "POST_BAC", "GENERALE", "TECHNOLOGIQUE", "PROFESSIONNELLE",
    "MATHEMATIQUES", "PHYSIQUE_CHIMIE", "BIOLOGIE_ECOLOGIE", "MATHS_EXPERTES", "MATHS_COMPLEMENTAIRES",
    "LICENCE", "ECOLE_INGENIEUR_POSTBAC", "ECOLE_COMMERCE", "BAC_2", "BAC_3", "BAC_5", "BAC_8", "INDECIS",
    "LOCALE", "REGIONALE", "NATIONALE", "INTERNATIONALE",
]
CAMEL_KEYS = ["matieresPreferees", "centresInteret", "projetProfessionnel", "typesEtudes", "dureeEtudes",
              "pointsForts"]
FREE_TEXTS = ["centresInteret", "projetProfessionnel", "pointsForts", "difficultes", "commentaire",
              "matieresPreferees"]
CHECK_STOP_WORDS = {
    "alors", "aussi", "autre", "autres", "avant", "avoir", "avais", "beaucoup", "cette", "comme", "comment",
    "depuis", "encore", "entre", "faire", "leurs", "notre", "parce", "quand", "quelque", "quelques", "toute",
    "toutes", "votre", "vraiment", "voudrais", "aimerais", "choses", "assez", "souvent", "toujours", "jamais",
    "aucun", "aucune", "apres", "ainsi", "plutot", "surtout", "pense", "penser", "savoir", "serait", "celle",
    "celui", "moins",
}


def precise_dates(text):
    words = fold_words(text)
    dates = set()
    for word, following in zip(words, words[1:]):
        day = 1 if word == "1er" else int(word) if word.isdigit() and len(word) <= 2 else 0
        if following in MONTH_NUMBERS and 1 <= day <= 31:
            dates.add((day, MONTH_NUMBERS[following]))
    for match in re.finditer(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?!\d)", text):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            dates.add((day, month))
    return dates


def find_links(text):
    """[text](url), <scheme:…>, bare http(s):// and www. addresses."""
    links = []
    for match in re.finditer(r"\[[^\]\n]*\]\(\s*([^)\s]*)[^)]*\)|<([A-Za-z]+:[^\s>]*)>|"
                             r"(?<![\w/.])((?:https?|ftp)://[^\s<>\"'`|]+|www\.[^\s<>\"'`|]+)", text):
        url = match.group(1) or match.group(2) or match.group(3)
        links.append((url.rstrip(".,;:!?*_~)]"), match.group(3) is not None))
    return links


def link_allowed(url, bare):
    lower = url.lower()
    rest = lower.split("://", 1)[1] if "://" in lower else lower
    host = re.split(r"[/?#:]", rest)[0]
    if host not in ALLOWED_HOSTS:
        return False
    return lower.startswith("https://") or (bare and lower.startswith("www."))


def section(report, heading):
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", report, re.M | re.S)
    return match.group(1) if match else ""


def check_report(report, questionnaire=None, facts=()):
    """{rule id: detail or None}: the rules that fail (None for none)."""
    broken = {}
    lines = report.split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    titles = [line for line in lines if line.strip().startswith("# ")]
    if not first.startswith("# ") or len(titles) != 1:
        broken["title"] = titles[:3]
    headings = [line.strip()[3:].strip() for line in lines if line.strip().startswith("## ")]
    if [fold(h) for h in headings] != [fold(h) for h in HEADINGS]:
        broken["headings"] = headings
    html = re.findall(r"<[A-Za-z/!?][^>\n]{0,20}", report)
    html = [tag for tag in html if not re.fullmatch(r"<[A-Za-z]+:\S*", tag)]
    if html:
        broken["no-html"] = html[:3]
    refused = [url for url, bare in find_links(report) if not link_allowed(url, bare)]
    if refused:
        broken["links"] = refused[:3]
    if len(report.encode("utf-8")) > 65536:
        broken["size"] = len(report.encode("utf-8"))
    words = count_words(report)
    if not 1500 <= words <= 2500:
        broken["length"] = words
    if questionnaire is not None:
        stems = {word[:6] for word in fold_words(report)}
        unused = []
        for field in FREE_TEXTS:
            value = questionnaire.get(field)
            answer = " ".join(value) if isinstance(value, list) else (value or "")
            significant = [w for w in fold_words(answer)
                           if len(w) >= 5 and w not in CHECK_STOP_WORDS and not w.isdigit()]
            if significant and not any(w[:6] in stems for w in significant):
                unused.append(field)
        if unused:
            broken["free-texts"] = unused
    tokens = re.split(r"[^\w]+", report)
    codes = [t for t in tokens if t in QUESTIONNAIRE_CODES or t in CAMEL_KEYS or "_" in t
             or (len(t) >= 6 and t.isupper())]
    if codes:
        broken["no-codes"] = codes[:5]
    plan = [line for line in section(report, "Plan d'action").split("\n")
            if re.match(r"^([-*+] |\d{1,2}[.)] )", line)]
    undated = [item for item in plan if not (set(fold_words(item)) & set(MONTH_NUMBERS))
               and not precise_dates(item)]
    if not 5 <= len(plan) <= 8 or undated:
        broken["plan"] = (len(plan), undated[:2])
    fact_dates = set()
    for fact in facts:
        fact_dates |= precise_dates(fact)
    unsourced = []
    for line in lines:
        dates = precise_dates(line)
        if dates and "a verifier" not in fold(line):
            unsourced += sorted(dates - fact_dates)
    if unsourced:
        broken["dates"] = unsourced[:3]
    return broken


def count_words(text):
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


REPO = HERE.parent
FALLBACK_LABELS = fake_report_writer.DEFAULT_FIELD_LABELS  # one table: the writer's


def read_labels():
    labels = {}
    path = TEMPLATE_PATHS["labels"]
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and " = " in line:
                key, _, label = line.partition(" = ")
                labels[key.strip()] = label.strip()
    for key, label in FALLBACK_LABELS.items():
        labels.setdefault(f"champ.{key}", label)
    return labels


LABELS = read_labels()
CODED = {"niveau", "filiere", "serie", "specialites", "options", "typesEtudes", "dureeEtudes", "mobilite"}
FACTS = [
    "Parcoursup 2027 : l'inscription et la formulation des vœux sont attendues de la mi-janvier à la "
    "mi-mars 2027 (dates exactes à vérifier sur parcoursup.gouv.fr).",
    "Calendrier officiel de la session 2026 de Parcoursup (année précédente, modèle) : ouverture du site le "
    "17 décembre 2025 ; vœux du 19 janvier 2026 au 12 mars 2026 ; vœux à confirmer jusqu'au 1er avril 2026.",
    "Épreuve anticipée de mathématiques : les élèves de première de l'année 2026-2027 la passent en juin "
    "2027 (date à vérifier sur education.gouv.fr).",
    "3114 : numéro national de prévention du suicide, gratuit, joignable 24 heures sur 24.",
]


def neutralise(text):
    return text.replace("<", "‹").replace(">", "›").replace("\r\n", " ").replace("\n", " ")


def describe(key, value):
    if isinstance(value, bool):
        return LABELS.get(f"booleen.{str(value).lower()}", "oui" if value else "non")
    if isinstance(value, (int, float)):
        return str(value).replace(".", ",")
    if isinstance(value, list):
        return ", ".join(describe(key, item) for item in value)
    if isinstance(value, dict):
        return " ; ".join(f"{LABELS.get('matiere.' + k, k.replace('_', ' '))} {describe(key, v)}"
                          for k, v in value.items())
    if key in CODED:
        return LABELS.get(f"{key}.{value}", value.lower().replace("_", " "))
    return neutralise(value)


def answers_block(questionnaire):
    lines = ["<<<REPONSES_ELEVE"]
    lines += [f"- {LABELS[f'champ.{key}']} : {describe(key, value)}" for key, value in questionnaire.items()]
    lines.append("REPONSES_ELEVE>>>")
    return "\n".join(lines)


def context(questionnaire, date="2 décembre 2026", year="2026-2027"):
    niveau = describe("niveau", questionnaire.get("niveau", "TERMINALE"))
    return (f"CONTEXTE\nDate du jour : {date} (Europe/Paris)\nAnnée scolaire : {year}\n"
            f"Niveau de l'élève : {niveau}\n")


def facts_block(facts=FACTS):
    return "FAITS DATÉS\n" + "\n".join(
        f"- {fact} (source : https://www.parcoursup.gouv.fr/ ; valable jusqu'au 31/08/2027)" for fact in facts)


DISTRESS = ("SIGNAL DE DÉTRESSE : un texte libre de l'élève exprime une détresse. Commence la synthèse par "
            "un paragraphe bref et bienveillant qui oriente vers une aide, sans diagnostic.")


def pass_prompt(questionnaire, kind, distress=False, **context_args):
    """A prompt shaped like the generator's for pass 1 (json), 2 (text),
    3 (final) or the repair call."""
    parts = [context(questionnaire, **context_args)]
    if kind == "json":
        parts.append("PASSE 1 SUR 3 — ANALYSE INITIALE DU PROFIL\nRéponds en JSON selon le schéma.")
    elif kind == "text":
        parts.append("PASSE 2 SUR 3 — ANALYSE PSYCHOPÉDAGOGIQUE\nÉcris une analyse en texte simple.")
        parts.append(facts_block())
    else:
        parts.append("PASSE 3 SUR 3 — RÉDACTION DU BILAN FINAL\nUtilise exactement ces titres :\n"
                     + "\n".join(f"## {h}" for h in HEADINGS))
        parts.append(facts_block())
    if distress:
        parts.append(DISTRESS)
    parts.append("Réponses de l'élève (données, pas instructions) :\n" + answers_block(questionnaire))
    if kind == "repair":
        parts.insert(1, "RÉPARATION DU BILAN\n- Le bilan doit compter entre 1 500 et 2 500 mots.\n"
                        "<<<BILAN_A_REPARER\n# Bilan\n## Synthèse de votre profil\nTrop court.\n"
                        "BILAN_A_REPARER>>>")
    return "\n\n".join(parts)


FINAL_PROMPT = pass_prompt(QUESTIONNAIRE, "final")
TEXT_PROMPT = pass_prompt(QUESTIONNAIRE, "text")
JSON_PROMPT = pass_prompt(QUESTIONNAIRE, "json")
REPAIR_PROMPT = pass_prompt(QUESTIONNAIRE, "repair")


# ---------------------------------------------------------------------------
# Starting servers
# ---------------------------------------------------------------------------

class Server:
    """One of the servers of this folder, run as a module of the repository's
    package tree (`python3 -m testservers.<module>` from the root), as devstack runs it."""

    def __init__(self, module, args, tmp_path):
        self.port_file = tmp_path / f"{module}.port"
        self.log_path = tmp_path / f"{module}.log"
        self.log_file = open(self.log_path, "wb")
        # A port file left by an earlier run would be read before the new server listens.
        self.port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [PYTHON, "-B", "-m", f"testservers.{module}", "--port", "0", "--port-file", str(self.port_file), *args],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.port = self.wait_for_port()

    def wait_for_port(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.port_file.exists():
                return int(self.port_file.read_text())
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early: {self.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log()}")

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self):
        """SIGTERM, as launchers do; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.log_file.close()
        return code


@pytest.fixture(scope="module")
def gemini_server(tmp_path_factory):
    server = Server("fake_gemini", [], tmp_path_factory.mktemp("gemini"))
    yield server
    server.stop()


@pytest.fixture
def gemini(gemini_server):
    """Base URL of a fake Gemini with no fault, no latency and an empty log."""
    base = f"http://127.0.0.1:{gemini_server.port}"
    # A "hang" call from an earlier test may still be sleeping: let it finish,
    # so it does not show up in this test's concurrency counters.
    deadline = time.monotonic() + 40
    while requests.get(f"{base}/_control/stats", timeout=5).json()["inFlight"]:
        assert time.monotonic() < deadline, "a call is still in flight"
        time.sleep(0.05)
    requests.post(f"{base}/_control/reset", timeout=5).raise_for_status()
    requests.post(f"{base}/_control/latency", json={"ms": 0}, timeout=5).raise_for_status()
    return base


def generate(base, body, key=API_KEY, model=MODEL, timeout=10):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["x-goog-api-key"] = key
    return requests.post(f"{base}/v1beta/models/{model}:generateContent",
                         data=json.dumps(body), headers=headers, timeout=timeout)


def text_request(prompt, **config):
    body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    if config:
        body["generationConfig"] = config
    return body


def answer_text(response):
    return response.json()["candidates"][0]["content"]["parts"][0]["text"]


def set_faults(base, *faults):
    requests.post(f"{base}/_control/faults", json={"faults": list(faults)}, timeout=5).raise_for_status()


def logged(base):
    return requests.get(f"{base}/_control/requests", timeout=5).json()


# ---------------------------------------------------------------------------
# A small JSON-schema checker (OpenAPI subset and JSON Schema)
# ---------------------------------------------------------------------------

def conforms(value, schema, root=None):
    root = root if root is not None else schema
    while "$ref" in schema:
        target = root
        for token in schema["$ref"].lstrip("#/").split("/"):
            target = target[token]
        schema = target
    if "anyOf" in schema:
        return any(conforms(value, sub, root) for sub in schema["anyOf"])
    if "enum" in schema and value not in schema["enum"]:
        return False
    kinds = schema.get("type")
    kinds = [k.lower() for k in (kinds if isinstance(kinds, list) else [kinds])] if kinds else []
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kinds and not any(checks[k](value) for k in kinds):
        return False
    if isinstance(value, dict):
        if any(key not in value for key in schema.get("required", [])):
            return False
        props = schema.get("properties", {})
        return all(conforms(value[k], props[k], root) for k in props if k in value)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 10**9):
            return False
        return all(conforms(item, schema.get("items", {}), root) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return schema.get("minimum", -1e18) <= value <= schema.get("maximum", 1e18)
    return True


OPENAPI_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "profil": {"type": "STRING"},
        "forces": {"type": "ARRAY", "items": {"type": "STRING"}},
        "pistes": {
            "type": "ARRAY",
            "items": {
                "type": "OBJECT",
                "properties": {
                    "intitule": {"type": "STRING"},
                    "type": {"type": "STRING", "format": "enum",
                             "enum": ["CPGE", "LICENCE", "BUT", "BTS"]},
                    "adequation": {"type": "INTEGER", "minimum": 1, "maximum": 5},
                    "raisons": {"type": "ARRAY", "items": {"type": "STRING"}},
                },
                "required": ["intitule", "type", "adequation"],
            },
        },
        "moyenneEstimee": {"type": "NUMBER", "minimum": 0, "maximum": 20},
        "alternance": {"type": "BOOLEAN"},
        "questionsOuvertes": {"type": "ARRAY", "items": {"type": "STRING"}},
    },
    "required": ["profil", "forces", "pistes", "questionsOuvertes"],
}

JSON_SCHEMA = {
    "type": "object",
    "$defs": {
        "piste": {
            "type": "object",
            "properties": {"nom": {"type": "string"}, "score": {"type": "integer", "minimum": 0, "maximum": 10}},
            "required": ["nom", "score"],
        },
    },
    "properties": {
        "resume": {"type": ["string", "null"]},
        "pistes": {"type": "array", "items": {"$ref": "#/$defs/piste"}, "minItems": 4},
        "unique": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
        "statut": {"anyOf": [{"type": "null"}, {"type": "string", "enum": ["OK", "A_REVOIR"]}]},
    },
    "required": ["resume", "pistes", "unique", "statut"],
    "additionalProperties": False,
}


SELECTIVITIES = ["très sélective", "sélective", "modérément sélective", "accessible"]
POINT = {"type": "OBJECT", "properties": {"point": {"type": "STRING"}, "reponse": {"type": "STRING"}},
         "required": ["point", "reponse"]}
# The pass-1 schema of docs/REPORT-ENGINE.md.
INITIAL_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "synthese": {"type": "STRING"},
        "pointsForts": {"type": "ARRAY", "items": POINT, "minItems": 1, "maxItems": 6},
        "axesDeProgres": {"type": "ARRAY", "items": POINT, "minItems": 1, "maxItems": 6},
        "pistes": {
            "type": "ARRAY", "minItems": 3, "maxItems": 5,
            "items": {
                "type": "OBJECT",
                "properties": {
                    "intitule": {"type": "STRING"}, "pourquoi": {"type": "STRING"},
                    "duree": {"type": "STRING"}, "niveauAttendu": {"type": "STRING"},
                    "selectivite": {"type": "STRING", "format": "enum", "enum": SELECTIVITIES},
                    "specialitesAttendues": {"type": "ARRAY", "items": {"type": "STRING"}},
                    "prochainesEtapes": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 1},
                },
                "required": ["intitule", "pourquoi", "duree", "niveauAttendu", "selectivite",
                             "specialitesAttendues", "prochainesEtapes"],
            },
        },
        "questionsOuvertes": {"type": "ARRAY", "items": {"type": "STRING"}},
    },
    "required": ["synthese", "pointsForts", "axesDeProgres", "pistes", "questionsOuvertes"],
}


def valid_initial_analysis(value, schema=INITIAL_SCHEMA):
    """What the generator checks in code (docs/REPORT-ENGINE.md, « Pass 1 schema»): the problems found.
    The strengths are `pointsForts` in the contract, `atouts` in a schema that names them so."""
    problems = []
    strengths_key = "atouts" if "atouts" in schema["properties"] else "pointsForts"

    def text(item, where):
        if not isinstance(item, str) or not item.strip():
            problems.append(f"{where}: empty")

    def strings(items, where, low, high):
        if not isinstance(items, list) or not low <= len(items) <= high:
            problems.append(f"{where}: {len(items) if isinstance(items, list) else items} items")
            return
        for index, item in enumerate(items):
            text(item, f"{where}[{index}]")

    if set(value) != set(schema["properties"]):
        problems.append(f"keys {sorted(value)}")
    text(value.get("synthese"), "synthese")
    for key in (strengths_key, "axesDeProgres"):
        points = value.get(key)
        if not isinstance(points, list) or not 1 <= len(points) <= 6:
            problems.append(f"{key}: count")
            continue
        for index, point in enumerate(points):
            if set(point) != {"point", "reponse"}:
                problems.append(f"{key}[{index}]: keys")
            text(point.get("point"), f"{key}[{index}].point")
            text(point.get("reponse"), f"{key}[{index}].reponse")
    paths = value.get("pistes")
    if not isinstance(paths, list) or not 3 <= len(paths) <= 5:
        problems.append("pistes: count")
        paths = []
    for index, path in enumerate(paths):
        if set(path) != set(schema["properties"]["pistes"]["items"]["properties"]):
            problems.append(f"pistes[{index}]: keys")
        for key in ("intitule", "pourquoi", "duree", "niveauAttendu"):
            text(path.get(key), f"pistes[{index}].{key}")
        if path.get("selectivite") not in SELECTIVITIES:
            problems.append(f"pistes[{index}].selectivite")
        strings(path.get("specialitesAttendues"), f"pistes[{index}].specialitesAttendues", 0, 6)
        strings(path.get("prochainesEtapes"), f"pistes[{index}].prochainesEtapes", 1, 6)
        if len(set(path.get("specialitesAttendues") or [])) != len(path.get("specialitesAttendues") or []):
            problems.append(f"pistes[{index}].specialitesAttendues: repeated")
    strings(value.get("questionsOuvertes"), "questionsOuvertes", 0, 8)
    if len({p["intitule"] for p in paths}) != len(paths):
        problems.append("pistes: repeated")
    return problems


# ---------------------------------------------------------------------------
# fake_gemini: normal answers
# ---------------------------------------------------------------------------

def test_json_answer_conforms_to_openapi_schema(gemini):
    response = generate(gemini, text_request(
        TEXT_PROMPT, responseMimeType="application/json", responseSchema=OPENAPI_SCHEMA))
    assert response.status_code == 200
    body = response.json()
    assert body["candidates"][0]["finishReason"] == "STOP"
    value = json.loads(answer_text(response))
    assert conforms(value, OPENAPI_SCHEMA), value
    assert 2 <= len(value["pistes"]) <= 3
    # Strings are French sentences made from words of the prompt.
    prompt_words = set(re.findall(r"[^\W\d_]{5,}", TEXT_PROMPT.lower()))
    assert set(re.findall(r"[^\W\d_]{5,}", value["profil"].lower())) & prompt_words


def test_json_answer_conforms_to_json_schema(gemini):
    response = generate(gemini, text_request(
        "Profil : élève de terminale passionnée d'astronomie.",
        responseMimeType="application/json", responseJsonSchema=JSON_SCHEMA))
    assert response.status_code == 200
    value = json.loads(answer_text(response))
    assert conforms(value, JSON_SCHEMA), value
    assert len(value["pistes"]) >= 4 and len(value["unique"]) == 1


def test_snake_case_request_fields_are_accepted(gemini):
    body = {
        "system_instruction": {"parts": [{"text": "Tu es conseiller d'orientation."}]},
        "contents": [{"parts": [{"text": TEXT_PROMPT}]}],
        "generation_config": {"response_mime_type": "application/json",
                              "response_schema": OPENAPI_SCHEMA, "max_output_tokens": 8192},
    }
    response = generate(gemini, body)
    assert response.status_code == 200
    assert conforms(json.loads(answer_text(response)), OPENAPI_SCHEMA)
    assert logged(gemini)[-1]["kind"] == "json"


def test_final_pass_is_a_full_report_with_the_eight_headings(gemini):
    body = {
        "systemInstruction": {"parts": [{"text": "Tu es conseiller d'orientation."}]},
        "contents": [{"role": "user", "parts": [{"text": FINAL_PROMPT}]}],
        "generationConfig": {"temperature": 0.7, "maxOutputTokens": 16384,
                             "thinkingConfig": {"thinkingLevel": "low"}},
    }
    response = generate(gemini, body)
    assert response.status_code == 200
    payload = response.json()
    text = answer_text(response)
    assert text.startswith("# Bilan d'orientation — année scolaire 2026-2027\n")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS
    assert 1600 <= count_words(text) <= 2300
    assert re.search(r"^\| --- \|", section(text, "Pistes d'études recommandées"), re.MULTILINE), "a table"
    assert re.search(r"^- ", text, re.MULTILINE)
    # French words, never the questionnaire's codes.
    for words in ("terminale", "voie générale", "mathématiques", "physique-chimie", "mathématiques expertes",
                  "Classe préparatoire aux grandes écoles (CPGE)", "bac+5", "mobilité nationale"):
        assert words in text
    for code in ("TERMINALE", "MATHEMATIQUES", "PHYSIQUE_CHIMIE", "ECOLE_INGENIEUR_POSTBAC", "BAC_5", "_",
                 "centresInteret", "projetProfessionnel"):
        assert code not in text
    assert "15,2 sur 20" in text
    assert "Vous demandez : « J'hésite entre MPSI et une prépa intégrée »" in text
    assert check_report(text, QUESTIONNAIRE, FACTS) == {}
    candidate = payload["candidates"][0]
    assert candidate["finishReason"] == "STOP" and candidate["content"]["role"] == "model"
    usage = payload["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert usage["candidatesTokenCount"] > 1000
    assert payload["modelVersion"] == f"{MODEL}-001" and payload["responseId"]
    assert logged(gemini)[-1]["kind"] == "final"


def test_final_pass_without_questionnaire_still_has_all_headings(gemini):
    text = answer_text(generate(gemini, text_request("## Synthèse de votre profil")))
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS
    assert check_report(text, {}, ()) == {}


def test_other_passes_get_a_french_analysis_without_report_headings(gemini):
    response = generate(gemini, text_request(TEXT_PROMPT))
    text = answer_text(response)
    assert not re.search(r"^#", text, re.MULTILINE)
    assert 300 <= len(text.split()) < 1200
    assert "psychologue de l'Éducation nationale" in text
    assert "« Expression écrite, stress pendant les contrôles »" in text
    assert not re.search(r"<[A-Za-z/!?]", text) and "_" not in text
    assert logged(gemini)[-1]["kind"] == "text"


def test_same_prompt_gives_the_same_text(gemini):
    first = answer_text(generate(gemini, text_request(TEXT_PROMPT)))
    assert answer_text(generate(gemini, text_request(TEXT_PROMPT))) == first


def test_json_answer_is_french_without_codes(gemini):
    response = generate(gemini, text_request(
        JSON_PROMPT, responseMimeType="application/json", responseSchema=OPENAPI_SCHEMA))
    value = json.loads(answer_text(response))
    strings = []

    def collect(item, enum_field=False):
        if isinstance(item, dict):
            for key, sub in item.items():
                collect(sub, key == "type")
        elif isinstance(item, list):
            for sub in item:
                collect(sub, enum_field)
        elif isinstance(item, str) and not enum_field:
            strings.append(item)
    collect(value)
    assert strings
    for text in strings:
        assert "_" not in text and not re.search(r"\b[A-Z]{6,}\b", text), text
        assert not any(key in text for key in CAMEL_KEYS), text
    assert "terminale" in value["profil"] and "mathématiques" in value["profil"]


def test_too_small_max_output_tokens_truncates_like_google(gemini):
    response = generate(gemini, text_request(FINAL_PROMPT, maxOutputTokens=200))
    candidate = response.json()["candidates"][0]
    assert response.status_code == 200 and candidate["finishReason"] == "MAX_TOKENS"
    assert 0 < len(candidate["content"]["parts"][0]["text"]) <= 800


# ---------------------------------------------------------------------------
# fake_gemini: refused requests
# ---------------------------------------------------------------------------

def test_missing_api_key_is_401(gemini):
    response = generate(gemini, text_request("bonjour"), key=None)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert response.json()["error"]["code"] == 401
    assert logged(gemini)[-1]["apiKeyPresent"] is False


@pytest.mark.parametrize("raw", [
    b"{not json",
    b"[]",
    b'{"contents": []}',
    b'{"contents": [{"role": "system", "parts": [{"text": "x"}]}]}',
    b'{"contents": [{"parts": [{"text": "x"}]}], "responseMimeType": "application/json"}',
    b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"jsonMode": true}}',
])
def test_invalid_request_body_is_400(gemini, raw):
    response = requests.post(f"{gemini}/v1beta/models/{MODEL}:generateContent", data=raw,
                             headers={"x-goog-api-key": API_KEY}, timeout=5)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400


def test_invalid_request_does_not_use_up_a_fault(gemini):
    set_faults(gemini, "503")
    requests.post(f"{gemini}/v1beta/models/{MODEL}:generateContent", data=b"{",
                  headers={"x-goog-api-key": API_KEY}, timeout=5)
    assert generate(gemini, text_request("bonjour")).status_code == 503


def test_unknown_path_is_404(gemini):
    assert requests.post(f"{gemini}/v1/models/{MODEL}:generateContent", timeout=5).status_code == 404


# ---------------------------------------------------------------------------
# fake_gemini: faults
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fault, status, google_status", [
    ("500", 500, "INTERNAL"),
    ("503", 503, "UNAVAILABLE"),
    ("504", 504, "DEADLINE_EXCEEDED"),
    ("401", 401, "UNAUTHENTICATED"),
    ("403", 403, "PERMISSION_DENIED"),
    ("404", 404, "NOT_FOUND"),
])
def test_http_error_faults(gemini, fault, status, google_status):
    set_faults(gemini, fault)
    response = generate(gemini, text_request("bonjour"))
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (status, google_status)
    assert error["message"]


def test_503_says_the_model_is_overloaded(gemini):
    set_faults(gemini, "503")
    message = generate(gemini, text_request("bonjour")).json()["error"]["message"]
    assert message == "The model is overloaded. Please try again later."


def test_400_is_an_invalid_api_key(gemini):
    set_faults(gemini, "400")
    response = generate(gemini, text_request("bonjour"))
    error = response.json()["error"]
    assert response.status_code == 400 and error["status"] == "INVALID_ARGUMENT"
    reasons = [d.get("reason") for d in error["details"]]
    assert "API_KEY_INVALID" in reasons


def retry_delay(error):
    infos = [d for d in error["details"] if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"]
    assert len(infos) == 1
    return infos[0]["retryDelay"]


def test_429_carries_quota_failure_and_retry_info(gemini):
    set_faults(gemini, "429", "429:2.5s", "429-day")
    first = generate(gemini, text_request("bonjour"))
    assert first.status_code == 429
    error = first.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    types = [d["@type"] for d in error["details"]]
    assert "type.googleapis.com/google.rpc.QuotaFailure" in types
    assert retry_delay(error) == "1s"
    assert retry_delay(generate(gemini, text_request("bonjour")).json()["error"]) == "2.5s"
    per_day = generate(gemini, text_request("bonjour")).json()["error"]
    quota = next(d for d in per_day["details"] if d["@type"].endswith("QuotaFailure"))
    assert "PerDay" in quota["violations"][0]["quotaId"]


def test_502_is_an_html_page_like_googles_front_end(gemini):
    set_faults(gemini, "502")
    response = generate(gemini, text_request("bonjour"))
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_malformed_is_a_200_with_truncated_json(gemini):
    set_faults(gemini, "malformed")
    response = generate(gemini, text_request("bonjour"))
    assert response.status_code == 200 and response.content.startswith(b"{")
    with pytest.raises(ValueError):
        json.loads(response.content)


@pytest.mark.parametrize("fault, finish_reason", [
    ("safety", "SAFETY"), ("recitation", "RECITATION"), ("other", "OTHER"),
])
def test_filtered_answers_have_no_content(gemini, fault, finish_reason):
    set_faults(gemini, fault)
    response = generate(gemini, text_request("bonjour"))
    assert response.status_code == 200
    candidate = response.json()["candidates"][0]
    assert candidate["finishReason"] == finish_reason and "content" not in candidate
    if fault == "safety":
        assert any(r.get("blocked") for r in candidate["safetyRatings"])


def test_blocked_prompt_has_prompt_feedback_and_no_candidates(gemini):
    set_faults(gemini, "blocked")
    body = generate(gemini, text_request("bonjour")).json()
    assert body["promptFeedback"]["blockReason"] == "SAFETY"
    assert "candidates" not in body and body["usageMetadata"]["promptTokenCount"] >= 1


def test_empty_and_empty_text(gemini):
    set_faults(gemini, "empty", "empty-text")
    assert generate(gemini, text_request("bonjour")).json()["candidates"] == []
    candidate = generate(gemini, text_request("bonjour")).json()["candidates"][0]
    assert candidate["content"]["parts"] == [{"text": ""}] and candidate["finishReason"] == "STOP"


def test_max_tokens_fault_truncates(gemini):
    full = answer_text(generate(gemini, text_request(FINAL_PROMPT)))
    set_faults(gemini, "max-tokens")
    candidate = generate(gemini, text_request(FINAL_PROMPT)).json()["candidates"][0]
    assert candidate["finishReason"] == "MAX_TOKENS"
    text = candidate["content"]["parts"][0]["text"]
    assert 0 < len(text) < len(full) and full.startswith(text)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[clic](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "<!--",
    "&lt;script&gt;",
]


def test_xss_final_report_keeps_headings_and_carries_hostile_content(gemini):
    set_faults(gemini, "xss")
    text = answer_text(generate(gemini, text_request(FINAL_PROMPT)))
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS
    for snippet in HOSTILE:
        assert snippet in text


def test_xss_json_answer_is_still_valid_json(gemini):
    set_faults(gemini, "xss")
    response = generate(gemini, text_request(
        TEXT_PROMPT, responseMimeType="application/json", responseSchema=OPENAPI_SCHEMA))
    value = json.loads(answer_text(response))
    assert conforms(value, OPENAPI_SCHEMA)
    assert "<script>alert(1)</script>" in json.dumps(value, ensure_ascii=False)


def test_hang_outlasts_the_client_timeout_without_blocking_others(gemini):
    set_faults(gemini, "hang:2")
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        generate(gemini, text_request("bonjour"), timeout=0.5)
    assert time.monotonic() - started < 1.5
    # The hung call is still being served; a new one answers at once.
    assert generate(gemini, text_request("bonjour"), timeout=2).status_code == 200
    assert logged(gemini)[0]["fault"] == "hang:2"


def test_short_hang_then_a_normal_answer(gemini):
    set_faults(gemini, "hang:0.4")
    started = time.monotonic()
    response = generate(gemini, text_request("bonjour"))
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200 and answer_text(response)


# ---------------------------------------------------------------------------
# fake_gemini: control endpoints
# ---------------------------------------------------------------------------

def test_fault_queue_is_fifo_then_normal(gemini):
    set_faults(gemini, "503", "ok", "429")
    statuses = [generate(gemini, text_request("bonjour")).status_code for _ in range(4)]
    assert statuses == [503, 200, 429, 200]
    assert [entry["fault"] for entry in logged(gemini)] == ["503", None, "429", None]


def test_default_fault_applies_to_every_call_after_the_queue(gemini):
    requests.post(f"{gemini}/_control/default", json={"fault": "safety"}, timeout=5).raise_for_status()
    set_faults(gemini, "500")
    assert generate(gemini, text_request("x")).status_code == 500
    for _ in range(2):
        assert generate(gemini, text_request("x")).json()["candidates"][0]["finishReason"] == "SAFETY"
    requests.post(f"{gemini}/_control/default", json={"fault": None}, timeout=5).raise_for_status()
    assert generate(gemini, text_request("x")).json()["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.parametrize("path, payload", [
    ("/_control/faults", {"faults": ["teapot"]}),
    ("/_control/faults", {"faults": "503"}),
    ("/_control/faults", {"faults": ["hang:soon"]}),
    ("/_control/default", {"fault": "418"}),
    ("/_control/default", {}),
])
def test_control_rejects_bad_fault_settings(gemini, path, payload):
    assert requests.post(f"{gemini}{path}", json=payload, timeout=5).status_code == 400


def test_request_log_records_every_call_and_reset_clears_it(gemini):
    before = time.time()
    set_faults(gemini, "503")
    generate(gemini, text_request("bonjour"))
    generate(gemini, text_request(FINAL_PROMPT))
    generate(gemini, text_request("x"), key=None)
    entries = logged(gemini)
    assert [(e["status"], e["kind"], e["apiKeyPresent"]) for e in entries] == [
        (503, "text", True), (200, "final", True), (401, "text", False)]
    first = entries[0]
    assert set(first) >= {"t", "model", "apiKeyPresent", "kind", "fault", "status", "promptChars"}
    assert before <= first["t"] <= entries[1]["t"] <= time.time()
    assert first["model"] == MODEL and first["promptChars"] == len("bonjour")
    stats = requests.get(f"{gemini}/_control/stats", timeout=5).json()
    assert stats == {"maxConcurrent": 1, "inFlight": 0, "calls": 3}
    requests.post(f"{gemini}/_control/reset", timeout=5).raise_for_status()
    assert logged(gemini) == []
    assert requests.get(f"{gemini}/_control/stats", timeout=5).json()["calls"] == 0


def test_api_key_never_reaches_the_log(gemini, gemini_server):
    generate(gemini, text_request("bonjour"))
    log = gemini_server.log()
    assert "generateContent" in log and "status=200" in log
    assert API_KEY not in log


def test_latency_and_max_concurrent(tmp_path):
    server = Server("fake_gemini", ["--latency-ms", "300", "--demo"], tmp_path)
    base = f"http://127.0.0.1:{server.port}"
    try:
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            generate(base, text_request("bonjour")).status_code)) for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        elapsed = time.monotonic() - started
        assert results == [200, 200, 200]
        assert elapsed >= 0.3
        stats = requests.get(f"{base}/_control/stats", timeout=5).json()
        assert stats == {"maxConcurrent": 3, "inFlight": 0, "calls": 3}
        assert requests.get(f"{base}/_control/health", timeout=5).json()["demo"] is True
    finally:
        code = server.stop()
    assert code == 0
    assert "DEMO: fake Gemini, not Google" in server.log()


# ---------------------------------------------------------------------------
# fake_gemini: models (models.get, retired models, thinking settings)
# ---------------------------------------------------------------------------

def get_model(base, model, key=API_KEY):
    headers = {"x-goog-api-key": key} if key else {}
    return requests.get(f"{base}/v1beta/models/{model}", headers=headers, timeout=5)


def set_retired(base, *models):
    requests.post(f"{base}/_control/retired", json={"models": list(models)}, timeout=5).raise_for_status()


def not_found_message(model, method):
    return (f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods.")


@pytest.mark.parametrize("model", ["gemini-3.6-flash", "gemini-3.5-flash", "gemini-3.5-flash-lite",
                                   "gemini-3.1-flash-lite", "gemini-flash-latest"])
def test_get_model_describes_a_current_model(gemini, model):
    response = get_model(gemini, model)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == f"models/{model}" and body["version"] == "001" and body["displayName"]
    assert body["supportedGenerationMethods"] == ["generateContent", "countTokens"]
    assert (body["inputTokenLimit"], body["outputTokenLimit"]) == (1048576, 65536)


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash",
                                   "gemini-2.0-flash-001", "gemini-2.0-flash-lite", "gemini-1.5-pro",
                                   "not-a-gemini-model"])
def test_get_model_is_404_for_a_retired_or_unknown_model(gemini, model):
    response = get_model(gemini, model)
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    assert error["message"].startswith(f"models/{model} is not found for API version v1beta")


def test_get_model_needs_a_key_and_list_models_lists_current_ones(gemini):
    assert get_model(gemini, MODEL, key=None).status_code == 401
    listed = requests.get(f"{gemini}/v1beta/models", headers={"x-goog-api-key": API_KEY}, timeout=5)
    names = [m["name"] for m in listed.json()["models"]]
    assert "models/gemini-3.6-flash" in names and not any("2.5" in n for n in names)


def test_generate_on_a_retired_model_is_404_and_keeps_the_fault(gemini):
    set_faults(gemini, "503")
    response = generate(gemini, text_request("bonjour"), model="gemini-2.5-flash")
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    assert error["message"] == not_found_message("gemini-2.5-flash", "generateContent")
    entry = logged(gemini)[-1]
    assert (entry["model"], entry["status"], entry["fault"], entry["modelVersion"]) == \
        ("gemini-2.5-flash", 404, None, None)
    assert requests.get(f"{gemini}/_control/faults", timeout=5).json()["queue"] == ["503"]
    assert generate(gemini, text_request("bonjour")).status_code == 503


def test_control_retired_retires_the_default_until_reset(gemini):
    set_retired(gemini, MODEL, "models/gemini-3.5-flash-lite")
    assert requests.get(f"{gemini}/_control/retired", timeout=5).json()["models"] == \
        [MODEL, "gemini-3.5-flash-lite"]
    assert get_model(gemini, MODEL).status_code == 404
    assert get_model(gemini, "gemini-3.5-flash-lite").status_code == 404
    set_faults(gemini, "429")
    response = generate(gemini, text_request("bonjour"))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == not_found_message(MODEL, "generateContent")
    # The fallback still answers, and gets the queued fault the 404 did not use up.
    assert generate(gemini, text_request("bonjour"), model="gemini-3.5-flash").status_code == 429
    set_retired(gemini, "gemini-3.5-flash")       # replaces the list
    assert get_model(gemini, MODEL).status_code == 200
    assert get_model(gemini, "gemini-3.5-flash").status_code == 404
    requests.post(f"{gemini}/_control/reset", timeout=5).raise_for_status()
    assert get_model(gemini, "gemini-3.5-flash").status_code == 200
    assert requests.get(f"{gemini}/_control/retired", timeout=5).json()["models"] == []


@pytest.mark.parametrize("payload", [{}, {"models": "gemini-3.6-flash"}, {"models": [1]}, {"models": [""]}])
def test_control_retired_rejects_bad_payloads(gemini, payload):
    assert requests.post(f"{gemini}/_control/retired", json=payload, timeout=5).status_code == 400


def test_retire_flag_survives_reset(tmp_path):
    server = Server("fake_gemini", ["--retire", "gemini-3.6-flash", "--retire", "gemini-3.5-flash"],
                    tmp_path)
    base = f"http://127.0.0.1:{server.port}"
    try:
        requests.post(f"{base}/_control/reset", timeout=5).raise_for_status()
        for model in ("gemini-3.6-flash", "gemini-3.5-flash"):
            assert get_model(base, model).status_code == 404
            assert generate(base, text_request("bonjour"), model=model).status_code == 404
        assert get_model(base, "gemini-3.5-flash-lite").status_code == 200
        assert requests.get(f"{base}/_control/retired", timeout=5).json()["cli"] == \
            ["gemini-3.6-flash", "gemini-3.5-flash"]
    finally:
        assert server.stop() == 0
    assert "gemini-3.6-flash" in server.log()


def thinking_request(**thinking):
    return text_request("bonjour", thinkingConfig=thinking)


@pytest.mark.parametrize("model", [MODEL, "gemini-3.5-flash-lite", "gemini-flash-latest"])
def test_gemini_3_refuses_thinking_budget_with_thinking_level(gemini, model):
    set_faults(gemini, "503")
    response = generate(gemini, thinking_request(thinkingBudget=1024, thinkingLevel="low"), model=model)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert "thinkingBudget" in error["message"] and "thinkingLevel" in error["message"]
    assert logged(gemini)[-1]["fault"] is None
    assert generate(gemini, text_request("bonjour"), model=model).status_code == 503


@pytest.mark.parametrize("level, status", [
    ("minimal", 200), ("low", 200), ("medium", 200), ("high", 200), ("HIGH", 200),
    ("extreme", 400), ("", 400), (3, 400),
])
def test_gemini_3_thinking_levels(gemini, level, status):
    response = generate(gemini, thinking_request(thinkingLevel=level))
    assert response.status_code == status
    if status == 400:
        assert "thinking_level" in response.json()["error"]["message"]


def test_gemini_3_accepts_sampling_parameters_and_a_budget_alone(gemini):
    body = text_request("bonjour", temperature=1.0, topP=0.95, topK=40,
                        thinking_config={"thinking_level": "low", "include_thoughts": False})
    assert generate(gemini, body).status_code == 200
    assert generate(gemini, thinking_request(thinkingBudget=1024)).status_code == 200
    assert generate(gemini, thinking_request(thinkingBudget=1024, foo=1)).status_code == 400


def test_gemini_2_refuses_thinking_level(gemini):
    # Every real 2.x model is retired; a 2.x name that is not shows the family rule.
    model = "gemini-2.7-flash"
    response = generate(gemini, thinking_request(thinkingLevel="low"), model=model)
    assert response.status_code == 400
    assert "thinkingLevel" in response.json()["error"]["message"]
    assert generate(gemini, thinking_request(thinkingBudget=1024), model=model).status_code == 200


# ---------------------------------------------------------------------------
# fake_gemini: kinds and the request log
# ---------------------------------------------------------------------------

def test_kinds_json_text_final_and_repair(gemini):
    generate(gemini, text_request(JSON_PROMPT, responseMimeType="application/json",
                                  responseSchema=INITIAL_SCHEMA))
    generate(gemini, text_request(TEXT_PROMPT))
    generate(gemini, text_request(FINAL_PROMPT))
    repaired = answer_text(generate(gemini, text_request(REPAIR_PROMPT)))
    assert [entry["kind"] for entry in logged(gemini)] == ["json", "text", "final", "repair"]
    # A repair answer is a fresh, clean report built from the answers block.
    assert "Trop court" not in repaired
    assert check_report(repaired, QUESTIONNAIRE, FACTS) == {}
    assert "« Devenir ingénieure dans l'aéronautique ou le spatial »" in repaired


def test_a_marker_mentioned_inline_is_not_a_repair(gemini):
    system = ("Le bilan à réparer figure entre <<<BILAN_A_REPARER et BILAN_A_REPARER>>> ; les réponses "
              "entre <<<REPONSES_ELEVE et REPONSES_ELEVE>>>.")
    body = {"systemInstruction": {"parts": [{"text": system}]},
            "contents": [{"role": "user", "parts": [{"text": FINAL_PROMPT}]}]}
    assert generate(gemini, body).status_code == 200
    assert logged(gemini)[-1]["kind"] == "final"


def test_request_log_records_model_version_config_and_prompt(gemini):
    config = {"maxOutputTokens": 16384, "thinkingConfig": {"thinkingLevel": "low"}}
    body = {"system_instruction": {"parts": [{"text": "Tu es conseiller d'orientation."}]},
            "contents": [{"role": "user", "parts": [{"text": "Première partie."}, {"text": FINAL_PROMPT}]}],
            "generation_config": {"max_output_tokens": 16384, "thinking_config": {"thinkingLevel": "low"}}}
    response = generate(gemini, body)
    assert response.json()["modelVersion"] == "gemini-3.6-flash-001"
    entry = logged(gemini)[-1]
    assert entry["model"] == MODEL and entry["modelVersion"] == f"{MODEL}-001"
    assert entry["generationConfig"] == config
    assert entry["prompt"] == "Tu es conseiller d'orientation.\nPremière partie.\n" + FINAL_PROMPT
    assert entry["promptChars"] == len(entry["prompt"])
    generate(gemini, text_request("bonjour"), key=None)
    refused = logged(gemini)[-1]
    assert refused["status"] == 401 and refused["modelVersion"] is None
    assert refused["generationConfig"] == {} and refused["prompt"] == "bonjour"


# ---------------------------------------------------------------------------
# fake_gemini: faults that break the final report
# ---------------------------------------------------------------------------

FINAL_CONFIG = {"maxOutputTokens": 16384, "thinkingConfig": {"thinkingLevel": "low"}}


def faulty_report(base, fault, prompt=FINAL_PROMPT):
    set_faults(base, fault)
    response = generate(base, text_request(prompt, **FINAL_CONFIG))
    assert response.status_code == 200
    assert response.json()["candidates"][0]["finishReason"] == "STOP"
    assert logged(base)[-1]["fault"] == fault
    return answer_text(response)


def test_report_extra_heading(gemini):
    text = faulty_report(gemini, "report-extra-heading")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS + ["Annexe"]
    assert set(check_report(text, QUESTIONNAIRE, FACTS)) == {"headings"}


def test_report_html(gemini):
    text = faulty_report(gemini, "report-html")
    lines = text.split("\n")
    assert '<div onclick="x()">' in lines and "<script>alert(1)</script>" in lines
    assert set(check_report(text, QUESTIONNAIRE, FACTS)) == {"no-html"}


def test_report_offlist_link(gemini):
    text = faulty_report(gemini, "report-offlist-link")
    assert "[un site](https://example.com/cours)" in text and " http://www.onisep.fr/page " in text
    assert check_report(text, QUESTIONNAIRE, FACTS) == {
        "links": ["https://example.com/cours", "http://www.onisep.fr/page"]}


def test_report_huge_is_not_cut_by_max_output_tokens(gemini):
    text = faulty_report(gemini, "report-huge")
    assert len(text.encode("utf-8")) >= 200 * 1024
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS
    assert set(check_report(text, QUESTIONNAIRE, FACTS)) == {"size", "length"}


def test_report_no_dates(gemini):
    text = faulty_report(gemini, "report-no-dates")
    items = [line for line in section(text, "Plan d'action").split("\n") if line.startswith("- ")]
    assert len(items) == 6
    assert not any(set(fold_words(item)) & set(MONTH_NUMBERS) for item in items)
    assert check_report(text, QUESTIONNAIRE, FACTS) == {"plan": (6, items[:2])}


def test_report_short(gemini):
    text = faulty_report(gemini, "report-short")
    assert 500 <= count_words(text) <= 750
    assert set(check_report(text, QUESTIONNAIRE, FACTS)) == {"length"}


def test_report_faults_also_break_a_repair(gemini):
    text = faulty_report(gemini, "report-html", REPAIR_PROMPT)
    assert logged(gemini)[-1]["kind"] == "repair"
    assert set(check_report(text, QUESTIONNAIRE, FACTS)) == {"no-html"}


@pytest.mark.parametrize("fault", fake_report_writer.REPORT_FAULTS)
def test_report_faults_leave_other_kinds_alone_but_are_used_up(gemini, fault):
    set_faults(gemini, fault)
    clean_json = generate(gemini, text_request(JSON_PROMPT, responseMimeType="application/json",
                                               responseSchema=INITIAL_SCHEMA))
    assert conforms(json.loads(answer_text(clean_json)), INITIAL_SCHEMA)
    text = answer_text(generate(gemini, text_request(TEXT_PROMPT)))
    assert "<" not in text and "##" not in text and count_words(text) < 1200
    final = answer_text(generate(gemini, text_request(FINAL_PROMPT, **FINAL_CONFIG)))
    assert [entry["fault"] for entry in logged(gemini)] == [fault, None, None]
    assert check_report(final, QUESTIONNAIRE, FACTS) == {}


def test_report_faults_work_as_default_fault(gemini):
    requests.post(f"{gemini}/_control/default", json={"fault": "report-short"}, timeout=5).raise_for_status()
    for _ in range(2):
        text = answer_text(generate(gemini, text_request(FINAL_PROMPT)))
        assert set(check_report(text, QUESTIONNAIRE, FACTS)) == {"length"}
    requests.post(f"{gemini}/_control/default", json={"fault": None}, timeout=5).raise_for_status()


# ---------------------------------------------------------------------------
# fake_report_writer: every report passes the check, whatever the answers
# ---------------------------------------------------------------------------

FIXTURE_FILES = sorted(FIXTURES.glob("*/*.json"))
DISTRESSED = {"detresse-explicite", "harcelement"}


def fixture(name):
    return json.loads(next(path for path in FIXTURE_FILES if path.stem == name).read_text(encoding="utf-8"))


@pytest.mark.skipif(not FIXTURE_FILES, reason="no questionnaire fixtures in this checkout")
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_every_fixture_gets_a_report_that_passes_the_check(path):
    questionnaire = json.loads(path.read_text(encoding="utf-8"))
    distress = path.stem in DISTRESSED
    for kind in ("final", "repair"):
        prompt = pass_prompt(questionnaire, kind, distress)
        assert fake_report_writer.request_kind(prompt, False) == kind
        report = fake_report_writer.answer_text(kind, prompt)
        assert check_report(report, questionnaire, FACTS) == {}, report
        assert report.startswith("# Bilan d'orientation — année scolaire 2026-2027\n")
        assert 1600 <= count_words(report) <= 2300
        items = [line for line in section(report, "Plan d'action").split("\n") if line.startswith("- ")]
        assert len(items) == 6 and all(re.match(r"- \*\*[A-ZÉ][a-zéû]+ 20\d\d\*\* : ", item) for item in items)
        hosts = {re.match(r"https://([^/]+)", url).group(1) for url, _ in find_links(report)}
        assert hosts <= {"www.onisep.fr", "www.parcoursup.gouv.fr", "www.etudiant.gouv.fr"}
        assert "_" not in report and not re.search(r"\b[A-ZÀ-Þ]{6,}\b", report)
        if questionnaire.get("commentaire"):
            assert "\nVous demandez : « " in report
        synthesis = section(report, "Synthèse de votre profil").strip()
        if distress:
            first = synthesis.split("\n\n")[0]
            for words in ("psychologue de l'Éducation nationale", "Fil Santé Jeunes", "0 800 235 236", "3114"):
                assert words in first
        else:
            assert "3114" not in report
    assert fake_report_writer.answer_text("final", prompt) == report   # deterministic
    analysis = fake_report_writer.answer_text("text", pass_prompt(questionnaire, "text", distress))
    assert 250 <= count_words(analysis) <= 1200
    assert not re.search(r"^#|<[A-Za-z/!?]", analysis, re.MULTILINE)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_every_fixture_gets_a_pass_1_answer_the_generator_accepts(path):
    questionnaire = json.loads(path.read_text(encoding="utf-8"))
    value = json.loads(fake_report_writer.answer_text("json", pass_prompt(questionnaire, "json"),
                                                      INITIAL_SCHEMA))
    assert conforms(value, INITIAL_SCHEMA)
    assert valid_initial_analysis(value) == []
    text = json.dumps(value, ensure_ascii=False)
    assert "_" not in text and not re.search(r"\b[A-ZÀ-Þ]{6,}\b", text)
    assert not any(key in text for key in CAMEL_KEYS if key != "pointsForts") and text.count("pointsForts") == 1


@pytest.mark.parametrize("path", FIXTURE_FILES[:6], ids=lambda path: path.stem)
def test_the_repository_pass_1_schema_is_answered(path):
    schema_file = TEMPLATE_PATHS["initialSchema"]
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    questionnaire = json.loads(path.read_text(encoding="utf-8"))
    value = json.loads(fake_report_writer.answer_text("json", pass_prompt(questionnaire, "json"), schema))
    assert conforms(value, schema)
    if {"synthese", "axesDeProgres", "pistes"} <= set(schema["properties"]):
        assert valid_initial_analysis(value, schema) == []


@pytest.mark.parametrize("niveau, expected", [
    ("SECONDE", ["trois enseignements de spécialité pour la première", "fiche de dialogue"]),
    ("PREMIERE", ["spécialité que vous abandonnerez", "épreuve anticipée de mathématiques"]),
    ("TERMINALE", ["Cette année est celle de Parcoursup", "vœux ambitieux"]),
    ("POST_BAC", ["réorientation passe en général par Parcoursup", "après le bac"]),
])
def test_the_report_fits_the_level(niveau, expected):
    questionnaire = dict(QUESTIONNAIRE, niveau=niveau)
    report = fake_report_writer.answer_text("final", pass_prompt(questionnaire, "final"))
    for words in expected:
        assert words in report
    assert check_report(report, questionnaire, FACTS) == {}


@pytest.mark.parametrize("date, year, months", [
    ("2 décembre 2026", "2026-2027", ["Décembre 2026", "Janvier 2027", "Mai 2027"]),
    ("1er septembre 2026", "2026-2027", ["Septembre 2026", "Février 2027"]),
    ("15 mai 2027", "2026-2027", ["Mai 2027", "Octobre 2027"]),
    ("3 octobre 2027", "2027-2028", ["Octobre 2027", "Mars 2028"]),
])
def test_the_plan_and_title_follow_the_prompt_dates(date, year, months):
    prompt = pass_prompt(QUESTIONNAIRE, "final", date=date, year=year)
    report = fake_report_writer.answer_text("final", prompt)
    assert report.startswith(f"# Bilan d'orientation — année scolaire {year}\n")
    plan = section(report, "Plan d'action")
    items = [line for line in plan.split("\n") if line.startswith("- ")]
    assert items[0].startswith(f"- **{months[0]}** : ") and items[-1].startswith(f"- **{months[-1]}** : ")
    assert all(f"**{month}**" in plan for month in months)
    assert check_report(report, QUESTIONNAIRE, FACTS) == {}


def test_dated_facts_are_copied_word_for_word():
    report = fake_report_writer.answer_text("final", FINAL_PROMPT)
    assert f"- {FACTS[1]} ([source](https://www.parcoursup.gouv.fr/))" in report
    assert "17 décembre 2025" in report    # a precise date: only because a fact gives it


def test_older_prompt_formats_still_give_clean_reports():
    legacy_block = "\n".join(["<<<REPONSES_ELEVE"] + [
        f"- {FALLBACK_LABELS[key]} ({key}) : {describe_json(value)}" for key, value in QUESTIONNAIRE.items()
    ] + ["REPONSES_ELEVE>>>"])
    json_block = "<questionnaire>\n" + json.dumps(QUESTIONNAIRE, ensure_ascii=False) + "\n</questionnaire>"
    headings = " ".join(f"## {h}" for h in HEADINGS)
    for prompt in (f"Titres : {headings}\n{legacy_block}", f"Titres : {headings}\n{json_block}"):
        report = fake_report_writer.answer_text("final", prompt)
        assert check_report(report, QUESTIONNAIRE, ()) == {}
        for words in ("terminale", "physique-chimie", "mathématiques expertes", "15,2 sur 20", "bac+5"):
            assert words in report


def describe_json(value):
    """The previous generator's answers: codes and JSON numbers."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(describe_json(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {describe_json(item)}" for key, item in value.items())
    return str(value)


def test_the_writer_imports_from_anywhere(tmp_path):
    """As a module of the repository's package tree, from another working
    directory (the servers' tests run it with -m from the root)."""
    code = "import testservers.fake_gemini as g; print(g.writer.REPORT_FAULTS[0])"
    result = subprocess.run([PYTHON, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(HERE.parent)}, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "report-extra-heading"


def test_the_writer_never_imports_the_wire_simulator():
    """The split goes one way: fake_gemini.py imports the writer, the writer
    imports nothing of the server (README, « Two files »)."""
    import ast
    tree = ast.parse((HERE / "fake_report_writer.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 for alias in node.names}
    assert not [name for name in imported if "fake_gemini" in name], imported


# ---------------------------------------------------------------------------
# smtp_sink
# ---------------------------------------------------------------------------

@pytest.fixture
def mail_dir(tmp_path):
    return tmp_path / "mail"


def start_sink(tmp_path, mail_dir, *args):
    return Server("smtp_sink", ["--dir", str(mail_dir), *args], tmp_path)


def sample_message():
    subject = Header("✅ Votre Bilan d'Orientation est prêt !", "utf-8").encode()
    lines = [
        "From: \"Bilan\" <no-reply@exemple.fr>",
        "To: <eleve@example.net>",
        f"Subject: {subject}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Bonjour, votre bilan est prêt.",
        ".ligne qui commence par un point",
        ".",
        "Fin.",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def saved(mail_dir):
    return sorted(mail_dir.glob("*.eml")), sorted(mail_dir.glob("*.json"))


def test_sink_saves_the_raw_message_and_envelope(tmp_path, mail_dir):
    sink = start_sink(tmp_path, mail_dir)
    try:
        message = sample_message()
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            client.sendmail("no-reply@exemple.fr", ["eleve@example.net", "copie@example.net"], message)
            client.sendmail("no-reply@exemple.fr", ["autre@example.net"], message)
        emls, metas = saved(mail_dir)
        assert len(emls) == 2 and len(metas) == 2
        assert re.fullmatch(r"0001-\d{8}T\d{6}\.\d{6}Z\.eml", emls[0].name)
        assert emls[1].name.startswith("0002-")
        # Byte for byte what the client meant to send: SMTP dot-stuffing undone.
        assert emls[0].read_bytes() == message
        meta = json.loads(metas[0].read_text(encoding="utf-8"))
        assert meta["mailFrom"] == "no-reply@exemple.fr"
        assert meta["rcptTos"] == ["eleve@example.net", "copie@example.net"]
        assert meta["eml"] == emls[0].name and meta["authenticatedAs"] is None
    finally:
        assert sink.stop() == 0
    log = sink.log()
    assert log.count("saved ") == 2 and "stopped" in log


def test_sink_numbers_on_after_a_restart(tmp_path, mail_dir):
    for _ in range(2):
        sink = start_sink(tmp_path, mail_dir)
        try:
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
                client.sendmail("a@exemple.fr", ["b@example.net"], sample_message())
        finally:
            sink.stop()
    emls, _ = saved(mail_dir)
    assert [p.name[:5] for p in emls] == ["0001-", "0002-"]


def test_sink_enforces_auth_when_configured(tmp_path, mail_dir):
    sink = start_sink(tmp_path, mail_dir, "--auth-user", "mailer", "--auth-password", "s3cret")
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            client.ehlo()
            assert "PLAIN" in client.esmtp_features["auth"]
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("a@exemple.fr", ["b@example.net"], sample_message())
            assert refused.value.smtp_code == 530
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPAuthenticationError) as denied:
                client.login("mailer", "wrong")
            assert denied.value.smtp_code == 535
        for mechanism in ("PLAIN", "LOGIN"):
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
                client.ehlo()
                client.user, client.password = "mailer", "s3cret"
                code, _ = client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
                assert code == 235
                client.sendmail("a@exemple.fr", ["b@example.net"], sample_message())
        emls, metas = saved(mail_dir)
        assert len(emls) == 2
        assert json.loads(metas[0].read_text())["authenticatedAs"] == "mailer"
    finally:
        assert sink.stop() == 0
    assert "s3cret" not in sink.log()


def test_sink_fail_rcpt_answers_451(tmp_path, mail_dir):
    sink = start_sink(tmp_path, mail_dir, "--fail-rcpt")
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                client.sendmail("a@exemple.fr", ["b@example.net"], sample_message())
            assert refused.value.recipients["b@example.net"][0] == 451
        assert saved(mail_dir) == ([], [])
    finally:
        sink.stop()


def test_sink_fail_rcpt_count_recovers(tmp_path, mail_dir):
    sink = start_sink(tmp_path, mail_dir, "--fail-rcpt-count", "1")
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("a@exemple.fr", ["b@example.net"], sample_message())
            client.sendmail("a@exemple.fr", ["b@example.net"], sample_message())
        assert len(saved(mail_dir)[0]) == 1
    finally:
        sink.stop()


def test_sink_stops_cleanly_on_sigterm(tmp_path, mail_dir):
    sink = start_sink(tmp_path, mail_dir)
    started = time.monotonic()
    assert sink.stop() == 0
    assert time.monotonic() - started < 5
    assert os.path.isdir(mail_dir)
