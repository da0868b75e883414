"""Prefect's offline defaults hold whatever was imported first, and never override the user's environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from flows.environment import OFFLINE_DEFAULTS, with_offline_defaults
from tests.conftest import ROOT

PROBE = """
import prefect  # first, on purpose: the defaults must not depend on coming before it
from prefect.settings import get_current_settings
from flows.environment import offline_defaults
import os
with offline_defaults():
    settings = get_current_settings()
    print(settings.server.ephemeral.startup_timeout_seconds, settings.server.analytics_enabled,
          settings.server.logging_level, os.environ.get("DO_NOT_TRACK"))
"""


def test_a_process_veille_starts_gets_the_defaults_its_environment_does_not_set():
    env = with_offline_defaults({"PATH": "/bin", "PREFECT_SERVER_LOGGING_LEVEL": "DEBUG"})
    assert env["PREFECT_SERVER_LOGGING_LEVEL"] == "DEBUG", "the user's value wins"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"
    assert env["PATH"] == "/bin"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, "120 False CRITICAL 1"),
        ({"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "77", "DO_NOT_TRACK": "0"}, "77 False CRITICAL 0"),
    ],
)
def test_the_defaults_hold_after_prefect_was_imported_and_yield_to_the_environment(given, expected):
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_DEFAULTS} | given | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == expected
