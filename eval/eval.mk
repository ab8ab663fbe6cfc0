# `make eval` (SPEC §12 « Evaluation », docs/QUALITY.md): a report for every
# questionnaire of fixtures/questionnaires/{samples,adversarial}/ made
# by the real stack (nginx, bilan-create, the detached generator, PostgreSQL),
# and the report check's verdict as a rule × questionnaire table; the Markdown
# table also lands in var/eval/last.md. Included from the Makefile
# (`include eval/eval.mk`); uses its deps-run, build, PYTHON and RELEASE_BIN.
#
# Gemini: the local fake server, unless GEMINI_API_KEY is set (then the real
# API, with GEMINI_MODEL, GEMINI_BASE_URL…: 3–4 calls per questionnaire).
# EVAL_ARGS: --only NAME (repeatable substring filter), --markdown, --keep,
# --timeout SECONDS, --latency-ms MS. Example:
#   make eval EVAL_ARGS="--only injection --markdown"

EVAL_ARGS ?=

.PHONY: eval
eval: deps-run build
	BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m scripts.eval $(EVAL_ARGS)
