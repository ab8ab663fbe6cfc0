#!/usr/bin/python3
"""A local stand-in for Google Gemini's REST API, for tests and `make run`.

It answers `POST /v1beta/models/{model}:generateContent` and
`GET /v1beta/models/{model}` with bodies shaped like Google's (success,
blocked, filtered, truncated and error answers; retired models; the thinking
rules of each model family), so the generator's real HTTP client, parser and
retry logic run unchanged against it. Tests steer it over HTTP
(`/_control/...`): queue faults, retire models, read the request log, read the
concurrency counters. What the "model" writes comes from
fake_report_writer.py, beside this file. Standard library only; see README.md.
"""

import argparse
import collections
import dataclasses
import json
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from testservers import fake_report_writer as writer
from testservers.server_support import serve_until_stopped

GENERATE_PATH = re.compile(r"^/v1beta/models/([A-Za-z0-9._-]+):generateContent$")
MODEL_PATH = re.compile(r"^/v1beta/models/([A-Za-z0-9._-]+)$")
MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_HANG_SECONDS = 30.0
DEFAULT_RETRY_DELAY = "1s"
# Rough size of a Gemini token for French text; only used to fake usage counts
# and to decide when an answer overflows `maxOutputTokens`.
CHARS_PER_TOKEN = 4


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
    # Faults that break a final report (kinds final and repair); other kinds
    # answer normally, but a queued one is used up all the same.
    **{name: False for name in writer.REPORT_FAULTS},
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
# Models: which exist, which are retired, what each family accepts
# ---------------------------------------------------------------------------

# Shut down by December 2026 (docs: gemini-models-2026.md): any 1.x, 2.0 and 2.5.
RETIRED_PATTERNS = [re.compile(r"^gemini-1\."), re.compile(r"^gemini-2\.0(-|$)"),
                    re.compile(r"^gemini-2\.5(-|$)")]
# What `GET /v1beta/models` lists (any other `gemini-…` name answers too).
LISTED_MODELS = ["gemini-3.6-flash", "gemini-3.5-flash", "gemini-3.5-flash-lite",
                 "gemini-3.1-flash-lite", "gemini-flash-latest", "gemini-pro-latest"]
THINKING_LEVELS = ("minimal", "low", "medium", "high")
THINKING_CONFIG_FIELDS = {"includeThoughts", "thinkingBudget", "thinkingLevel"}


def model_version(model):
    return f"{model}-001"


def model_family(model):
    """3 for `gemini-3.6-flash` and for a name without a version number
    (`gemini-flash-latest`: the current family); 2 for `gemini-2.5-pro`…"""
    match = re.match(r"^gemini-(\d+)(?:\.\d+)?(?:-|$)", model)
    return int(match.group(1)) if match else 3


def model_exists(model, extra_retired):
    """A `gemini-…` model that is not retired (built in, --retire, or
    /_control/retired)."""
    if not model.startswith("gemini-") or model in extra_retired:
        return False
    return not any(pattern.match(model) for pattern in RETIRED_PATTERNS)


def display_name(model):
    words = model.split("-")
    return " ".join(word.capitalize() if not re.match(r"^\d", word) else word for word in words)


def model_resource(model):
    """`models.get` for a served model, as the real API shapes it."""
    return {
        "name": f"models/{model}",
        "version": "001",
        "displayName": display_name(model),
        "description": f"{display_name(model)} (local fake, not Google)",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }


def model_not_found(model, method):
    return google_error(
        404, "NOT_FOUND",
        f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
        "Call ListModels to see the list of available models and their supported methods.")


def thinking_error(model, config):
    """The 400 Google answers to thinking settings the model's family refuses,
    or None. `config` is the camelCase generationConfig."""
    thinking = config.get("thinkingConfig")
    if thinking is None:
        return None
    if not isinstance(thinking, dict):
        return "Invalid value at 'generation_config.thinking_config': expected an object."
    try:
        thinking = camel_keys(thinking, "generation_config.thinking_config")
    except RequestError as exc:
        return str(exc)
    for key in thinking:
        if key not in THINKING_CONFIG_FIELDS:
            return (f'Invalid JSON payload received. Unknown name "generation_config.thinking_config.{key}": '
                    "Cannot find field.")
    budget, level = thinking.get("thinkingBudget"), thinking.get("thinkingLevel")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < -1):
        return ("Invalid value at 'generation_config.thinking_config.thinking_budget' (TYPE_INT32), "
                f"{json.dumps(budget)}")
    if model_family(model) >= 3:
        if budget is not None and level is not None:
            return ("Unable to submit request because thinkingBudget (thinking_budget) and thinkingLevel "
                    "(thinking_level) cannot both be set in generation_config.thinking_config. "
                    f"{model} takes thinkingLevel.")
        if level is not None and (not isinstance(level, str) or level.lower() not in THINKING_LEVELS):
            return ("Invalid value at 'generation_config.thinking_config.thinking_level' "
                    "(type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), "
                    f"{json.dumps(level)}. Use one of: {', '.join(THINKING_LEVELS)}.")
    elif level is not None:
        return (f"Unable to submit request because thinkingLevel (thinking_level) is not supported by {model}. "
                "Use thinkingBudget (thinking_budget) for Gemini 2 models.")
    return None


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
    kind: str                   # "json", "repair", "final" or "text"
    schema: dict | None         # responseSchema or responseJsonSchema
    max_output_tokens: int | None
    generation_config: dict     # as sent, top-level keys in camelCase


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
    json_mode = mime == "application/json"
    kind = writer.request_kind(prompt, json_mode)
    return GenerateRequest(prompt, kind, schema if json_mode else None, max_tokens, config)


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
    return {**fields, "modelVersion": model_version(model), "responseId": secrets.token_urlsafe(16)[:22]}


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

    corruption = name if name in writer.REPORT_FAULTS and request.kind in ("final", "repair") else None
    text = writer.answer_text(request.kind, request.prompt, request.schema,
                              hostile=(name == "xss"), corruption=corruption)
    # A "report-huge" answer is never cut: it exists to reach the size check.
    capped = request.max_output_tokens and corruption != "report-huge"
    if name == "max-tokens":
        reply = text_reply(model, request, truncate(text, len(text) // 3), "MAX_TOKENS")
    elif capped and tokens(text) > request.max_output_tokens:
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
    def __init__(self, latency_ms, retired=()):
        self.lock = threading.Lock()
        self.latency_ms = latency_ms
        self.queue = collections.deque()
        self.default_fault = None
        self.cli_retired = tuple(retired)    # --retire: kept across /_control/reset
        self.extra_retired = ()              # /_control/retired: cleared by reset
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

    def set_retired(self, models):
        with self.lock:
            self.extra_retired = tuple(models)

    def retired(self):
        """Models retired on top of the built-in rule (gemini-1.x, 2.0, 2.5)."""
        with self.lock:
            return set(self.cli_retired) | set(self.extra_retired)

    def model_exists(self, model):
        return model_exists(model, self.retired())

    def reset(self):
        with self.lock:
            self.queue.clear()
            self.default_fault = None
            self.extra_retired = ()
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
                "retired": {"builtin": [p.pattern for p in RETIRED_PATTERNS],
                            "cli": list(self.cli_retired), "models": list(self.extra_retired)},
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
        elif path == "/_control/retired":
            self.control_retired()
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
        elif path == "/_control/retired":
            self.send_json(200, snapshot["retired"])
        elif GENERATE_PATH.match(path):
            self.send_json(405, google_error(405, "METHOD_NOT_ALLOWED", "Use POST."))
        elif path.rstrip("/") == "/v1beta/models":
            self.list_models()
        elif MODEL_PATH.match(path):
            self.get_model(MODEL_PATH.match(path).group(1))
        else:
            self.not_found(path)

    def key_missing(self):
        if self.headers.get("x-goog-api-key", "").strip():
            return False
        self.send_json(401, unauthenticated_error())
        return True

    def get_model(self, model):
        """`models.get`: the cheap call a configuration check makes."""
        if self.key_missing():
            return
        exists = self.state.model_exists(model)
        log(f"GET /v1beta/models/{model} status={200 if exists else 404}")
        if exists:
            self.send_json(200, model_resource(model))
        else:
            self.send_json(404, model_not_found(model, "get"))

    def list_models(self):
        """`models.list`: the served models of LISTED_MODELS."""
        if self.key_missing():
            return
        models = [model_resource(m) for m in LISTED_MODELS if self.state.model_exists(m)]
        self.send_json(200, {"models": models})

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
                "modelVersion": model_version(model) if reply.status == 200 else None,
                "apiKeyPresent": key_present,
                "kind": request.kind if request else None,
                "fault": fault.spec if fault else None,
                "status": reply.status,
                "finishReason": reply.finish_reason,
                "promptChars": len(request.prompt) if request else 0,
                "generationConfig": request.generation_config if request else None,
                "prompt": request.prompt if request else None,
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
        before reaching the model (no key, retired model, bad body, thinking
        settings the model refuses) does not use up a fault."""
        try:
            request = parse_generate_request(raw) if raw is not None else None
            parse_error = None if raw is not None else "Request body too large."
        except RequestError as exc:
            request, parse_error = None, str(exc)
        if not key_present:
            return request, None, json_reply(401, unauthenticated_error())
        if not self.state.model_exists(model):
            return request, None, json_reply(404, model_not_found(model, "generateContent"))
        if parse_error:
            return None, None, json_reply(400, google_error(400, "INVALID_ARGUMENT", parse_error))
        refused = thinking_error(model, request.generation_config)
        if refused:
            return request, None, json_reply(400, google_error(400, "INVALID_ARGUMENT", refused))
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

    def control_retired(self):
        payload = self.read_control_json()
        if payload is None:
            return
        models = payload.get("models") if isinstance(payload, dict) else None
        if not isinstance(models, list) or not all(isinstance(m, str) and m.strip() for m in models):
            return self.send_json(400, {"error": 'expected {"models": ["gemini-…", ...]}'})
        models = [m.strip().removeprefix("models/") for m in models]
        self.state.set_retired(models)
        self.send_json(200, {"ok": True, "models": models})

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

def parse_args(argv):
    parser = argparse.ArgumentParser(description="Fake Gemini generateContent server (tests, demo).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0, help="sleep before each answer")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--demo", action="store_true", help="label the log as a demo server")
    parser.add_argument("--retire", action="append", default=[], metavar="MODEL",
                        help="answer 404 NOT_FOUND for this model too (repeatable); "
                             "gemini-1.*, gemini-2.0-* and gemini-2.5-* always are")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    server = FakeGeminiServer((args.host, args.port), ServerState(args.latency_ms, args.retire), args.demo)
    banner = "DEMO: fake Gemini, not Google" if args.demo else "fake Gemini for tests"
    serve_until_stopped(server, args.port_file, log, (
        f"{banner}; listening on http://{args.host}:{server.server_address[1]}/v1beta "
        f"(latency {args.latency_ms:g} ms; retired: gemini-1.*, gemini-2.0-*, gemini-2.5-*"
        f"{''.join(', ' + m for m in args.retire)})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
