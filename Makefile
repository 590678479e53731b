# Two commands on a fresh machine: `make run` serves the gateway, `make test` passes the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
LOCK := requirements/lock.txt
TEST_LOCK := requirements/test-lock.txt
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(TEST_LOCK) | sha1sum | cut -c1-10)
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres test-latest test-dsql lint bench bench-peer coldstart profile soak install clean package lock terraform-scan cost

# The development virtualenv installs the hash-pinned test lock (runtime, deploy and test tools at the versions
# CI used), then the project itself without resolving anything again.
$(STAMP): pyproject.toml $(TEST_LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*; touch $@

# The coding agents and SDKs the end-to-end tests drive, pinned in tests/clients/package.json (each version
# its own alias), from the npm registry when npm is there; without them those tests are skipped.
TOOLS := .tools
CLIENTS := tests/clients/package.json
TOOLS_STAMP := $(TOOLS)/.installed-$(shell cat $(CLIENTS) | sha1sum | cut -c1-10)
TEST_PATH := PATH=$(abspath $(TOOLS))/node_modules/.bin:$$PATH

$(TOOLS_STAMP): $(CLIENTS)
	@mkdir -p $(TOOLS)
	@cp $(CLIENTS) $(TOOLS)/package.json
	@if command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix $(TOOLS); then \
	  rm -f $(TOOLS)/.installed-*; touch $@; \
	else echo "The coding agents could not be installed: their end-to-end tests will be skipped"; fi

# The static security scan of deploy/terraform: checkov, pinned, in a virtualenv of its own (its pins clash with
# the project's); without PyPI it cannot be installed and the scan is skipped, saying so.
BUILD := .build
# The Lambda zip's virtualenv: the hash-pinned lock alone (see `package`); the deploy tests package from it too.
PACKAGE_VENV := $(BUILD)/package-venv
PACKAGE_STAMP := $(PACKAGE_VENV)/.installed-$(shell cat $(LOCK) | sha1sum | cut -c1-10)
CHECKOV_VERSION := 3.3.30
CHECKOV := $(BUILD)/checkov/bin/checkov
CHECKOV_STAMP := $(BUILD)/checkov/.installed-$(CHECKOV_VERSION)

$(CHECKOV_STAMP):
	@rm -rf $(BUILD)/checkov
	@if $(PYTHON) -m venv $(BUILD)/checkov && $(BUILD)/checkov/bin/pip install --quiet "checkov==$(CHECKOV_VERSION)"; then \
	  touch $@; \
	else rm -rf $(BUILD)/checkov; echo "checkov could not be installed: the Terraform scan will be skipped"; fi

terraform-scan: $(CHECKOV_STAMP)
	@if [[ -x $(CHECKOV) ]]; then $(CHECKOV) -d deploy/terraform --framework terraform --quiet --compact --skip-download; \
	else echo "checkov is not installed: skipped the Terraform scan"; fi

# What each deployment shape costs a month, from deploy/cost/prices.toml (plain Python 3.11, no virtualenv needed):
# make cost ARGS="--developers 20 --requests-per-day 1000 --seconds 10 --tokens 20" (or COST_* variables).
ARGS ?=
cost:
	$(PYTHON) -m deploy.cost $(ARGS)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m sbcproject.devrun

# SQLite always; then the client tests again at the clients' newest releases (never failing the run); PostgreSQL
# as well when DATABASE_URL points at one (CI sets it), last, so its pytest summary closes the output.
test: $(STAMP) $(TOOLS_STAMP) $(CHECKOV_STAMP) $(PACKAGE_STAMP)
	$(MAKE) --no-print-directory test-sqlite
	-@if [[ "$(LATEST)" != 0 ]]; then $(MAKE) --no-print-directory test-latest; fi
	@if [[ "$$DATABASE_URL" == postgres* ]]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "DATABASE_URL is not PostgreSQL: skipped the PostgreSQL run"; fi

test-sqlite: $(STAMP)
	env -u DATABASE_URL $(TEST_PATH) $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	env $(TEST_PATH) $(PY) -m pytest $(PYTEST_ARGS)

# The unpinned pass: the end-to-end client tests (marked `clients`, see tests/conftest.py) at each client's newest
# published release, on SQLite: npm's into LATEST_TOOLS, the Python SDKs into LATEST_VENV (tests/clients/latest.py).
# Reported apart, in one line (`newest releases: ...`), with the log in artifacts/; it never fails the run, and is
# skipped, saying so, when no registry answers. At most LATEST_INSTALL_TIMEOUT seconds of installing, then
# LATEST_TIMEOUT of tests (then stopped as by Ctrl-C, so the servers it started stop too). `make test LATEST=0`
# leaves it out.
LATEST_TOOLS := $(BUILD)/tools-latest
LATEST_VENV := $(BUILD)/latest-venv
LATEST_LOG := artifacts/newest-releases.log
LATEST_TIMEOUT ?= 1200
LATEST_INSTALL_TIMEOUT ?= 900
LATEST ?= 1
LATEST_ENV := SBC_TOOLS_MODULES=$(abspath $(LATEST_TOOLS))/node_modules \
  SBC_TOOLS_PACKAGES=$(abspath $(LATEST_TOOLS))/package.json PATH=$(abspath $(LATEST_TOOLS))/node_modules/.bin:$$PATH
LATEST_PYTEST := -m pytest -m clients -q -rfE -p no:cacheprovider tests/clients tests/gateway
test-latest: $(STAMP)
	@echo "==== Newest releases: the client tests at each client's newest version (unpinned, never fails the run) ===="
	@mkdir -p $(dir $(LATEST_LOG))
	@timeout $(LATEST_INSTALL_TIMEOUT) $(PY) tests/clients/latest.py install --tools $(LATEST_TOOLS) --venv $(LATEST_VENV); \
	case $$? in \
	0) \
	  env -u DATABASE_URL $(LATEST_ENV) timeout --signal=INT --kill-after=60 $(LATEST_TIMEOUT) \
	    $$(cat $(LATEST_TOOLS)/python) $(LATEST_PYTEST) \
	    >$(LATEST_LOG) 2>&1; \
	  $(PY) tests/clients/latest.py summary $(LATEST_LOG);; \
	3) ;; \
	124) echo "newest releases: installing them took over $(LATEST_INSTALL_TIMEOUT)s: skipped (not failing the run)";; \
	*) echo "newest releases: they could not be installed: skipped (not failing the run)";; \
	esac; true

# The database tests through AWS's Aurora DSQL adapter on the local PostgreSQL (tests/dsql/settings.py; another
# server: DSQL_TEST_DATABASE_URL=dsql://user:password@host:5432/name): a statement DSQL refuses fails its test, and
# injected commit conflicts show the retries. The end-to-end tests are left out: their servers run the product's
# own settings, not the profile's backend.
DSQL_TESTS := tests/dsql tests/core/test_db_retry.py tests/tokens tests/usage tests/gateway tests/portal
test-dsql: $(STAMP)
	env DJANGO_SETTINGS_MODULE=tests.dsql.settings $(PY) -m pytest -m "not e2e and not browser" $(DSQL_TESTS) $(PYTEST_ARGS)

# The house style and types, by tool: ruff (lint and format), mypy, and the docs generated from the code.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	env DJANGO_DEBUG=true $(PY) manage.py compat_doc --check
	$(MAKE) --no-print-directory terraform-scan

# `make bench` measures LiteLLM's proxy beside the gateway: pinned, in its own virtualenv under .bench/
# (git-ignored). When it cannot be installed (no network), the bench still runs and says why in its column.
LITELLM_VERSION := 1.108.7
PEER_VENV ?= .bench/litellm-venv
PEER_STAMP := $(PEER_VENV)/.installed-$(LITELLM_VERSION)

$(PEER_STAMP):
	@mkdir -p $(dir $(PEER_VENV))
	@echo "Installing litellm[proxy]==$(LITELLM_VERSION) into $(PEER_VENV) for the comparison (once)"
	@rm -f $(PEER_VENV)/.installed-*
	@if { test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV); } >$(PEER_VENV).log 2>&1 \
	  && $(PEER_VENV)/bin/python -m pip install --quiet --retries 2 "litellm[proxy]==$(LITELLM_VERSION)" \
	     >>$(PEER_VENV).log 2>&1; then touch $@; \
	else echo "LiteLLM could not be installed ($(PEER_VENV).log): the bench reports it as not installed"; fi

bench-peer: $(PEER_STAMP)

# About 15 minutes: SQLite, PostgreSQL + Redis when they answer on 127.0.0.1, then LiteLLM (BENCH_QUICK=1: ~3).
bench: $(STAMP) $(PEER_STAMP)
	BENCH_PEER_VENV=$(PEER_VENV) $(PY) -m bench.run

# About a minute: a fresh gateway started as the Lambda image starts it, until its first /v1 answer (median of 5
# starts, SQLite and PostgreSQL when it answers on 127.0.0.1), with its peak memory; on the packaged dependencies
# once `make package` has built them. COLDSTART_ARGS=--imports also lists what the first answer imported.
coldstart: $(STAMP)
	$(PY) -m bench.coldstart $(COLDSTART_ARGS)

# About a minute: where one gateway worker's time goes at 16 clients, sampled by py-spy (pinned, in its own virtualenv
# under .bench/) for PROFILE_SECONDS (default 20): a table, raw stacks and a flame graph in bench/results/profile-*.
# PROFILE_DATABASE=postgres, PROFILE_STREAM=1, PROFILE_GIL=0 (bench/profile.py). py-spy needs ptrace (root or
# CAP_SYS_PTRACE): without it, or when it cannot be installed, the target says why and fails.
PY_SPY_VERSION := 0.4.3
PY_SPY_VENV ?= .bench/py-spy-venv
PY_SPY_STAMP := $(PY_SPY_VENV)/.installed-$(PY_SPY_VERSION)

$(PY_SPY_STAMP):
	@mkdir -p $(dir $(PY_SPY_VENV))
	@echo "Installing py-spy==$(PY_SPY_VERSION) into $(PY_SPY_VENV) for the profile (once)"
	@rm -f $(PY_SPY_VENV)/.installed-*
	@if { test -x $(PY_SPY_VENV)/bin/python || $(PYTHON) -m venv $(PY_SPY_VENV); } >$(PY_SPY_VENV).log 2>&1 \
	  && $(PY_SPY_VENV)/bin/python -m pip install --quiet --retries 2 "py-spy==$(PY_SPY_VERSION)" \
	     >>$(PY_SPY_VENV).log 2>&1; then touch $@; \
	else echo "py-spy could not be installed, so no profile: $$(grep -m1 ERROR $(PY_SPY_VENV).log || tail -n1 $(PY_SPY_VENV).log)"; \
	  exit 1; fi

profile: $(STAMP) $(PY_SPY_STAMP)
	PROFILE_PY_SPY=$(PY_SPY_VENV)/bin/py-spy $(PY) -m bench.profile

soak: $(STAMP)
	$(PY) -m pytest -m soak --run-soak $(PYTEST_ARGS)

# The gateway under faults (database stopped, connections killed, Redis stopped and hung, Bedrock errors, clients
# leaving, a worker killed), on a PostgreSQL cluster and a Redis of its own (free loopback ports, a temp dir), every
# answer matched to its usage record: one table, then `faults: N scenarios, M missing, D doubled, drift T tokens,
# lockout S s`; non-zero when any is off. FAULTS_QUICK=1 shortens the outages, FAULTS_ONLY=name,name picks scenarios.
.PHONY: faults
faults: $(STAMP)
	$(PY) -m bench.faults

# The runtime dependencies, hash-pinned: the image and the Lambda zip install exactly these; the test lock adds the
# test tools at the same versions for everything they share. `make lock` after changing pyproject.toml's
# dependencies (tests/deploy/test_supply_chain.py fails until then).
PIP_TOOLS := $(BUILD)/pip-tools/bin/pip-compile
PIP_COMPILE := $(PIP_TOOLS) --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links --no-emit-index-url
lock:
	test -x $(PIP_TOOLS) || ($(PYTHON) -m venv $(BUILD)/pip-tools && $(BUILD)/pip-tools/bin/pip install --quiet pip-tools==7.7.0)
	$(PIP_COMPILE) --extra deploy -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra deploy --extra test -c $(LOCK) -o $(TEST_LOCK) pyproject.toml

# The Lambda zip for a Zappa stage (STAGE=dev|prod|serverless|serverless-jobs): Zappa packs a virtualenv's
# libraries, so they are the lock file alone (--require-hashes), then static files, so WhiteNoise serves the admin
# and portal from the package. The tools (collectstatic, zappa) run from PACKAGE_VENV, built for this machine; the
# libraries the zip carries are the same lock's wheels for Lambda's machine instead: the stage's `architecture`
# (x86_64, or arm64 for the serverless stages), manylinux2014 (Lambda's python3.11 runs on Amazon Linux 2, glibc
# 2.26, where a wheel built for a newer glibc would not load), unpacked into PACKAGE_SITE (needs PyPI once per lock
# and architecture). Offline after that.
STAGE ?= dev
PACKAGE_ZIP ?= dist/sbc-$(STAGE).zip
PACKAGE_ARCH := $(shell $(PYTHON) -c 'import json, sys; s = json.load(open("zappa_settings.json")); \
  a = lambda t: s[t].get("architecture") or (a(s[t]["extends"]) if "extends" in s[t] else "x86_64"); \
  print(a(sys.argv[1]) if sys.argv[1] in s else "x86_64")' $(STAGE))
PACKAGE_PLATFORM := manylinux2014_$(if $(filter arm64,$(PACKAGE_ARCH)),aarch64,x86_64)
PACKAGE_SITE := $(BUILD)/package-$(PACKAGE_ARCH)
# Pure Python packages the lock holds only as source (Zappa's placebo): built here, whatever the platform.
PACKAGE_SDISTS := --no-binary=placebo
PACKAGE_SITE_STAMP := $(PACKAGE_SITE)/.installed-$(shell cat $(LOCK) | sha1sum | cut -c1-10)
$(PACKAGE_STAMP): $(LOCK)
	rm -rf $(PACKAGE_VENV)
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PACKAGE_VENV)/bin/pip check
	touch $@

$(PACKAGE_SITE_STAMP): $(LOCK) $(PACKAGE_STAMP)
	rm -rf $(PACKAGE_SITE)
	$(PACKAGE_VENV)/bin/pip install --quiet --require-hashes --no-deps --only-binary=:all: $(PACKAGE_SDISTS) \
	  --platform $(PACKAGE_PLATFORM) --implementation cp --python-version 3.11 --abi cp311 \
	  --target $(PACKAGE_SITE)/lib/python3.11/site-packages -r $(LOCK)
	$(PACKAGE_VENV)/bin/python -m compileall -q -b -j 0 --invalidation-mode unchecked-hash $(PACKAGE_SITE)/lib >/dev/null
	touch $@

# Lambda's /var/task is read-only, so a module without bytecode is compiled again at every cold start (about 4 s of
# CPU for the gateway, 15-20 s at 320 MB's share of a core). The zip carries bytecode instead of sources: compiled
# next to each module (the project's own only for the packing, then removed), and deploy/bytecode_only.py drops
# the sources they stand for. Migrations, and gunicorn's config file (read as source), keep their sources.
APP_PACKAGES := sbcproject core audit tokens usage gateway portal deploy
package: $(PACKAGE_STAMP) $(PACKAGE_SITE_STAMP)
	env SBC_READ_DOT_ENV=0 DATABASE_URL=sqlite:///:memory: DJANGO_SECRET_KEY=collectstatic-only-not-a-secret-0123456789 \
	  $(PACKAGE_VENV)/bin/python manage.py collectstatic --no-input -v 0
	mkdir -p $(dir $(PACKAGE_ZIP))
	$(PACKAGE_VENV)/bin/python -m compileall -q -b -f -x 'gunicorn\.conf\.py|/migrations/' \
	  --invalidation-mode unchecked-hash $(APP_PACKAGES) >/dev/null
	VIRTUAL_ENV=$(abspath $(PACKAGE_SITE)) PATH=$(abspath $(PACKAGE_VENV))/bin:$$PATH \
	  $(PACKAGE_VENV)/bin/zappa package $(STAGE) -o $(PACKAGE_ZIP); \
	  status=$$?; find $(APP_PACKAGES) -name '*.pyc' -not -path '*/__pycache__/*' -delete; exit $$status
	$(PACKAGE_VENV)/bin/python -m deploy.bytecode_only $(PACKAGE_ZIP)

# zappa update takes the zip built above: zappa update $(STAGE) -z dist/sbc-$(STAGE).zip (docs/zappa.md for the
# streaming stage's one step Zappa cannot take).

clean:
	rm -rf $(VENV) $(TOOLS) $(BUILD) .bench .run staticfiles db.sqlite3* .pytest_cache .hypothesis dist
