# Two commands run everything:  `make demo`  and  `make test`.
# Each creates its own virtualenv (VENV) with PYTHON and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
# Extra requirement to pin, e.g. DJANGO='django>=6.0,<6.1' for the Django 6.0 leg.
DJANGO ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell printf '%s' '$(DJANGO)' | cksum | cut -d' ' -f1)
# django-oscar gets a virtualenv of its own, so the main suite proves it never needs Oscar.
OSCAR_VENV ?= $(VENV)-oscar
OSCAR_BIN := $(OSCAR_VENV)/bin
OSCAR_STAMP := $(OSCAR_VENV)/.installed-$(shell printf '%s' '$(DJANGO)' | cksum | cut -d' ' -f1)

.PHONY: install install-oscar demo demo-oscar test test-oscar lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --editable . --group dev $(if $(DJANGO),"$(DJANGO)")
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

$(OSCAR_STAMP): pyproject.toml
	$(PYTHON) -m venv $(OSCAR_VENV)
	$(OSCAR_BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(OSCAR_BIN)/python -m pip install --quiet --editable ".[oscar]" --group test-oscar $(if $(DJANGO),"$(DJANGO)")
	rm -f $(OSCAR_VENV)/.installed-*
	touch $@

install-oscar: $(OSCAR_STAMP)

## demo: migrate, seed and run the demo shop with remarket live (SQLite, http://127.0.0.1:8000)
demo: install
	$(BIN)/python example_project/demo.py

## demo-oscar: the same story on a django-oscar shop, scripted (SQLite in var/oscar)
demo-oscar: install-oscar
	$(OSCAR_BIN)/python example_oscar/demo.py

## test: lint, format check, the whole suite on SQLite, then the database-sensitive tests on
## a throwaway PostgreSQL (tests/servers.py starts it, and Redis, from the installed binaries),
## then the django-oscar tests in their own virtualenv and settings
test: install lint
	$(BIN)/python -m pytest
	REMARKET_TEST_DB=postgres $(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-oscar

## test-oscar: remarket on the real django-oscar (tests/oscar, settings tests.oscar.settings),
## on SQLite then on a throwaway PostgreSQL
OSCAR_PYTEST := $(OSCAR_BIN)/python -m pytest --confcutdir=tests/oscar \
	--ds=tests.oscar.settings --nomigrations tests/oscar
test-oscar: install-oscar
	$(OSCAR_PYTEST)
	REMARKET_TEST_DB=postgres $(OSCAR_PYTEST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-* var .pytest_cache .ruff_cache *.egg-info
