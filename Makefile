# Bilan d'orientation — build, run and test on Debian 12 (as root, or with sudo
# for the package step). `make run` and `make test` install what they need.

PORT ?= 8080
SWIFT ?= swift
PYTHON := /usr/bin/python3
RELEASE_BIN := .build/release

# Debian packages: the C libraries we link, the servers of the local stack
# (and WeasyPrint with the fonts the report PDF names), and what the tests
# drive (Python test tools, Chromium for the browser test, pdftotext).
BUILD_PACKAGES := libfcgi-dev libpq-dev libcurl4-openssl-dev libcmark-gfm-dev libcmark-gfm-extensions-dev pkg-config
RUN_PACKAGES := nginx-light postgresql spawn-fcgi multiwatch fcgiwrap python3 python3-aiosmtpd python3-cryptography weasyprint fonts-dejavu-core
TEST_PACKAGES := python3-pytest python3-requests python3-selenium python3-cryptography chromium chromium-driver libfcgi-bin poppler-utils

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR := $(PREFIX)/bin
DATADIR := $(PREFIX)/share
UNITDIR ?= $(PREFIX)/lib/systemd/system
HANDLERS := bilan-eligibility bilan-create bilan-status bilan-page bilan-auth
EXECUTABLES := $(HANDLERS) bilan-generator bilan-admin

.PHONY: all build deps deps-run deps-test run test unit-test e2e-test e2e-cgi-test browser-test install clean

all: build

# Installs only what is missing, so a second run costs nothing.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_PACKAGES))

deps-run: deps
	$(call apt_install,$(RUN_PACKAGES))

deps-test: deps-run
	$(call apt_install,$(TEST_PACKAGES))

# The Swift runtime is linked into each executable (`--static-swift-stdlib`):
# a server needs no toolchain to run us (ldd shows system libraries only),
# and a handler starts without loading and relocating libswiftCore & co.
build: deps
	$(SWIFT) build -c release --static-swift-stdlib

run: deps-run build
	PORT=$(PORT) $(PYTHON) -B -m scripts.run

# Everything, in order of cost: unit tests and the fuzzers first, then the
# end-to-end suites (FastCGI and CGI mode), the browser, the reliability and
# the deployment suites. `make soak` and `make bench` are separate (long).
test: deps-test build unit-test fuzz-smoke e2e-test e2e-cgi-test browser-test reliability-test deploy-test

unit-test: deps
	$(SWIFT) test

e2e-test: deps-test build
	BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m pytest -p no:cacheprovider -q testservers integration/e2e

# The route tests again, nginx → fcgiwrap → the same executables as CGI programs.
# Left out: the generator suite and the PostgreSQL-restart test, which are
# about long-lived processes that CGI mode does not have.
CGI_TESTS := integration/e2e/test_eligibility.py integration/e2e/test_create.py integration/e2e/test_status.py \
	integration/e2e/test_auth.py integration/e2e/test_detached_spawn.py integration/e2e/test_concurrency.py
e2e-cgi-test: deps-test build
	BILAN_E2E_MODE=cgi BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m pytest -p no:cacheprovider -q $(CGI_TESTS)

browser-test: deps-test build
	BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m pytest -p no:cacheprovider -q integration/browser

# Executables, templates, www/, migrations, nginx snippets, systemd units and an
# example environment file (never overwritten: it holds the site's secrets).
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/bilan $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/bilan
	install -m 0755 $(addprefix $(RELEASE_BIN)/,$(EXECUTABLES)) $(DESTDIR)$(BINDIR)/
	rm -rf $(DESTDIR)$(DATADIR)/bilan/templates $(DESTDIR)$(DATADIR)/bilan/www $(DESTDIR)$(DATADIR)/bilan/migrations
	cp -R templates www migrations $(DESTDIR)$(DATADIR)/bilan/
	install -d $(DESTDIR)$(DATADIR)/bilan/nginx
	sed 's|/usr/local/share/bilan/www|$(DATADIR)/bilan/www|' nginx/bilan-locations.conf > $(DESTDIR)$(DATADIR)/bilan/nginx/bilan-locations.conf
	install -m 0644 nginx/bilan-http.conf $(DESTDIR)$(DATADIR)/bilan/nginx/
	for h in $(HANDLERS); do \
		short=$${h#bilan-}; \
		for kind in socket service; do \
			sed -e "s|@HANDLER@|$$h|g" -e "s|@SHORT@|$$short|g" -e 's|@BINDIR@|$(BINDIR)|g' \
				-e 's|@DATADIR@|$(DATADIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
				systemd/bilan-handler.$$kind.in > $(DESTDIR)$(UNITDIR)/$$h.$$kind; \
		done; \
	done
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		systemd/bilan-recover.service.in > $(DESTDIR)$(UNITDIR)/bilan-recover.service
	install -m 0644 systemd/bilan-recover.timer $(DESTDIR)$(UNITDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/bilan/bilan.env ] || install -m 0640 systemd/bilan.env.example $(DESTDIR)$(SYSCONFDIR)/bilan/bilan.env
	@echo "installed under $(DESTDIR)$(PREFIX); see docs/INSTALL.md for the next steps"

clean:
	rm -rf .build var

# libFuzzer targets (fuzz/README.md): the toolchain's clang runtime brings
# libFuzzer and ASan, so nothing beyond `make deps` is installed. New inputs
# and crash reproducers go under .build-fuzz/, never into fuzz/corpus/.
FUZZ_SECONDS ?= 120
SWIFTC ?= swiftc
.PHONY: fuzz fuzz-smoke
fuzz: deps
	SWIFTC=$(SWIFTC) sh fuzz/fuzz.sh run $(FUZZ_SECONDS)

# Every target for 30 s, for `make test`.
fuzz-smoke: deps
	SWIFTC=$(SWIFTC) sh fuzz/fuzz.sh run 30

# Reliability suite (integration/reliability, docs/RELIABILITY.md): a bad-input
# corpus over every route, faults of real components (PostgreSQL stopped
# under load, a worker killed, mail folder read-only, a template missing),
# two hosts on one database, abuse and secrets. Part of `make test`.
# `make soak` runs the long load and leak tests (wrk 60 s per route, 1,000
# creates drained): several minutes.
.PHONY: reliability-test soak
reliability-test: deps-test build
	BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m pytest -p no:cacheprovider -q -m "not soak" integration/reliability

soak: deps-test build
	$(call apt_install,wrk)
	BILAN_BIN=$(RELEASE_BIN) $(PYTHON) -B -m pytest -p no:cacheprovider -q -s -m soak integration/reliability


# Deployment suite (integration/deploy, issue 7): `make install` into a scratch
# DESTDIR and the layout it makes, `systemd-analyze verify` of the installed
# units, the smoke test run FROM the installed tree, bilan-admin check, --help,
# the monitoring routes and logs, and docs/INTEGRATION.md's worked example.
# Nothing is installed outside a temporary folder. About 3 minutes.
.PHONY: deploy-test
deploy-test: deps-test build
	$(call apt_install,systemd)
	BILAN_DEPLOY_NO_BUILD=1 $(PYTHON) -B -m pytest -p no:cacheprovider -q integration/deploy

# Performance harness (bench/, docs/PERFORMANCE.md): `make bench`, ~25 min.
include bench/bench.mk

# `make eval` (docs/QUALITY.md): a report for every fixture questionnaire, the
# report check on each, and the rule × sample table. Not part of `make test`.
include eval/eval.mk
