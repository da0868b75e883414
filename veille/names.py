"""Source names: how a source is known in the database, the run summary and a run's `sources` parameter.

A name is an identity: articles are stored per (source name, key), so a name must never depend on
where Veille runs from, and is built here only.
"""

from __future__ import annotations

import os
from pathlib import Path

FEED_PREFIX = "feed:"
FOLDER_PREFIX = "folder:"


def feed_source_name(feed_name: str) -> str:
    """`feed:NAME`, NAME being the feed's `name` in sources.yaml."""
    return f"{FEED_PREFIX}{feed_name}"


def folder_source_name(path: Path, label: str | None = None) -> str:
    """`folder:LABEL`, else `folder:` and the folder's absolute path, whatever the working directory."""
    return f"{FOLDER_PREFIX}{label}" if label else f"{FOLDER_PREFIX}{printable_path(os.path.abspath(path))}"


def printable_path(path: str) -> str:
    """A file name as text: bytes that are not UTF-8 (a Latin-1 name from an archive) written as \\xe9.

    Stable and distinct for every name, so it can be a key; the raw name could not be stored at all.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")
