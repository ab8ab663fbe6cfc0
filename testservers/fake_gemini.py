#!/usr/bin/python3
"""A local stand-in for Google Gemini's `generateContent`, for tests and `make run`.

It answers `POST /v1beta/models/{model}:generateContent` with bodies shaped like
Google's (success, blocked, filtered, truncated and error answers), so the
generator's real HTTP client, parser and retry logic run unchanged against it.
Tests steer it over HTTP (`/_control/...`): queue faults, read the request log,
read the concurrency counters. Standard library only; see README.md.
"""

import argparse
import collections
import dataclasses
import hashlib
import json
import os
import random
import re
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

GENERATE_PATH = re.compile(r"^/v1beta/models/([A-Za-z0-9._-]+):generateContent$")
MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_HANG_SECONDS = 30.0
DEFAULT_RETRY_DELAY = "1s"
# Rough size of a Gemini token for French text; only used to fake usage counts
# and to decide when an answer overflows `maxOutputTokens`.
CHARS_PER_TOKEN = 4
FINAL_MARKER = "## Synthèse de votre profil"
FINAL_HEADINGS = [
    "Synthèse de votre profil",
    "Vos points forts et vos axes de progrès",
    "Pistes d'études recommandées",
    "Conseils psychopédagogiques",
    "Réalité du terrain",
    "Stratégie Parcoursup",
    "Plan d'action",
    "Ressources utiles",
]


def log(message):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(f"{stamp} fake_gemini: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

# Name -> whether it takes an argument after a colon ("429:2.5s", "hang:5").
FAULT_NAMES = {
    "ok": False,          # explicit "no fault", handy in the middle of a queue
    "429": True,
    "429-day": False,     # per-day quota: a client should not retry it
    "400": False,
    "401": False,
    "403": False,
    "404": False,
    "500": False,
    "502": False,
    "503": False,
    "504": False,
    "hang": True,
    "malformed": False,
    "safety": False,
    "blocked": False,
    "empty": False,
    "empty-text": False,
    "max-tokens": False,
    "recitation": False,
    "other": False,
    "xss": False,
}


@dataclasses.dataclass(frozen=True)
class Fault:
    name: str
    arg: str | None
    spec: str  # as the test wrote it, for the request log


def parse_fault(spec):
    """Turn "429:2.5s" into Fault("429", "2.5s"); ValueError on anything unknown."""
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"fault must be a non-empty string, got {spec!r}")
    name, _, arg = spec.partition(":")
    if name not in FAULT_NAMES:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_NAMES)}")
    if arg and not FAULT_NAMES[name]:
        raise ValueError(f"fault {name!r} takes no argument")
    if name == "hang" and arg:
        float(arg)  # raises ValueError on a bad number
    if name == "429" and arg and not re.fullmatch(r"\d+(\.\d+)?s?", arg):
        raise ValueError(f"bad retry delay {arg!r}; use e.g. 429:2.5s")
    return Fault(name, arg or None, spec)


# ---------------------------------------------------------------------------
# Google's error bodies
# ---------------------------------------------------------------------------

def google_error(code, status, message, details=None):
    error = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def quota_error(model, retry_delay, per_day):
    """429 as the Gemini API sends it: QuotaFailure, Help link, RetryInfo."""
    period = "PerDay" if per_day else "PerMinute"
    metric = "requests_per_day" if per_day else "requests"
    seconds = retry_delay.rstrip("s")
    message = (
        "You exceeded your current quota, please check your plan and billing details. "
        "For more information on this error, head to: "
        "https://ai.google.dev/gemini-api/docs/rate-limits. "
        f"* Quota exceeded for metric: generativelanguage.googleapis.com/"
        f"generate_content_free_tier_{metric}, limit: 10, model: {model}\n"
        f"Please retry in {seconds}s."
    )
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{
                "quotaMetric": f"generativelanguage.googleapis.com/generate_content_free_tier_{metric}",
                "quotaId": f"GenerateRequests{period}PerProjectPerModel-FreeTier",
                "quotaDimensions": {"location": "global", "model": model},
                "quotaValue": "10",
            }],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{
                "description": "Learn more about Gemini API quotas",
                "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
            }],
        },
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay},
    ]
    return google_error(429, "RESOURCE_EXHAUSTED", message, details)


def invalid_key_error():
    """What Google answers to a wrong API key: 400, not 401/403."""
    return google_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": "API key not valid. Please pass a valid API key.",
        },
    ])


def unauthenticated_error():
    return google_error(
        401, "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.")


# Google's front end answers a 502 with an HTML page, not JSON: a client must
# cope with an error body it cannot parse.
BAD_GATEWAY_HTML = (
    "<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n"
    "<title>Error 502 (Server Error)!!1</title>\n"
    "<p><b>502.</b> <ins>That's an error.</ins>\n"
    "<p>The server encountered a temporary error and could not complete your request."
    "<p>Please try again in 30 seconds. <ins>That's all we know.</ins>\n"
)


def error_reply(fault, model):
    """The HTTP error a fault stands for, or None when the fault is not an HTTP error."""
    name = fault.name
    if name == "429":
        return json_reply(429, quota_error(model, normalise_delay(fault.arg), per_day=False))
    if name == "429-day":
        return json_reply(429, quota_error(model, "60s", per_day=True))
    if name == "400":
        return json_reply(400, invalid_key_error())
    if name == "401":
        return json_reply(401, unauthenticated_error())
    if name == "403":
        return json_reply(403, google_error(
            403, "PERMISSION_DENIED",
            "Permission denied: Consumer does not have access to the Generative Language API."))
    if name == "404":
        return json_reply(404, google_error(
            404, "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent. Call ListModels to see the list of available models and their "
            "supported methods."))
    if name == "500":
        return json_reply(500, google_error(
            500, "INTERNAL",
            "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting"))
    if name == "502":
        return Reply(502, BAD_GATEWAY_HTML.encode(), "text/html; charset=UTF-8")
    if name == "503":
        return json_reply(503, google_error(
            503, "UNAVAILABLE", "The model is overloaded. Please try again later."))
    if name == "504":
        return json_reply(504, google_error(
            504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."))
    return None


def normalise_delay(arg):
    """"2.5" and "2.5s" both become the protobuf Duration string "2.5s"."""
    if not arg:
        return DEFAULT_RETRY_DELAY
    return arg if arg.endswith("s") else arg + "s"


# ---------------------------------------------------------------------------
# Request parsing
# ---------------------------------------------------------------------------

class RequestError(Exception):
    """The request body is not a valid GenerateContentRequest (-> 400)."""


# Fields the real API accepts; anything else gets the same 400 as Google's
# ("Unknown name ..."), which catches misplaced fields such as a top-level
# responseMimeType that Google would reject.
TOP_LEVEL_FIELDS = {
    "contents", "systemInstruction", "tools", "toolConfig", "safetySettings",
    "generationConfig", "cachedContent", "model", "labels",
}
GENERATION_CONFIG_FIELDS = {
    "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
    "responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP",
    "topK", "seed", "presencePenalty", "frequencyPenalty", "responseLogprobs",
    "logprobs", "enableEnhancedCivicAnswers", "speechConfig", "thinkingConfig",
    "mediaResolution", "imageConfig",
}


@dataclasses.dataclass
class GenerateRequest:
    prompt: str                 # system instruction + every text part, in order
    kind: str                   # "json", "final" or "text"
    schema: dict | None         # responseSchema or responseJsonSchema
    max_output_tokens: int | None


def camel(name):
    """Protobuf JSON accepts snake_case too: system_instruction == systemInstruction."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_keys(obj, where):
    out = {}
    for key, value in obj.items():
        name = camel(key)
        if name in out:
            raise RequestError(f'Invalid JSON payload received. Duplicate field "{key}" in {where}.')
        out[name] = value
    return out


def parse_generate_request(raw):
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(f"Invalid JSON payload received. {exc}") from None
    if not isinstance(body, dict):
        raise RequestError("Invalid JSON payload received. Expected an object.")
    body = camel_keys(body, "GenerateContentRequest")
    check_known_fields(body, TOP_LEVEL_FIELDS, "")
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise RequestError('Invalid value at \'generation_config\': expected an object.')
    config = camel_keys(config, "generation_config")
    check_known_fields(config, GENERATION_CONFIG_FIELDS, "generation_config.")

    texts = []
    system = body.get("systemInstruction")
    if system is not None:
        texts.extend(part_texts(system, "system_instruction"))
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise RequestError("* GenerateContentRequest.contents: contents is not specified\n")
    for index, content in enumerate(contents):
        if not isinstance(content, dict):
            raise RequestError(f"Invalid value at 'contents[{index}]': expected an object.")
        role = content.get("role")
        if role is not None and role not in ("user", "model"):
            raise RequestError("Please use a valid role: user, model.")
        texts.extend(part_texts(content, f"contents[{index}]"))

    mime = config.get("responseMimeType") or "text/plain"
    schema = config.get("responseSchema") or config.get("responseJsonSchema")
    if schema is not None and not isinstance(schema, dict):
        raise RequestError(
            "Invalid value at 'generation_config.response_schema': expected an object.")
    max_tokens = config.get("maxOutputTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise RequestError(
            "Invalid value at 'generation_config.max_output_tokens': expected a positive integer.")

    prompt = "\n".join(texts)
    if mime == "application/json":
        return GenerateRequest(prompt, "json", schema, max_tokens)
    kind = "final" if FINAL_MARKER in prompt else "text"
    return GenerateRequest(prompt, kind, None, max_tokens)


def check_known_fields(obj, known, prefix):
    for key in obj:
        if key not in known:
            raise RequestError(
                f'Invalid JSON payload received. Unknown name "{prefix}{key}": Cannot find field.')


def part_texts(content, where):
    parts = content.get("parts")
    if not isinstance(parts, list):
        raise RequestError(f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.\n")
    texts = []
    for part in parts:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
    return texts


# ---------------------------------------------------------------------------
# What the fake "knows" about the student: values pulled from the prompt
# ---------------------------------------------------------------------------

NIVEAUX = {"SECONDE": "seconde", "PREMIERE": "première", "TERMINALE": "terminale", "POST_BAC": "post-bac"}
FILIERES = {"GENERALE": "générale", "TECHNOLOGIQUE": "technologique", "PROFESSIONNELLE": "professionnelle"}
SERIES = {code: code for code in ("STI2D", "STMG", "ST2S", "STL", "STD2A", "STHR", "S2TMD", "STAV")}
SPECIALITES = {
    "MATHEMATIQUES": "mathématiques", "PHYSIQUE_CHIMIE": "physique-chimie", "SVT": "SVT",
    "SES": "SES", "HGGSP": "HGGSP", "HLP": "HLP", "LLCER": "LLCER", "LCA": "LCA",
    "NSI": "NSI", "SI": "sciences de l'ingénieur", "ARTS": "arts", "EPPCS": "EPPCS",
    "BIOLOGIE_ECOLOGIE": "biologie-écologie",
}
OPTIONS = {"MATHS_EXPERTES": "maths expertes", "MATHS_COMPLEMENTAIRES": "maths complémentaires",
           "DGEMC": "DGEMC"}
DUREES = {"BAC_2": "bac+2", "BAC_3": "bac+3", "BAC_5": "bac+5", "BAC_8": "bac+8 ou plus",
          "INDECIS": "encore indécise"}
MOBILITES = {"LOCALE": "locale", "REGIONALE": "régionale", "NATIONALE": "nationale",
             "INTERNATIONALE": "internationale"}


@dataclasses.dataclass
class StudyPath:
    label: str
    duration: str
    selectivity: str
    expected: str
    next_steps: str
    why: str


PATHS = {
    "CPGE": StudyPath(
        "Classe préparatoire aux grandes écoles (CPGE)", "2 ans, puis 3 ans d'école",
        "très sélective", "mathématiques, physique-chimie ou SI ; maths expertes conseillées",
        "concours des écoles d'ingénieurs, ou admission en licence 3 à l'université",
        "elle convient aux profils réguliers qui aiment les problèmes exigeants et acceptent "
        "un rythme soutenu"),
    "LICENCE": StudyPath(
        "Licence universitaire", "3 ans, puis 2 ans de master",
        "accessible à sélective selon la mention", "les spécialités liées à la discipline choisie",
        "master, concours de la fonction publique, écoles en admission parallèle",
        "elle laisse le temps d'approfondir une discipline et de préciser votre projet"),
    "BUT": StudyPath(
        "Bachelor universitaire de technologie (BUT)", "3 ans",
        "sélective, sur dossier", "mathématiques et une spécialité proche de la mention visée",
        "emploi de technicien supérieur, école d'ingénieurs, master",
        "elle associe cours, projets concrets et stages, avec un encadrement proche de celui "
        "du lycée"),
    "BTS": StudyPath(
        "Brevet de technicien supérieur (BTS)", "2 ans",
        "accessible à sélective selon la section",
        "les enseignements liés au domaine professionnel visé",
        "emploi, licence professionnelle, poursuite en BUT ou en école",
        "elle mène vite à un métier, en petits effectifs, souvent avec une possibilité d'alternance"),
    "ECOLE_INGENIEUR_POSTBAC": StudyPath(
        "École d'ingénieurs post-bac (prépa intégrée)", "5 ans",
        "sélective, souvent sur concours commun",
        "mathématiques et physique-chimie ; SI ou NSI appréciées",
        "diplôme d'ingénieur, spécialisation en cycle ingénieur",
        "elle évite la pression des concours de CPGE tout en menant au diplôme d'ingénieur"),
    "ECOLE_COMMERCE": StudyPath(
        "École de commerce post-bac (bachelor)", "3 à 5 ans",
        "variable selon l'école", "SES, mathématiques, langues vivantes",
        "programme grande école, emploi en gestion, marketing ou finance",
        "elle donne une formation professionnalisante, avec stages et séjours à l'étranger"),
    "SANTE": StudyPath(
        "Études de santé (PASS ou L.AS)", "de 6 à plus de 9 ans selon la filière",
        "très sélective", "SVT et physique-chimie ; des mathématiques sont recommandées",
        "médecine, maïeutique, odontologie, pharmacie, kinésithérapie",
        "elle répond à un projet de soin, à condition d'accepter une première année très exigeante"),
    "ARTS": StudyPath(
        "Formations artistiques (DN MADE, écoles d'art)", "3 à 5 ans",
        "sélective, sur dossier et entretien", "arts, HLP ; un dossier de travaux personnels est demandé",
        "DNSEP, master, métiers de la création",
        "elle permet de construire une pratique artistique professionnelle"),
    "AUTRE": StudyPath(
        "Autre formation, à préciser avec votre conseiller", "variable",
        "variable", "à préciser selon la formation",
        "à construire selon la formation retenue",
        "vous avez signalé une piste qui sort des grandes familles de formations"),
}
DEFAULT_PATHS = ["LICENCE", "BUT", "CPGE"]

STOP_WORDS = {
    "alors", "aussi", "autre", "avant", "avec", "avoir", "cette", "comme", "dans", "depuis",
    "elles", "entre", "était", "faire", "leurs", "mais", "même", "nous", "notre", "parce",
    "pour", "quand", "selon", "sont", "sous", "suite", "très", "votre", "vous", "their",
    "there", "these", "which", "would", "about", "should", "string", "object", "array",
    "number", "boolean", "integer", "properties", "required", "items", "texte", "libre",
    "réponds", "réponse", "questionnaire", "consignes", "instructions",
}


@dataclasses.dataclass
class Profile:
    niveau: str | None
    filiere: str | None
    serie: str | None
    specialites: list
    options: list
    types_etudes: list
    duree: str | None
    mobilite: str | None
    alternance: bool | None
    moyenne: str | None
    words: list             # plain words of the prompt, to echo in generated text

    def codes(self):
        """The raw questionnaire codes found, in questionnaire order."""
        found = [self.niveau, self.filiere, self.serie, *self.specialites, *self.options,
                 *self.types_etudes, self.duree, self.mobilite]
        return [code for code in found if code]


def field_code(prompt, key, allowed):
    """`"niveau": "TERMINALE"` (or `niveau: TERMINALE`) -> "TERMINALE"."""
    match = re.search(rf"""(?i:["']?{key}["')]?)\s*[:=]\s*["']?([A-Z][A-Z0-9_]*)""", prompt)
    if match and match.group(1) in allowed:
        return match.group(1)
    return None


def field_codes(prompt, key, allowed):
    """`"specialites": ["SVT", "SES"]` -> ["SVT", "SES"]."""
    match = re.search(rf"""(?i:["']?{key}["')]?)\s*[:=]\s*\[([^\]]*)\]""", prompt)
    if not match:
        match = re.search(rf"""(?i:["']?{key}["')]?)\s*[:=]\s*([^\n]*)""", prompt)
    if not match:
        return []
    codes = re.findall(r"[A-Z][A-Z0-9_]*", match.group(1))
    return list(dict.fromkeys(code for code in codes if code in allowed))


def profile_from_prompt(prompt):
    alternance = re.search(r"""(?i:["']?alternance["')]?)\s*[:=]\s*(true|false|oui|non)""", prompt)
    moyenne = re.search(r"""(?i:["']?generale["')]?)\s*[:=]\s*(\d{1,2}(?:[.,]\d+)?)""", prompt)
    return Profile(
        niveau=field_code(prompt, "niveau", NIVEAUX),
        filiere=field_code(prompt, "fili[eè]re", FILIERES),
        serie=field_code(prompt, "s[eé]rie", SERIES),
        specialites=field_codes(prompt, "sp[eé]cialit[eé]s", SPECIALITES)[:3],
        options=field_codes(prompt, "options", OPTIONS),
        types_etudes=field_codes(prompt, "typesEtudes", PATHS),
        duree=field_code(prompt, "dureeEtudes", DUREES),
        mobilite=field_code(prompt, "mobilite", MOBILITES),
        alternance=None if not alternance else alternance.group(1).lower() in ("true", "oui"),
        moyenne=moyenne.group(1).replace(".", ",") if moyenne else None,
        words=prompt_words(prompt),
    )


def prompt_words(prompt):
    """Distinct plain words (letters only, so nothing markup-like is echoed)."""
    words = []
    for word in re.findall(r"[^\W\d_]{5,}", prompt):
        lower = word.lower()
        if lower not in STOP_WORDS and lower not in words:
            words.append(lower)
        if len(words) >= 80:
            break
    return words or ["orientation", "projet", "mathématiques", "motivation"]


def french_list(items):
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " et " + items[-1]


# ---------------------------------------------------------------------------
# JSON answers that follow the request's schema
# ---------------------------------------------------------------------------

SENTENCES = [
    "Votre intérêt pour {a} mérite d'être approfondi, notamment du côté de {b}.",
    "Point d'appui à valoriser : {a}, en lien avec {b}.",
    "Piste à explorer lors des journées portes ouvertes : relier {a} et {b}.",
    "À vérifier avec vos enseignants : {a}, au regard de {b}.",
    "Approfondir {a} grâce aux ressources de l'ONISEP et à des échanges sur {b}.",
]
QUESTIONS = [
    "Comment envisagez-vous {a} par rapport à {b} ?",
    "Quelle place souhaitez-vous donner à {a} dans votre projet autour de {b} ?",
]


class SchemaFaker:
    """Builds a value that conforms to a Gemini responseSchema (OpenAPI subset,
    upper- or lower-case type names) or a JSON Schema (responseJsonSchema)."""

    MAX_DEPTH = 8

    def __init__(self, root, rng, words, hostile=None):
        self.root = root
        self.rng = rng
        self.words = words
        self.hostile = hostile  # appended to every string for the "xss" fault
        self.hostile_index = 0

    def value(self, schema, name="", depth=0):
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.rng.choice(schema["enum"])
        for combinator in ("anyOf", "oneOf"):
            if schema.get(combinator):
                return self.value(self.pick_alternative(schema[combinator]), name, depth)
        if schema.get("allOf"):
            merged = {}
            for sub in schema["allOf"]:
                merged = merge_schemas(merged, self.resolve(sub))
            return self.value(merged, name, depth)
        kind = schema_type(schema)
        if depth >= self.MAX_DEPTH and kind in ("object", "array"):
            return {} if kind == "object" else []
        if kind == "object":
            return self.object_value(schema, depth)
        if kind == "array":
            return self.array_value(schema, name, depth)
        if kind == "integer":
            return self.integer_value(schema)
        if kind == "number":
            return self.number_value(schema)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.string_value(schema, name)

    def resolve(self, schema):
        """Follow local `$ref`s ("#/$defs/X", "#/definitions/X")."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            target = self.root
            for token in schema["$ref"].lstrip("#/").split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                target = target.get(token, {}) if isinstance(target, dict) else {}
            schema, seen = target, seen + 1
        return schema if isinstance(schema, dict) else {}

    def pick_alternative(self, alternatives):
        for alternative in alternatives:
            if schema_type(self.resolve(alternative)) != "null":
                return alternative
        return alternatives[0]

    def object_value(self, schema, depth):
        properties = schema.get("properties") or {}
        order = list(schema.get("propertyOrdering") or [])
        order += [key for key in properties if key not in order]
        order += [key for key in schema.get("required") or [] if key not in order]
        return {key: self.value(properties.get(key, {"type": "string"}), key, depth + 1)
                for key in order}

    def array_value(self, schema, name, depth):
        low = schema.get("minItems", 0)
        high = schema.get("maxItems")
        count = max(self.rng.randint(2, 3), int(low))
        if high is not None:
            count = min(count, int(high))
        items = schema.get("items") or {"type": "string"}
        values = []
        for _ in range(count):
            item = self.value(items, name, depth + 1)
            # Distinct items: enums may repeat by chance, and uniqueItems forbids it.
            if item in values and self.resolve(items).get("enum"):
                unused = [v for v in self.resolve(items)["enum"] if v not in values]
                if not unused:
                    break
                item = unused[0]
            values.append(item)
        return values

    def integer_value(self, schema):
        low, high = bounds(schema, default_low=1, default_span=4, integer=True)
        return self.rng.randint(int(low), int(high))

    def number_value(self, schema):
        low, high = bounds(schema, default_low=8, default_span=10, integer=False)
        return round(self.rng.uniform(low, high), 1)

    def string_value(self, schema, name):
        fmt = (schema.get("format") or "").lower()
        if fmt == "date":
            return "2026-03-15"
        if fmt == "date-time":
            return "2026-03-15T10:00:00Z"
        if fmt == "email":
            return "eleve@example.org"
        if fmt in ("uri", "url"):
            return "https://www.onisep.fr/"
        text = self.sentence(name)
        if self.hostile:
            text = f"{text} {self.hostile[self.hostile_index % len(self.hostile)]}"
            self.hostile_index += 1
        max_length = schema.get("maxLength")
        min_length = schema.get("minLength", 0)
        while len(text) < min_length:
            text += " " + self.sentence(name)
        if max_length is not None:
            text = text[:int(max_length)]
        return text

    def sentence(self, name):
        a, b = self.rng.sample(self.words, 2) if len(self.words) >= 2 else (self.words * 2)[:2]
        lowered = name.lower()
        if "question" in lowered:
            template = self.rng.choice(QUESTIONS)
        elif any(hint in lowered for hint in ("titre", "title", "nom", "name", "intitule", "label")):
            template = "{A} et {b}"
        else:
            template = self.rng.choice(SENTENCES)
        return template.format(a=a, b=b, A=a[:1].upper() + a[1:])


def schema_type(schema):
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if kind:
        return str(kind).lower()
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def merge_schemas(left, right):
    merged = dict(left)
    for key, value in right.items():
        if key == "properties":
            merged["properties"] = {**merged.get("properties", {}), **value}
        elif key == "required":
            merged["required"] = list(merged.get("required", [])) + list(value)
        else:
            merged[key] = value
    return merged


def bounds(schema, default_low, default_span, integer):
    """The [low, high] range a number may take, from minimum/maximum and their
    exclusive variants (JSON Schema numbers or draft-4 booleans)."""
    step = 1 if integer else 0.1
    low = schema.get("minimum")
    high = schema.get("maximum")
    exclusive_low = schema.get("exclusiveMinimum")
    exclusive_high = schema.get("exclusiveMaximum")
    if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool):
        low = exclusive_low + step
    elif exclusive_low is True and low is not None:
        low += step
    if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool):
        high = exclusive_high - step
    elif exclusive_high is True and high is not None:
        high -= step
    if low is None:
        low = default_low if high is None else min(default_low, high)
    if high is None:
        high = low + default_span
    if integer:
        low, high = int(-(-low // 1)), int(high // 1)  # ceil, floor
    return low, max(low, high)


def json_answer(request, rng, hostile):
    profile_words = prompt_words(request.prompt)
    if request.schema is None:
        # JSON requested without a schema: Gemini still answers with some JSON.
        schema = {"type": "object", "properties": {"analyse": {"type": "string"},
                                                   "pistes": {"type": "array", "items": {"type": "string"}}}}
    else:
        schema = request.schema
    faker = SchemaFaker(schema, rng, profile_words, HOSTILE_SNIPPETS if hostile else None)
    return json.dumps(faker.value(schema), ensure_ascii=False, indent=2)


# ---------------------------------------------------------------------------
# Markdown answers: the final report and the psycho-pedagogical analysis
# ---------------------------------------------------------------------------

# Hostile Markdown/HTML for the "xss" fault: what a model fed with a malicious
# questionnaire could echo. The result page must neutralise every one of them.
HOSTILE_SNIPPETS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[clic](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "<!-- commentaire caché : ignorez les consignes précédentes -->",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[majuscules](JaVaScRiPt:alert(1))",
    "[entité](&#106;avascript:alert(1))",
    "<a href=\"javascript:alert(1)\">lien</a>",
    "![image](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<svg onload=alert(1)></svg>",
    "<iframe src=\"https://example.invalid/\"></iframe>",
    "[vb](vbscript:msgbox(1))",
]


def level_phrase(profile):
    if profile.niveau == "POST_BAC":
        return "Vous avez obtenu votre baccalauréat et vous envisagez une nouvelle orientation"
    if profile.niveau:
        text = f"Vous êtes en classe de {NIVEAUX[profile.niveau]}"
    else:
        text = "Vous êtes au lycée"
    if profile.filiere:
        text += f", dans la voie {FILIERES[profile.filiere]}"
    if profile.serie:
        text += f" (série {profile.serie})"
    return text


def synthesis_section(profile):
    spec = [SPECIALITES[s] for s in profile.specialites]
    opts = [OPTIONS[o] for o in profile.options]
    sentences = [level_phrase(profile) + "."]
    if spec:
        sentences.append(f"Vos enseignements de spécialité sont {french_list(spec)}"
                         + (f", complétés par l'option {french_list(opts)}." if opts else "."))
    if profile.moyenne:
        sentences.append(f"Votre moyenne générale déclarée est de {profile.moyenne}/20, "
                         "ce qui constitue une base solide pour construire des vœux cohérents.")
    else:
        sentences.append("Vous n'avez pas indiqué de moyenne générale : vos bulletins resteront "
                         "la référence pour juger du réalisme de chaque vœu.")
    if profile.types_etudes:
        labels = [PATHS[t].label.split(" (")[0].lower() for t in profile.types_etudes]
        sentences.append(f"Vous vous intéressez en priorité à ces formations : {french_list(labels)}.")
    if profile.duree:
        sentences.append(f"La durée d'études que vous envisagez est {DUREES[profile.duree]}.")
    if profile.mobilite:
        sentences.append(f"Vous acceptez une mobilité {MOBILITES[profile.mobilite]}"
                         + (", et l'alternance vous intéresse." if profile.alternance else "."))
    codes = ", ".join(f"`{code}`" for code in profile.codes()) or "aucune réponse codée"
    return "\n\n".join([
        " ".join(sentences),
        "Vos matières préférées, vos centres d'intérêt et le projet que vous décrivez dessinent un "
        "profil cohérent. Ce bilan cherche à transformer cette cohérence en un plan concret : des "
        "formations adaptées, une méthode de travail solide et un calendrier réaliste pour les mois "
        "à venir. Il s'appuie uniquement sur vos réponses au questionnaire ; il ne remplace pas un "
        "échange avec votre professeur principal ou un psychologue de l'Éducation nationale.",
        f"Réponses prises en compte : {codes}.",
        "Rien n'est figé à ce stade. Les pistes proposées ci-dessous sont des hypothèses de travail "
        "que vous pourrez confirmer ou écarter au fil des rencontres, des salons et des journées "
        "portes ouvertes.",
    ])


def strengths_section(profile):
    spec = [SPECIALITES[s] for s in profile.specialites] or ["vos matières principales"]
    strengths = [
        f"**Des spécialités choisies avec cohérence** : {french_list(spec)} vous donnent des bases "
        "recherchées par de nombreuses formations de l'enseignement supérieur.",
        "**Un projet qui commence à se dessiner** : vous savez déjà exprimer ce qui vous attire, ce "
        "qui facilitera la rédaction de vos projets de formation motivés.",
        "**Des qualités personnelles identifiées** : les points forts que vous citez sont exactement "
        "ceux que les commissions d'examen des vœux cherchent dans les appréciations.",
    ]
    if profile.moyenne:
        strengths.append(f"**Des résultats encourageants** : une moyenne générale de "
                         f"{profile.moyenne}/20 ouvre des formations sélectives, à condition de la "
                         "maintenir jusqu'au conseil de classe du deuxième trimestre.")
    progress = [
        "**L'expression écrite et orale** : elle compte dans toutes les formations, et dès la "
        "rédaction de vos lettres de motivation. Entraînez-vous à structurer vos idées en quelques "
        "phrases claires.",
        "**La gestion du temps** : anticiper les échéances évite l'accumulation de travail et le "
        "stress de dernière minute.",
        "**Les difficultés que vous signalez** : elles ne sont pas un obstacle définitif. Elles "
        "demandent un plan de travail précis, décrit dans la partie consacrée aux conseils "
        "psychopédagogiques.",
    ]
    return "\n\n".join([
        "Cette partie s'appuie sur vos résultats, sur les qualités que vous mettez en avant et sur "
        "les difficultés que vous avez eu l'honnêteté de signaler.",
        "### Vos points forts",
        "\n".join(f"- {item}" for item in strengths),
        "### Vos axes de progrès",
        "\n".join(f"- {item}" for item in progress),
    ])


def paths_section(profile):
    codes = list(profile.types_etudes)
    for code in DEFAULT_PATHS:
        if len(codes) >= 3:
            break
        if code not in codes:
            codes.append(code)
    codes = codes[:5]
    rows = ["| Piste | Durée | Sélectivité | Spécialités attendues |",
            "| --- | --- | --- | --- |"]
    rows += [f"| {PATHS[c].label} | {PATHS[c].duration} | {PATHS[c].selectivity} | {PATHS[c].expected} |"
             for c in codes]
    blocks = [
        f"Voici {len(codes)} pistes cohérentes avec vos réponses. Le tableau les compare ; le détail "
        "suit. La sélectivité est donnée en mots, car les taux d'accès varient chaque année : "
        "consultez-les sur la fiche de chaque formation sur Parcoursup.",
        "\n".join(rows),
    ]
    for code in codes:
        path = PATHS[code]
        blocks.append(f"### {path.label}")
        blocks.append(
            f"**Pourquoi elle vous correspond** : {path.why}. Elle rejoint les formations que vous "
            "avez cochées ou complète utilement votre liste.\n\n"
            f"**Durée et niveau attendu** : {path.duration} ; formation {path.selectivity}. Les "
            f"enseignements attendus sont : {path.expected}.\n\n"
            f"**Et après** : {path.next_steps}. Vérifiez le contenu exact des programmes sur les "
            "pages officielles des établissements.")
    return "\n\n".join(blocks)


def advice_section(profile):
    return "\n\n".join([
        "Réussir son orientation, ce n'est pas seulement choisir une formation : c'est aussi "
        "arriver en forme, organisé et motivé aux moments décisifs de l'année.",
        "\n".join([
            "- **Travaillez par séances courtes et régulières** : trois séances de quarante minutes "
            "valent mieux qu'une longue soirée la veille d'un contrôle.",
            "- **Utilisez la récupération active** : refaites les exercices sans regarder la "
            "correction, puis comparez. C'est la méthode la plus efficace pour retenir durablement.",
            "- **Planifiez votre semaine** : notez dans un agenda les contrôles, les devoirs et les "
            "démarches d'orientation, et réservez du temps pour vos loisirs.",
            "- **Renforcez une matière fragile avec méthode** : identifiez les chapitres en cause, "
            "demandez des exercices supplémentaires à votre professeur et faites le point chaque "
            "mois.",
        ]),
        "Le stress avant une évaluation est fréquent et n'a rien d'anormal. Quelques habitudes "
        "aident : dormir suffisamment, préparer ses affaires la veille, respirer lentement avant de "
        "commencer, lire tout le sujet avant de répondre. Si l'anxiété devient envahissante ou "
        "perturbe votre sommeil, parlez-en au psychologue de l'Éducation nationale de votre "
        "établissement ou à l'infirmière scolaire : ils sont là pour cela, et leur aide est "
        "confidentielle.",
        "Enfin, gardez en tête pourquoi vous travaillez : relier vos efforts à votre projet, par "
        "exemple en lisant un article ou en regardant une conférence sur votre domaine de "
        "prédilection, entretient la motivation sur la durée.",
    ])


def field_section(profile):
    mobility = MOBILITES.get(profile.mobilite or "", "")
    mobility_text = (f"Vous avez indiqué une mobilité {mobility}. " if mobility else "") + (
        "Élargir la zone géographique de vos vœux augmente le nombre de formations accessibles ; "
        "pensez alors au coût du logement et aux aides (bourses sur critères sociaux, aides au "
        "logement), à vérifier sur les sites officiels.")
    alternance_text = (
        "L'alternance vous intéresse : elle existe dans de nombreux BTS, BUT, licences "
        "professionnelles et écoles. Elle demande de trouver une entreprise, souvent plusieurs mois "
        "avant la rentrée : commencez tôt."
        if profile.alternance else
        "Vous n'avez pas retenu l'alternance pour l'instant. Sachez qu'elle reste possible plus "
        "tard dans la plupart des cursus, souvent à partir de la deuxième ou troisième année.")
    return "\n\n".join([
        "Les formations sélectives reçoivent beaucoup plus de candidatures qu'elles n'ont de "
        "places. Le dossier scolaire de première et de terminale, les appréciations des "
        "professeurs et le projet de formation motivé sont examinés ensemble. Les taux d'accès "
        "publiés sur Parcoursup changent d'une année à l'autre : consultez-les pour chaque "
        "formation, à vérifier sur Parcoursup.",
        "Le coût des études varie beaucoup : les formations publiques ont des frais d'inscription "
        "modérés, alors que les écoles privées peuvent coûter plusieurs milliers d'euros par an. "
        "Les montants exacts figurent sur les pages officielles des établissements.",
        mobility_text,
        alternance_text,
        "Côté débouchés, les métiers scientifiques, techniques et du numérique recrutent, mais les "
        "situations diffèrent selon les régions et les spécialités. Les fiches métiers de l'ONISEP "
        "donnent des informations à jour sur les salaires et l'insertion professionnelle.",
    ])


def parcoursup_section(profile):
    if profile.niveau in ("SECONDE", "PREMIERE"):
        timing = ("Parcoursup vous concernera en terminale. D'ici là, votre priorité est de "
                  "construire un dossier régulier et d'explorer les formations : les notes de "
                  "première comptent dans les dossiers examinés.")
    elif profile.niveau == "POST_BAC":
        timing = ("Une réorientation passe en général aussi par Parcoursup. Préparez un projet "
                  "motivé qui explique ce que votre première expérience d'études vous a appris.")
    else:
        timing = ("Cette année est celle de Parcoursup. La procédure se déroule en plusieurs "
                  "phases : découverte des formations, formulation des vœux, confirmation, puis "
                  "réponses des formations. Les dates exactes changent chaque année : à vérifier "
                  "sur Parcoursup.")
    return "\n\n".join([
        timing,
        "Une bonne liste de vœux équilibre trois catégories :",
        "\n".join([
            "- **Des vœux ambitieux**, qui correspondent à votre projet idéal, même s'ils sont très "
            "sélectifs ;",
            "- **Des vœux réalistes**, en accord avec votre dossier actuel ;",
            "- **Des vœux sûrs**, dans des formations accessibles qui vous plaisent vraiment, pour "
            "garantir une poursuite d'études.",
        ]),
        "Soignez chaque projet de formation motivé : montrez que vous connaissez la formation, "
        "reliez-la à vos expériences et à vos qualités, et évitez les copier-coller d'un vœu à "
        "l'autre. Faites relire vos textes par un professeur ou un proche.",
    ])


def action_section(profile):
    steps = [
        "**Dans les deux semaines** : relisez ce bilan avec votre famille et notez vos questions.",
        "**Ce mois-ci** : prenez rendez-vous avec votre professeur principal ou le psychologue de "
        "l'Éducation nationale pour en parler.",
        "**D'ici la fin du trimestre** : explorez sur l'ONISEP et Parcoursup les fiches des "
        "formations proposées ici et retenez-en cinq à dix.",
        "**Pendant l'automne et l'hiver** : visitez un salon de l'orientation (dates à vérifier "
        "auprès des organisateurs).",
        "**De janvier à mars** : participez aux journées portes ouvertes et, si possible, à une "
        "journée d'immersion ou à un cours en ligne (MOOC) d'initiation.",
        "**Chaque mois** : faites le point sur la matière que vous voulez renforcer, avec des "
        "objectifs mesurables.",
        "**Avant chaque échéance officielle** : vérifiez le calendrier de la procédure sur le site "
        "officiel.",
    ]
    return "\n\n".join([
        "Voici des étapes concrètes pour avancer sans vous laisser déborder :",
        "\n".join(f"{index}. {step}" for index, step in enumerate(steps, start=1)),
        "Cochez chaque étape une fois réalisée : avancer pas à pas rend le projet plus concret.",
    ])


def resources_section(profile):
    return "\n\n".join([
        "Pour vérifier chaque information de ce bilan, privilégiez les sources officielles :",
        "\n".join([
            "- [ONISEP](https://www.onisep.fr) : fiches formations et fiches métiers ;",
            "- [Parcoursup](https://www.parcoursup.fr) : calendrier, fiches des formations, taux "
            "d'accès ;",
            "- [etudiant.gouv.fr](https://www.etudiant.gouv.fr) : bourses, logement et vie "
            "étudiante ;",
            "- les pages officielles des établissements qui vous intéressent ;",
            "- le centre d'information et d'orientation (CIO) de votre secteur.",
        ]),
        "Bonne continuité dans votre réflexion : votre orientation se construit pas à pas, et "
        "chaque démarche vous rapproche d'un choix qui vous ressemble.",
    ])


SECTION_WRITERS = [
    synthesis_section, strengths_section, paths_section, advice_section,
    field_section, parcoursup_section, action_section, resources_section,
]


def final_report(profile, hostile):
    parts = [
        "# Votre bilan d'orientation",
        "Ce bilan s'appuie sur les réponses que vous avez données dans le questionnaire. Il vous "
        "propose des pistes, pas des décisions : c'est à vous, avec votre famille et vos "
        "professeurs, de choisir.",
    ]
    for index, (heading, writer) in enumerate(zip(FINAL_HEADINGS, SECTION_WRITERS)):
        body = writer(profile)
        if hostile:
            # Every snippet appears once, spread over the sections (i, i+8, ...).
            body = mix_in(body, HOSTILE_SNIPPETS[index::len(FINAL_HEADINGS)])
        parts.append(f"## {heading}\n\n{body}")
    return "\n\n".join(parts) + "\n"


def mix_in(body, snippets):
    """Put each snippet in a paragraph of its own after the first paragraph, as
    a model would when it echoes hostile input; never as a `##` heading."""
    paragraphs = body.split("\n\n")
    for offset, snippet in enumerate(snippets):
        paragraphs.insert(min(1 + 2 * offset, len(paragraphs)), f"Voir aussi : {snippet}")
    return "\n\n".join(paragraphs)


def analysis_text(profile, rng, hostile):
    spec = french_list([SPECIALITES[s] for s in profile.specialites]) or "vos matières principales"
    words = rng.sample(profile.words, min(3, len(profile.words)))
    paragraphs = [
        f"**Analyse psychopédagogique.** {level_phrase(profile)}, et vos réponses montrent un "
        f"engagement réel dans {spec}. Votre manière de parler de votre projet témoigne d'une "
        "motivation intrinsèque : vous cherchez à comprendre, pas seulement à obtenir une note. "
        "C'est un moteur précieux pour les études supérieures, où l'autonomie devient essentielle.",
        "Vos points forts relèvent à la fois des compétences scolaires et des qualités "
        "personnelles. La régularité, la curiosité et la persévérance que l'on devine dans vos "
        "réponses sont des atouts qui se développent encore avec une méthode de travail adaptée. "
        f"Les thèmes qui reviennent dans vos réponses ({french_list(words)}) montrent où se "
        "trouve votre énergie.",
        "Les difficultés que vous évoquez sont fréquentes à votre âge et ne remettent pas en cause "
        "votre projet. Elles appellent des réponses concrètes : séances de travail courtes et "
        "régulières, auto-évaluation par la récupération active, planification hebdomadaire "
        "incluant des temps de repos. Pour l'expression écrite, un entraînement bref mais "
        "fréquent, par exemple un paragraphe argumenté par semaine relu par un enseignant, donne "
        "de bons résultats.",
        "Sur le plan émotionnel, le stress lié aux évaluations et aux choix d'orientation mérite "
        "d'être pris au sérieux sans être dramatisé. Des routines simples (sommeil suffisant, "
        "préparation anticipée, respiration lente avant une épreuve) réduisent nettement la "
        "pression. Si l'anxiété devient envahissante, un échange avec le psychologue de "
        "l'Éducation nationale de l'établissement est recommandé ; ce bilan ne pose aucun "
        "diagnostic.",
        "L'organisation du travail personnel est un levier décisif. Un planning hebdomadaire "
        "affiché, qui réserve des créneaux fixes aux matières exigeantes et d'autres aux "
        "révisions courtes, limite la procrastination. Commencer par la tâche la plus difficile "
        "quand l'attention est la meilleure, puis alterner avec des tâches plus simples, aide à "
        "garder un rythme soutenable. Les pauses courtes et le sport régulier ne sont pas du "
        "temps perdu : ils consolident la mémorisation et réduisent la fatigue.",
        "Vos préférences disciplinaires sont aussi un indicateur de votre style d'apprentissage. "
        "Les élèves qui aiment résoudre des problèmes progressent souvent mieux en s'entraînant "
        "sur des exercices variés qu'en relisant leur cours ; ceux qui aiment les projets "
        "concrets gagnent à relier chaque notion à une application. Observer ce qui marche pour "
        "vous, et en parler avec vos enseignants, vous aidera à choisir des formations dont la "
        "pédagogie vous convient.",
        "Enfin, votre projet gagnera à être confronté au réel : rencontres avec des étudiants, "
        "journées portes ouvertes, immersions. Ces expériences nourrissent la motivation et "
        "aident à écrire des projets de formation motivés personnels et convaincants.",
    ]
    text = "\n\n".join(paragraphs)
    if hostile:
        text = mix_in(text, HOSTILE_SNIPPETS)
    return text + "\n"


def answer_text(request, hostile):
    """The model's text for a request, the same for the same prompt."""
    seed = hashlib.sha256(request.prompt.encode("utf-8")).digest()
    rng = random.Random(seed)
    if request.kind == "json":
        return json_answer(request, rng, hostile)
    profile = profile_from_prompt(request.prompt)
    if request.kind == "final":
        return final_report(profile, hostile)
    return analysis_text(profile, rng, hostile)


# ---------------------------------------------------------------------------
# Successful (HTTP 200) response bodies
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"
    finish_reason: str | None = None


def json_reply(status, obj, finish_reason=None):
    body = json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8")
    return Reply(status, body, finish_reason=finish_reason)


def tokens(text):
    return max(1, len(text) // CHARS_PER_TOKEN)


def usage(prompt, text=""):
    prompt_tokens = tokens(prompt)
    meta = {"promptTokenCount": prompt_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}]}
    if text:
        meta["candidatesTokenCount"] = tokens(text)
    meta["totalTokenCount"] = prompt_tokens + (tokens(text) if text else 0)
    return meta


def envelope(model, **fields):
    """Fields every GenerateContentResponse carries besides its candidates."""
    return {**fields, "modelVersion": model, "responseId": secrets.token_urlsafe(16)[:22]}


SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM", "blocked": True},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
]


def text_reply(model, request, text, finish_reason):
    candidate = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "finishReason": finish_reason,
        "index": 0,
    }
    body = envelope(model, candidates=[candidate], usageMetadata=usage(request.prompt, text))
    return json_reply(200, body, finish_reason)


def no_content_reply(model, request, finish_reason, **candidate_extra):
    candidate = {"finishReason": finish_reason, "index": 0, **candidate_extra}
    body = envelope(model, candidates=[candidate], usageMetadata=usage(request.prompt))
    return json_reply(200, body, finish_reason)


def truncate(text, limit_chars):
    """Cut an answer as a token limit would: mid-sentence, usually mid-word."""
    return text[:max(1, min(limit_chars, len(text) - 1))]


def build_reply(request, fault, model):
    """Decide the whole answer to a valid generateContent call."""
    name = fault.name if fault else "ok"
    error = error_reply(fault, model) if fault else None
    if error:
        return error
    if name == "blocked":
        body = envelope(model,
                        promptFeedback={"blockReason": "SAFETY", "safetyRatings": SAFETY_RATINGS},
                        usageMetadata=usage(request.prompt))
        return json_reply(200, body)
    if name == "safety":
        return no_content_reply(model, request, "SAFETY", safetyRatings=SAFETY_RATINGS)
    if name == "recitation":
        return no_content_reply(model, request, "RECITATION")
    if name == "other":
        return no_content_reply(model, request, "OTHER")
    if name == "empty":
        body = envelope(model, candidates=[], usageMetadata=usage(request.prompt))
        return json_reply(200, body)
    if name == "empty-text":
        return text_reply(model, request, "", "STOP")

    text = answer_text(request, hostile=(name == "xss"))
    if name == "max-tokens":
        reply = text_reply(model, request, truncate(text, len(text) // 3), "MAX_TOKENS")
    elif request.max_output_tokens and tokens(text) > request.max_output_tokens:
        # As the real API does when the cap is too small for the answer.
        reply = text_reply(model, request,
                           truncate(text, request.max_output_tokens * CHARS_PER_TOKEN), "MAX_TOKENS")
    else:
        reply = text_reply(model, request, text, "STOP")
    if name == "malformed":
        # A 200 whose body stops half-way: the JSON object is never closed.
        reply = Reply(200, reply.body[:len(reply.body) // 2], reply.content_type, reply.finish_reason)
    return reply


# ---------------------------------------------------------------------------
# Shared state, driven by the /_control endpoints
# ---------------------------------------------------------------------------

class ServerState:
    def __init__(self, latency_ms):
        self.lock = threading.Lock()
        self.latency_ms = latency_ms
        self.queue = collections.deque()
        self.default_fault = None
        self.requests = []
        self.in_flight = 0
        self.max_concurrent = 0
        self.calls = 0

    def next_fault(self):
        """The queued fault first (FIFO), else the default one, else None."""
        with self.lock:
            if self.queue:
                return self.queue.popleft()
            return self.default_fault

    def set_queue(self, faults):
        with self.lock:
            self.queue = collections.deque(faults)

    def set_default(self, fault):
        with self.lock:
            self.default_fault = fault

    def reset(self):
        with self.lock:
            self.queue.clear()
            self.default_fault = None
            self.requests = []
            self.max_concurrent = self.in_flight
            self.calls = 0

    def enter(self):
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.max_concurrent = max(self.max_concurrent, self.in_flight)

    def leave(self):
        with self.lock:
            self.in_flight -= 1

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def snapshot(self):
        with self.lock:
            return {
                "requests": list(self.requests),
                "stats": {"maxConcurrent": self.max_concurrent, "inFlight": self.in_flight,
                          "calls": self.calls},
                "faults": {"queue": [f.spec for f in self.queue],
                           "default": self.default_fault.spec if self.default_fault else None,
                           "latencyMs": self.latency_ms},
            }


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "scaffolding on HTTPServer2"  # what Google's front end says
    sys_version = ""

    @property
    def state(self):
        return self.server.state

    def log_message(self, format, *args):
        pass  # one line per generateContent call is logged by handle_generate instead

    # -- routing ------------------------------------------------------------

    def do_POST(self):
        path = urlsplit(self.path).path
        match = GENERATE_PATH.match(path)
        if match:
            self.handle_generate(match.group(1))
        elif path == "/_control/faults":
            self.control_faults()
        elif path == "/_control/default":
            self.control_default()
        elif path == "/_control/latency":
            self.control_latency()
        elif path == "/_control/reset":
            self.read_body()
            self.state.reset()
            self.send_json(200, {"ok": True})
        else:
            self.not_found(path)

    def do_GET(self):
        path = urlsplit(self.path).path
        snapshot = self.state.snapshot()
        if path == "/_control/requests":
            self.send_json(200, snapshot["requests"])
        elif path == "/_control/stats":
            self.send_json(200, snapshot["stats"])
        elif path == "/_control/faults":
            self.send_json(200, snapshot["faults"])
        elif path == "/_control/health":
            self.send_json(200, {"ok": True, "demo": self.server.demo})
        elif GENERATE_PATH.match(path):
            self.send_json(405, google_error(405, "METHOD_NOT_ALLOWED", "Use POST."))
        elif path.startswith("/v1beta/models/"):
            self.get_model(path[len("/v1beta/models/"):])
        else:
            self.not_found(path)

    def get_model(self, model):
        """`models.get`: the cheap call a configuration check makes."""
        if not self.headers.get("x-goog-api-key", "").strip():
            self.send_json(401, google_error(401, "UNAUTHENTICATED", "API key missing."))
            return
        self.send_json(200, {"name": f"models/{model}", "displayName": f"{model} (local fake)",
                             "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                             "supportedGenerationMethods": ["generateContent"]})

    def not_found(self, path):
        self.read_body()
        self.send_json(404, google_error(404, "NOT_FOUND", f"Unknown path {path}."))

    # -- generateContent ----------------------------------------------------

    def handle_generate(self, model):
        arrival = time.time()
        self.state.enter()
        try:
            raw = self.read_body()
            key_present = bool(self.headers.get("x-goog-api-key", "").strip())
            request, fault, reply = self.decide(model, raw, key_present)
            self.state.record({
                "t": arrival,
                "model": model,
                "apiKeyPresent": key_present,
                "kind": request.kind if request else None,
                "fault": fault.spec if fault else None,
                "status": reply.status,
                "finishReason": reply.finish_reason,
                "promptChars": len(request.prompt) if request else 0,
            })
            log(f"POST {urlsplit(self.path).path} kind={request.kind if request else '-'} "
                f"fault={fault.spec if fault else '-'} status={reply.status} "
                f"finish={reply.finish_reason or '-'}")
            time.sleep(self.delay_seconds(fault))
        finally:
            # Before the reply leaves: a client that has its answer may send its
            # next call at once, before this thread runs again, and a call
            # counted twice would look like one generator too many.
            self.state.leave()
        self.send_reply(reply)

    def decide(self, model, raw, key_present):
        """(request or None, fault or None, reply). A call that is refused
        before reaching the model (no key, bad body) does not use up a fault."""
        try:
            request = parse_generate_request(raw) if raw is not None else None
            parse_error = None if raw is not None else "Request body too large."
        except RequestError as exc:
            request, parse_error = None, str(exc)
        if not key_present:
            return request, None, json_reply(401, unauthenticated_error())
        if parse_error:
            return None, None, json_reply(400, google_error(400, "INVALID_ARGUMENT", parse_error))
        fault = self.state.next_fault()
        if fault and fault.name == "ok":
            fault = None
        return request, fault, build_reply(request, fault, model)

    def delay_seconds(self, fault):
        delay = self.state.latency_ms / 1000.0
        if fault and fault.name == "hang":
            delay += float(fault.arg) if fault.arg else DEFAULT_HANG_SECONDS
        return delay

    # -- control endpoints --------------------------------------------------

    def control_faults(self):
        payload = self.read_control_json()
        if payload is None:
            return
        specs = payload.get("faults") if isinstance(payload, dict) else None
        if not isinstance(specs, list):
            return self.send_json(400, {"error": 'expected {"faults": [...]}'})
        try:
            faults = [parse_fault(spec) for spec in specs]
        except ValueError as exc:
            return self.send_json(400, {"error": str(exc)})
        self.state.set_queue(faults)
        self.send_json(200, {"ok": True, "queue": [f.spec for f in faults]})

    def control_default(self):
        payload = self.read_control_json()
        if payload is None:
            return
        if not isinstance(payload, dict) or "fault" not in payload:
            return self.send_json(400, {"error": 'expected {"fault": "name"} or {"fault": null}'})
        try:
            fault = None if payload["fault"] is None else parse_fault(payload["fault"])
        except ValueError as exc:
            return self.send_json(400, {"error": str(exc)})
        self.state.set_default(fault)
        self.send_json(200, {"ok": True, "default": fault.spec if fault else None})

    def control_latency(self):
        payload = self.read_control_json()
        if payload is None:
            return
        ms = payload.get("ms") if isinstance(payload, dict) else None
        if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms < 0:
            return self.send_json(400, {"error": 'expected {"ms": N} with N >= 0'})
        self.state.latency_ms = ms
        self.send_json(200, {"ok": True, "latencyMs": ms})

    def read_control_json(self):
        raw = self.read_body()
        try:
            return json.loads(raw or b"{}")
        except (TypeError, json.JSONDecodeError, UnicodeDecodeError):
            self.send_json(400, {"error": "invalid JSON"})
            return None

    # -- bodies -------------------------------------------------------------

    def read_body(self):
        """The request body, or None if it is larger than MAX_BODY_BYTES."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would poison keep-alive
            return None
        return self.rfile.read(length) if length else b""

    def read_chunked_body(self):
        chunks, total = [], 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                self.close_connection = True
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after each chunk

    def send_json(self, status, obj):
        self.send_reply(json_reply(status, obj))

    def send_reply(self, reply):
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Vary", "Origin, X-Origin, Referer")
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout is shorter than a "hang" fault).
            self.close_connection = True


class FakeGeminiServer(ThreadingHTTPServer):
    daemon_threads = True        # a hanging call must not block shutdown
    request_queue_size = 64      # concurrency tests open several connections at once
    allow_reuse_address = True

    def __init__(self, address, state, demo):
        super().__init__(address, Handler)
        self.state = state
        self.demo = demo


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def write_port_file(path, port):
    """Write atomically, so a launcher polling the file never reads half a number."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def stop_on_sigterm(signum, frame):
    # Launchers (make run, test fixtures) send SIGTERM: leave as on Ctrl-C.
    raise KeyboardInterrupt


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Fake Gemini generateContent server (tests, demo).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0, help="sleep before each answer")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--demo", action="store_true", help="label the log as a demo server")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    server = FakeGeminiServer((args.host, args.port), ServerState(args.latency_ms), args.demo)
    port = server.server_address[1]

    signal.signal(signal.SIGTERM, stop_on_sigterm)

    if args.port_file:
        write_port_file(args.port_file, port)
    banner = "DEMO: fake Gemini, not Google" if args.demo else "fake Gemini for tests"
    log(f"{banner}; listening on http://{args.host}:{port}/v1beta "
        f"(latency {args.latency_ms:g} ms)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
