"""fold's quick path for ASCII text and its one-pass general path give what the step-by-step definition gives."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from veille.folding import _APOSTROPHES, _HYPHENS, _LIGATURES, fold


def defined_fold(text: str) -> str:
    """fold as first written: NFKD, combining marks dropped, casefold, each apostrophe and hyphen replaced."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.casefold()
    for char in _APOSTROPHES:
        text = text.replace(char, "'")
    for char in _HYPHENS:
        text = text.replace(char, "-")
    return text


def test_every_character_folds_as_defined():
    differing = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and fold(chr(code)) != defined_fold(chr(code))
    ]

    assert not differing


@pytest.mark.parametrize(
    "text",
    [
        "Deir ez-Zor",
        "DEIR EZ‑ZOR",  # a non-breaking hyphen
        "d’Alep, l`Irak",
        "Œuvre de Ḥamāh",
        "Kalachnikovs ﬁn",  # a ligature NFKD decomposes
        "\uff24eir\uff0dez\uff0d\uff3aor",  # full-width letters and hyphens
        "Straße ΣΊΣΥΦΟΣ",
        "e\u0301e\u0301",  # accents written apart
        "",
        "\x00\x1f\x7f",
    ],
)
def test_words_fold_as_defined(text):
    assert fold(text) == defined_fold(text)
