# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install install-test translations db

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

translations: install
	KOPZ_ENV=development $(PY) -m flask translate --compile-only >/dev/null

db: install translations
	KOPZ_ENV=development $(PY) -m flask db upgrade
	KOPZ_ENV=development $(PY) -m flask demo-data

## Serve the app with demo data on SQLite (instance/kopz.sqlite). Safe to run again.
run: db
	KOPZ_ENV=development $(PY) -m flask run --host $(HOST) --port $(PORT)

## Run the whole suite (set TEST_DATABASE_URL to run it on PostgreSQL).
test: install-test translations
	KOPZ_ENV=testing $(PY) -m pytest $(PYTEST_ARGS)
