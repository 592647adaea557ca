# `make run` and `make test` set everything up themselves; see README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed

.PHONY: run test setup db demo worker bench

$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "Python's venv module is missing; installing python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(INSTALLED)

setup: $(INSTALLED)

db: setup
	mkdir -p instance
	$(FLASK) db upgrade

demo: db
	$(FLASK) dev-certs
	$(FLASK) seed-demo
	$(FLASK) seed-demo-documents

run: demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# Renders signed assessments queued when REDIS_URL is set (e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker).
worker: setup
	$(FLASK) worker

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/section_page.py
