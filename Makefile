# `make run` and `make test` set everything up themselves; see README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
# Each target first installs the Debian packages it needs and lacks; the lists live in that one script.
PACKAGES := PYTHON=$(PYTHON) scripts/system-packages.sh

.PHONY: run test e2e audit lint setup db demo worker bench security load faults mutation

# packages-TARGET: the Debian packages TARGET needs (scripts/system-packages.sh --list TARGET).
packages-%:
	@$(PACKAGES) $*

$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PACKAGES) lint
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(INSTALLED)

setup: $(INSTALLED)

db: setup
	mkdir -p instance
	$(FLASK) db upgrade

demo: packages-run db
	$(FLASK) documents dev-certs
	$(FLASK) demo seed
	$(FLASK) demo documents

run: packages-run demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# Renders signed assessments queued when REDIS_URL is set (e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker).
worker: packages-worker setup
	scripts/services.sh redis
	$(FLASK) documents worker

# The browser suite (tests/e2e) runs in Debian's chromium with axe-core and Lighthouse from npm; both are
# installed by the targets that run it. Screenshots land in test-artifacts/screenshots/, Lighthouse's reports in
# test-artifacts/lighthouse/.
AXE := tests/e2e/node_modules/axe-core/axe.min.js

$(AXE): tests/e2e/package.json
	cd tests/e2e && npm install --no-package-lock --no-audit --no-fund --silent
	touch $@

# The single sign-on tests start panva's oidc-provider from npm (tests/sso/provider.mjs) as their identity provider.
OIDC_PROVIDER := tests/sso/node_modules/oidc-provider/package.json

$(OIDC_PROVIDER): tests/sso/package.json
	cd tests/sso && npm install --no-package-lock --no-audit --no-fund --silent
	touch $@

# Ends with the time each part of the suite took (unit, SQLite, PostgreSQL, PDF, browser).
test: packages-test setup $(AXE) $(OIDC_PROVIDER)
	scripts/services.sh redis
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

e2e: packages-e2e setup $(AXE)
	$(BIN)/python -m pytest -q tests/e2e $(PYTEST_ARGS)

# Lighthouse alone (`make e2e` runs it too): each role's landing page, failing under 100 for accessibility or 95
# for best practices.
audit: packages-e2e setup $(AXE)
	$(BIN)/python -m pytest -q tests/e2e/test_lighthouse.py $(PYTEST_ARGS)

# 50 simulated users for 5 minutes against gunicorn on PostgreSQL; fails on any 5xx or lost answer.
load: packages-load setup
	scripts/services.sh postgresql
	$(BIN)/python -m pip install -q -r requirements-load.txt
	$(BIN)/python bench/load.py $(LOAD_ARGS)

# gunicorn workers and the RQ worker killed with SIGKILL mid-save and mid-render, PostgreSQL restarted under
# load, on a throwaway PostgreSQL 15 cluster of its own (needs /usr/lib/postgresql/15, runuser, Redis on
# 127.0.0.1:6379, whose database 7 it empties); fails on any lost answer, half-written state or broken audit chain.
faults: packages-faults setup
	scripts/services.sh redis
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)

# HTTP pages against their floors needs PostgreSQL on 127.0.0.1 and wrk; BENCH_ARGS="--applications 1000" is quicker.
# The PDF benchmark takes about 7 minutes (200 renders in one process); PDF_BENCH_ARGS="--renders 50" is quicker.
bench: packages-bench setup
	scripts/services.sh postgresql
	$(BIN)/python bench/section_page.py
	$(BIN)/python bench/pdf_render.py $(PDF_BENCH_ARGS)
	$(BIN)/python bench/http_pages.py $(BENCH_ARGS)

# bandit (no medium or high finding), the access-matrix, CSRF, throttling, header and XSS-corpus tests, then
# bounded wapiti and sqlmap scans of a throwaway server on 127.0.0.1 (reports in security-reports/).
# The scans use Debian's wapiti and sqlmap, which the target installs. See SECURITY.md.
SECURITY_TESTS := tests/test_access_matrix.py tests/security tests/auth/test_throttling.py
security: packages-security setup
	$(BIN)/bandit -q -r app -ll
	$(BIN)/python -m pytest -q -p no:warnings $(SECURITY_TESTS)
	$(BIN)/python -m pytest -q -p no:warnings tests -k csrf --ignore=tests/e2e --ignore=tests/security
	scripts/security-scan.sh

# mutmut on the modules listed in pyproject.toml's [tool.mutmut] with their fast tests; prints each module's kill
# rate (killed / mutants). Mutants are written under mutants/ (ignored by git); MUTMUT_ARGS="--max-children 1".
mutation: setup
	@$(PACKAGES) mutation
	rm -rf mutants
	$(BIN)/mutmut run $(MUTMUT_ARGS)
	$(BIN)/python scripts/mutation_summary.py

# ruff (lint, import order) and mypy (strict on app/core and app/questionnaires), configured in pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
