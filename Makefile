# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint install install-test translations db lock bench audit

# Installs come from the lock files: exact versions with their hashes, the same on
# every machine. `make lock` refreshes them after a change to pyproject.toml.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-test.lock
	touch $@

## Refresh both lock files from pyproject.toml (uv resolves for every platform, with hashes).
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -q -o requirements.lock
	$(PYTHON) -m uv pip compile pyproject.toml --extra test --universal --python-version 3.11 --generate-hashes -q \
		-o requirements-test.lock
	$(PYTHON) -m uv pip compile pyproject.toml --extra perf --universal --python-version 3.11 --generate-hashes -q \
		-o requirements-perf.lock

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

MO := translations/id/LC_MESSAGES/messages.mo translations/en/LC_MESSAGES/messages.mo
translations: install $(MO)
$(MO) &: translations/id/LC_MESSAGES/messages.po translations/en/LC_MESSAGES/messages.po
	KOPZ_ENV=development $(PY) -m flask translate --compile-only >/dev/null

db: install translations
	KOPZ_ENV=development $(PY) -m flask db upgrade
	KOPZ_ENV=development $(PY) -m flask demo-data

## Serve the app with demo data on SQLite (instance/kopz.sqlite). Safe to run again.
run: db
	KOPZ_ENV=development $(PY) -m flask run --host $(HOST) --port $(PORT)

## Run the whole suite (set TEST_DATABASE_URL to run it on PostgreSQL).
test: install-test translations lint
	KOPZ_ENV=testing $(PY) -m pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .

## Known vulnerabilities in the locked versions (pip-audit, PyPI's advisory data); accepted ones in .ci/audit-ignore.
audit: install-test
	$(PY) .ci/audit.py

## The benchmark at Indonesia's scale (tests/perf/README.md): not part of `make test`. The load tool (locust)
## lives in its own virtualenv from requirements-perf.lock. BENCH_ARGS, e.g. "--db postgresql+psycopg://…/bench_small
## --scale small"; the data comes first: `flask --app wsgi bench-data --scale small` on that database.
PERF_VENV ?= .venv-perf
$(PERF_VENV)/.installed: requirements-perf.lock
	$(PYTHON) -m venv $(PERF_VENV)
	$(PERF_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-perf.lock
	touch $@

bench: install translations $(PERF_VENV)/.installed
	$(PY) -m tests.perf.run --locust $(PERF_VENV)/bin/locust $(BENCH_ARGS)
