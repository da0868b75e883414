# The commands of the README. Each creates .venv and installs the project first (once, and
# again when pyproject.toml or the version in veille/__init__.py changes), the French spaCy model included.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# The version is the package's metadata too (pyproject.toml reads it from veille/__init__.py): a new one reinstalls.
STAMP := $(VENV)/.installed-$(shell { cat pyproject.toml; grep __version__ veille/__init__.py; } | cksum | cut -d' ' -f1)
# Prefect shows a telemetry notice when it is first imported in a terminal, before our code runs:
# its other offline defaults are given by each entry point (flows/environment.py).
export DO_NOT_TRACK ?= 1

.PHONY: run test check lint types format operate install clean

run: $(STAMP)
	$(VENV)/bin/python -m flows.monitor

operate: $(STAMP)
	$(VENV)/bin/python -m flows.operate

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Before every commit, in under a minute: lint, types, and the tests marked fast (no Prefect harness,
# no PostgreSQL, no subprocess: the list is FAST_FILES in tests/conftest.py). `make test` is the whole suite.
check: lint types
	$(VENV)/bin/python -m pytest -m fast -q $(PYTEST_ARGS)

# .ci/run runs these two before the tests: a lint or type error fails CI.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

# Rewrites files with the formatter (after a merge, say: commit its result on its own).
format: $(STAMP)
	$(VENV)/bin/ruff format .

install: $(STAMP)

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) data .pytest_cache test-artifacts
