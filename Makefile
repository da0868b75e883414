# The commands of the README. Each creates .venv and installs the project first (once, and
# again when pyproject.toml or the version in veille/__init__.py changes), the French spaCy model included:
# `make run` and `make operate` what running needs, `make test` and the checks the test and dev tools too.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# The version is the package's metadata too (pyproject.toml reads it from veille/__init__.py): a new one reinstalls.
HASH := $(shell { cat pyproject.toml; grep __version__ veille/__init__.py; } | cksum | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
TEST_STAMP := $(VENV)/.installed-test-$(HASH)
PIP := $(VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar on
# Prefect shows a telemetry notice when it is first imported in a terminal, before our code runs:
# its other offline defaults are given by each entry point (flows/environment.py).
export DO_NOT_TRACK ?= 1

.PHONY: run test check lint types format operate bench install install-test clean clean-data

run: $(RUN_STAMP)
	$(VENV)/bin/veille run

operate: $(RUN_STAMP)
	$(VENV)/bin/veille operate

test: $(TEST_STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Every benchmark of bench/ side by side (about 25 min; BENCH_ARGS=--quick for a few): writes BENCHMARKS.md and .json.
bench: $(TEST_STAMP)
	$(VENV)/bin/python -m bench $(BENCH_ARGS)

# Before every commit, in under a minute: lint, types, and the tests marked fast (no Prefect harness,
# no PostgreSQL, no subprocess: the list is FAST_FILES in tests/conftest.py). `make test` is the whole suite.
check: lint types
	$(VENV)/bin/python -m pytest -m fast -q $(PYTEST_ARGS)

# .ci/run runs these two before the tests: a lint or type error fails CI.
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(TEST_STAMP)
	$(VENV)/bin/mypy

# Rewrites files with the formatter (after a merge, say: commit its result on its own).
format: $(TEST_STAMP)
	$(VENV)/bin/ruff format .

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

$(RUN_STAMP):
	@echo "Installing Veille into $(VENV) (once; about a minute)"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	rm -f $(VENV)/.installed-run-*
	touch $@

# The test extras hold what running needs too: both stamps are good afterwards.
$(TEST_STAMP):
	@echo "Installing Veille with its test and dev tools into $(VENV) (once)"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test,dev]'
	rm -f $(VENV)/.installed-*
	touch $(RUN_STAMP) $@

# The environment and what the tests leave; data/ (the database, the alert log, Prefect's runs) stays.
clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

# Veille's state, on purpose: every stored article and alert (a new database alerts on them again).
clean-data:
	@echo "Deleting data/: the database (veille.db), the alert log (alerts.jsonl), the journal of sends and Prefect's runs (data/prefect)"
	rm -rf data
