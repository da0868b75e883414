"""The command line's check before Prefect starts: what it prints, and that a run stops there with exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import flows.common
from flows.common import precheck_configuration
from tests.conftest import CONFIG, ROOT
from tests.prefect_api import run_record


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The shipped config files in a folder of their own, and no VEILLE_ variable but those pointing there."""
    shutil.copytree(CONFIG, tmp_path / "config")
    for name in list(os.environ):
        if name.upper().startswith("VEILLE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(flows.common, "_warned", set())  # said once a process: once a test here
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_a_sound_configuration_passes_in_silence(project, capsys):
    assert precheck_configuration() is True
    assert capsys.readouterr().err == ""


def test_a_misspelt_variable_is_a_warning_that_names_the_setting_meant(project, capsys, monkeypatch):
    monkeypatch.setenv("VEILLE_DATABSE_URL", "postgresql+psycopg://u:canary-s3cret@127.0.0.1/test")
    assert precheck_configuration() is True
    assert capsys.readouterr().err == (
        "veille: warning: VEILLE_DATABSE_URL is not a setting; did you mean VEILLE_DATABASE_URL?\n"
    )


def test_the_warning_comes_before_the_error_it_may_explain(project, capsys, monkeypatch):
    monkeypatch.setenv("VEILLE_WATCHLIST_FLE", "elsewhere.yaml")
    (project / "config" / "watchlist.yaml").unlink()
    assert precheck_configuration() is False
    assert capsys.readouterr().err.splitlines() == [
        "veille: warning: VEILLE_WATCHLIST_FLE is not a setting; did you mean VEILLE_WATCHLIST_FILE?",
        "veille: config/watchlist.yaml: file not found",
    ]


def test_a_file_s_problems_print_under_one_headline(project, capsys):
    path = project / "config" / "watchlist.yaml"
    path.write_text("entries:\n  - id: hama\n    kind: town\n    name: Hama\n    aliasses: [Hamah]\n", encoding="utf-8")
    assert precheck_configuration() is False
    assert capsys.readouterr().err.splitlines() == [
        "veille: config/watchlist.yaml: 2 problems",
        "  config/watchlist.yaml:3:5: entries[0].kind: Input should be 'place' or 'weapon'",
        "  config/watchlist.yaml:5:5: entries[0].aliasses: unknown key; did you mean 'aliases'?",
    ]


@pytest.mark.e2e
def test_a_spacy_model_that_is_not_installed_stops_the_run_command_in_one_line(project):
    env = dict(os.environ) | {
        "VEILLE_SPACY_MODEL": "fr_core_news_lg",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "flows.monitor"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr == (
        "veille: VEILLE_SPACY_MODEL: spaCy model 'fr_core_news_lg' is not installed: "
        "install it with `python -m spacy download fr_core_news_lg`, or name an installed one\n"
    )


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_logs_the_warning_and_a_file_s_problems_one_a_line(project, monkeypatch):
    from flows.monitor import monitor

    monkeypatch.setenv("VEILLE_DATABSE_URL", "postgresql+psycopg://u:canary-s3cret@127.0.0.1/test")
    path = project / "config" / "watchlist.yaml"
    path.write_text("entries:\n  - id: hama\n    kind: town\n    name: Hama\n    aliasses: [Hamah]\n", encoding="utf-8")

    state = monitor(return_state=True)

    assert state.is_failed()
    expected = "\n".join(
        [
            "config/watchlist.yaml: 2 problems",
            "  config/watchlist.yaml:3:5: entries[0].kind: Input should be 'place' or 'weapon'",
            "  config/watchlist.yaml:5:5: entries[0].aliasses: unknown key; did you mean 'aliases'?",
        ]
    )
    assert state.message == expected
    logs = run_record(state.state_details.flow_run_id).logs
    assert "VEILLE_DATABSE_URL is not a setting; did you mean VEILLE_DATABASE_URL?" in logs
    assert expected in logs, "logged with its line breaks, not escaped into one line"
    assert not any("canary-s3cret" in line for line in logs)


def test_a_missing_spacy_model_is_one_line_and_no_concern_of_a_command_that_reads_no_text(project, capsys, monkeypatch):
    monkeypatch.setenv("VEILLE_SPACY_MODEL", "fr_core_news_lg")
    assert precheck_configuration() is False
    assert capsys.readouterr().err.splitlines() == [
        "veille: VEILLE_SPACY_MODEL: spaCy model 'fr_core_news_lg' is not installed: "
        "install it with `python -m spacy download fr_core_news_lg`, or name an installed one"
    ]
    assert precheck_configuration(needs_model=False) is True, "the digest and release load no model"
    assert capsys.readouterr().err == ""
