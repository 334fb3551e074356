# Solemate: `make run` serves the demo shop, `make test` runs the suite on SQLite.
# The system's python3.11 when it can make a venv, else the first python3.11 or python3 on
# PATH; `make PYTHON=...` chooses. Debian builds its python3.11 with profile-guided and
# link-time optimisation and links it statically: this app runs 14 % fewer instructions
# on it than on pyenv's default build (README, Performance).
PYTHON ?= $(firstword $(shell for p in /usr/bin/python3.11 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import ensurepip, venv' 2>/dev/null && command -v $$p; \
	done) python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql://postgres@127.0.0.1:5432/solemate_test

.PHONY: run serve worker test test-pg e2e bench load lint format install dev clean

$(BIN)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed
dev: $(BIN)/.dev-installed

run: $(BIN)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

serve: $(BIN)/.installed
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

worker: $(BIN)/.installed
	$(FLASK) jobs worker

test: $(BIN)/.dev-installed
	$(BIN)/pytest tests --ignore=tests/e2e

test-pg: $(BIN)/.dev-installed
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest tests --ignore=tests/e2e

e2e: $(BIN)/.dev-installed
	$(BIN)/pytest tests/e2e -p no:randomly

bench: $(BIN)/.dev-installed
	$(BIN)/python -m bench

load: $(BIN)/.dev-installed
	$(BIN)/python -m bench.load

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache
