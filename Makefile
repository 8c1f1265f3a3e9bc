# Two commands run everything:  `make demo`  and  `make test`.
# Each creates its own virtualenv (VENV) with PYTHON and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
# Extra requirement to pin, e.g. DJANGO='django>=6.0,<6.1' for the Django 6.0 leg.
DJANGO ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell printf '%s' '$(DJANGO)' | cksum | cut -d' ' -f1)

.PHONY: install demo test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --editable . --group dev $(if $(DJANGO),"$(DJANGO)")
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## demo: migrate, seed and run the demo shop with remarket live (SQLite, http://127.0.0.1:8000)
demo: install
	$(BIN)/python example_project/demo.py

## test: lint, format check, the whole suite on SQLite, then the database-sensitive tests on
## a throwaway PostgreSQL (tests/servers.py starts it, and Redis, from the installed binaries)
test: install lint
	$(BIN)/python -m pytest
	REMARKET_TEST_DB=postgres $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-* var .pytest_cache .ruff_cache *.egg-info
