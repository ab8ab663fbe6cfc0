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
from email.header import Header
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MODEL = "gemini-2.5-flash"
API_KEY = "test-key-DO-NOT-LOG-4f7a"
HEADINGS = [
    "Synthèse de votre profil",
    "Vos points forts et vos axes de progrès",
    "Pistes d'études recommandées",
    "Conseils psychopédagogiques",
    "Réalité du terrain",
    "Stratégie Parcoursup",
    "Plan d'action",
    "Ressources utiles",
]
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
FINAL_PROMPT = (
    "Rédige le bilan final en Markdown avec exactement ces titres : "
    + " ".join(f"## {h}" for h in HEADINGS)
    + "\n<questionnaire>\n" + json.dumps(QUESTIONNAIRE, ensure_ascii=False, indent=2)
    + "\n</questionnaire>"
)
TEXT_PROMPT = ("Analyse psychopédagogique du profil suivant.\n<questionnaire>\n"
               + json.dumps(QUESTIONNAIRE, ensure_ascii=False) + "\n</questionnaire>")


# ---------------------------------------------------------------------------
# Starting servers
# ---------------------------------------------------------------------------

class Server:
    def __init__(self, script, args, tmp_path):
        self.port_file = tmp_path / f"{script}.port"
        self.log_path = tmp_path / f"{script}.log"
        self.log_file = open(self.log_path, "wb")
        # A port file left by an earlier run would be read before the new server listens.
        self.port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [PYTHON, str(HERE / script), "--port", "0", "--port-file", str(self.port_file), *args],
            stdout=subprocess.DEVNULL, stderr=self.log_file)
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
    server = Server("fake_gemini.py", [], tmp_path_factory.mktemp("gemini"))
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
                             "thinkingConfig": {"thinkingBudget": 0}},
    }
    response = generate(gemini, body)
    assert response.status_code == 200
    payload = response.json()
    text = answer_text(response)
    assert text.startswith("# ")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS
    assert len(text.split()) >= 1500
    assert re.search(r"^\| --- \|", text, re.MULTILINE), "one Markdown table"
    assert re.search(r"^- ", text, re.MULTILINE) and re.search(r"^1\. ", text, re.MULTILINE)
    for value in ("TERMINALE", "MATHEMATIQUES", "PHYSIQUE_CHIMIE", "CPGE"):
        assert value in text
    assert "15,2/20" in text
    candidate = payload["candidates"][0]
    assert candidate["finishReason"] == "STOP" and candidate["content"]["role"] == "model"
    usage = payload["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert usage["candidatesTokenCount"] > 1000
    assert payload["modelVersion"] == MODEL and payload["responseId"]
    assert logged(gemini)[-1]["kind"] == "final"


def test_final_pass_without_questionnaire_still_has_all_headings(gemini):
    text = answer_text(generate(gemini, text_request("## Synthèse de votre profil")))
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == HEADINGS
    assert len(text.split()) >= 1500


def test_other_passes_get_a_french_analysis_without_report_headings(gemini):
    response = generate(gemini, text_request(TEXT_PROMPT))
    text = answer_text(response)
    assert not re.search(r"^#", text, re.MULTILINE)
    assert 300 <= len(text.split()) < 1500
    assert "psychologue de l'Éducation nationale" in text
    assert logged(gemini)[-1]["kind"] == "text"


def test_same_prompt_gives_the_same_text(gemini):
    first = answer_text(generate(gemini, text_request(TEXT_PROMPT)))
    assert answer_text(generate(gemini, text_request(TEXT_PROMPT))) == first


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
    server = Server("fake_gemini.py", ["--latency-ms", "300", "--demo"], tmp_path)
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
# smtp_sink
# ---------------------------------------------------------------------------

@pytest.fixture
def mail_dir(tmp_path):
    return tmp_path / "mail"


def start_sink(tmp_path, mail_dir, *args):
    return Server("smtp_sink.py", ["--dir", str(mail_dir), *args], tmp_path)


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
