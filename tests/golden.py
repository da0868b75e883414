"""Golden files under tests/data/: compare, or rewrite with VEILLE_REGENERATE_GOLDEN=1 (tests/data/README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
REGENERATE = os.environ.get("VEILLE_REGENERATE_GOLDEN") == "1"


def assert_matches_golden(path: Path, actual: str) -> None:
    """`actual` is the content of `path`; with VEILLE_REGENERATE_GOLDEN=1, `path` is rewritten to it instead."""
    shown = path.relative_to(ROOT)
    if REGENERATE:
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="\n")
            pytest.skip(f"rewrote {shown}: read its git diff before committing")
        return
    assert path.exists(), f"{shown} is missing: VEILLE_REGENERATE_GOLDEN=1 writes it (tests/data/README.md)"
    assert actual == path.read_text(encoding="utf-8"), f"{shown} differs (tests/data/README.md)"
