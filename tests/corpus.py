"""The feed corpus: the test files of feedparser's own suite, real feeds that are hostile on purpose.

The full corpus (about 1,440 files) lives beside the repository, in ../shared/feeds/feedparser-tests,
which CI always has; a user's clone has only the subset vendored in tests/data/feeds (28 files, the same
folders, the licence kept), each with the Articles expected from it beside it (NAME.expected.json).
Tests over "the corpus" read the full one when it is there, else the subset: they never skip.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT, SHARED

FULL_CORPUS = SHARED / "feeds" / "feedparser-tests"
VENDORED = ROOT / "tests" / "data" / "feeds"
CORPUS = FULL_CORPUS if FULL_CORPUS.is_dir() else VENDORED
EXPECTED_SUFFIX = ".expected.json"
_HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.M)


def feed_files(root: Path) -> list[Path]:
    """Every feed file under `root`: not the licence, nor an expected parse."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.name != "LICENSE" and not path.name.endswith(EXPECTED_SUFFIX)
    )


def corpus_files(folder: str) -> list[Path]:
    """The corpus's feed files under `folder` ("wellformed/sanitize", "encoding", ...)."""
    return feed_files(CORPUS / folder)


def served_headers(path: Path, data: bytes) -> dict[str, str]:
    """The file's own `Header:` lines, else what a web server would send for its extension."""
    headers = {m.group(1).decode(): m.group(2).decode() for m in _HEADER.finditer(data[:4000])}
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json" if path.suffix == ".json" else "application/xml"
    return headers
