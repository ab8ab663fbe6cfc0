# `make bench` (issue 6): the performance harness. Included from the Makefile
# (`include bench/bench.mk`); uses its apt_install, RUN_PACKAGES, PYTHON and
# RELEASE_BIN. Figures land in bench/out/results.{md,json}; docs/PERFORMANCE.md
# quotes them. Quick try: make bench BENCH_ROUNDS=1 BENCH_SECONDS=3 BENCH_ROWS=1000
#   BENCH_DRAIN_BILANS=100 BENCH_DRAIN_LEVELS=1,8 BENCH_HANDLER_REQUESTS=5000
# (every knob is listed at the top of bench/bench.py).

BENCH_PACKAGES := wrk php-fpm php-pgsql libfcgi-dev libpq-dev spawn-fcgi multiwatch fcgiwrap gcc libc6-dev poppler-utils
BENCH_CFLAGS := -O2 -Wall -I/usr/include/postgresql

.PHONY: bench bench-deps bench-anchors

bench-deps: deps-run
	$(call apt_install,$(BENCH_PACKAGES))

bench/out/status-anchor: bench/anchors/status_anchor.c | bench-deps
	@mkdir -p bench/out
	gcc $(BENCH_CFLAGS) -o $@ $< -lfcgi -lpq

bench/out/startcost: bench/anchors/startcost.c | bench-deps
	@mkdir -p bench/out
	gcc $(BENCH_CFLAGS) -o $@ $< -lpq

bench-anchors: bench/out/status-anchor bench/out/startcost

bench: bench-deps build bench-anchors
	BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m bench.bench
