"""A project folder for the operator's commands: the shipped config, VEILLE_* pointing into it, and its
real SQLite store, filled through the store API as a monitor run would fill it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import CONFIG
from veille.settings import load_settings
from veille.store.sql import SqlStore

SOURCES = """\
folders:
  - path: inbox
    name: inbox
feeds:
  - name: sana
    url: https://sana.example/rss
  - name: quiet
    url: https://quiet.example/rss
"""


def project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory of a project, with two feeds and a folder as its sources."""
    shutil.copytree(CONFIG, tmp_path / "config")
    (tmp_path / "config" / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    for name in list(os.environ):
        if name.startswith("VEILLE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def project_store() -> SqlStore:
    """The store the project's settings name (the caller closes it)."""
    return SqlStore.open(load_settings().database_url_value)
