# The commands of the README. Each creates .venv and installs the project first (once, and
# again when pyproject.toml or the version in veille/__init__.py changes), the French spaCy model included.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# The version is the package's metadata too (pyproject.toml reads it from veille/__init__.py): a new one reinstalls.
STAMP := $(VENV)/.installed-$(shell { cat pyproject.toml; grep __version__ veille/__init__.py; } | cksum | cut -d' ' -f1)
# Prefect shows a telemetry notice when it is first imported in a terminal, before our code runs:
# its other offline defaults are given by each entry point (flows/environment.py).
export DO_NOT_TRACK ?= 1

.PHONY: run test operate install clean

run: $(STAMP)
	$(VENV)/bin/python -m flows.monitor

operate: $(STAMP)
	$(VENV)/bin/python -m flows.operate

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) data .pytest_cache test-artifacts
