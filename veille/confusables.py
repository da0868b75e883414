"""Letters of another script that look Latin inside a Latin name (Hama with a Cyrillic a, U+0430), made Latin.

The look-alikes come from Unicode's confusables data as the `confusable_homoglyphs` package ships it
(confusables.json, with the scripts of code points in categories.json), never from a hand list: a
spammer's choice of letter is not ours to guess. Full-width and mathematical letters are not here:
they are compatibility forms, which NFKC/NFKD (veille.folding.fold) already turns into Latin.
"""

from __future__ import annotations

import json
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

_PACKAGE = "confusable_homoglyphs"
# Scripts whose letters are not "another script": Latin itself, and the letters every script shares
# (mathematical and letterlike symbols), which are compatibility forms of Latin letters.
_NOT_OTHER = frozenset({"LATIN", "COMMON", "INHERITED"})
# Right-to-left marks the data puts around Arabic and Hebrew characters to display them.
_MARKS = "\u200e\u200f"
# A word of look-alikes only is taken for Latin from this many letters: Cyrillic "AK" (U+0410 U+041A) is
# how Russian writes the rifle, not a disguise.
_MIN_DISGUISED_LETTERS = 3


def latin_lookalikes(word: str) -> str | None:
    """`word` with its look-alike letters of other scripts made Latin, when it is a Latin word in
    disguise: it has at least one Latin letter and at least one look-alike (mixed scripts), or every
    letter of it is a look-alike of a Latin letter and it has at least 3 letters; else None.

    A letter of another script with no Latin look-alike (Russian "Kalibr" has three: U+043B, U+0438,
    U+0431) makes it a real word of that script, never a Latin one: None. Digits, hyphens and other
    non-letters pass through as they are; full-width digits and letters are NFKC's to fold, not ours.
    """
    if word.isascii():
        return None
    table = lookalike_table()
    latin = _latin_letters()
    latin_count = lookalike_count = 0
    for char in word:
        if ord(char) in table:
            lookalike_count += 1
        elif char in latin:
            latin_count += 1
        elif char.isalpha():
            return None
    if not lookalike_count or (not latin_count and lookalike_count < _MIN_DISGUISED_LETTERS):
        return None
    return word.translate(table)


@cache
def lookalike_table() -> dict[int, str]:
    """The str.translate table: each letter of another script that looks like a Latin letter -> that letter."""
    data = _load("confusables.json")
    script = _script_of()
    candidates: dict[str, set[str]] = {}
    # Latin letters that look like each other ("l" and "I"): a capital look-alike the data ties to
    # "l" only (Greek capital iota U+0399, Cyrillic U+0406) can then take "I", of its own case.
    latin_group: dict[str, set[str]] = {}
    for key, homoglyphs in data.items():
        first = key.strip(_MARKS)
        for homoglyph in homoglyphs:
            second = str(homoglyph["c"]).strip(_MARKS)
            # The data lists each pair under one of its two characters only; both ways are read.
            for source, target in ((first, second), (second, first)):
                if _is_latin_target(target, script):
                    if _is_other_letter(source, script):
                        candidates.setdefault(source, set()).add(target)
                    elif _is_latin_target(source, script):
                        latin_group.setdefault(source, set()).add(target)
    table: dict[int, str] = {}
    for source, direct in candidates.items():
        indirect = {other for target in direct for other in latin_group.get(target, ())} - direct
        table[ord(source)] = _best(source, direct, indirect)
    _add_accented(table, script)
    return table


def _best(source: str, direct: set[str], indirect: set[str]) -> str:
    """The look-alike of the same case first, then one the data gives directly, then a plain a-z."""

    def rank(target: str) -> tuple[bool, bool, bool, str]:
        return (target.isupper() != source.isupper(), target not in direct, not target.isascii(), target)

    return min(direct | indirect, key=rank)


def _add_accented(table: dict[int, str], script: _Scripts) -> None:
    """A letter of another script that is a look-alike with accents (Cyrillic U+0451 is U+0435 and a
    diaeresis) -> the accented Latin letter (ë), when Unicode composes one."""
    scripts = {script(chr(code)) for code in table}
    for code in script.code_points(scripts):
        char = chr(code)
        if code in table or not _is_other_letter(char, script):
            continue
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        if marks and ord(base) in table and all(unicodedata.combining(mark) for mark in marks):
            latin = unicodedata.normalize("NFC", table[ord(base)] + "".join(marks))
            if len(latin) == 1:
                table[code] = latin


@cache
def _latin_letters() -> frozenset[str]:
    """Every letter of the Latin script (é, ß and ǅ too)."""
    data = _load("categories.json")
    aliases = data["iso_15924_aliases"]
    return frozenset(
        chr(code)
        for first, last, alias, _ in data["code_points_ranges"]
        if aliases[alias] == "LATIN"
        for code in range(first, last + 1)
        if unicodedata.category(chr(code)).startswith("L")
    )


class _Scripts:
    """The script of a character (LATIN, CYRILLIC, ...), from the package's ranges of code points."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._ranges: list[list[int]] = data["code_points_ranges"]
        self._starts = [first for first, *_ in self._ranges]
        self._aliases: list[str] = data["iso_15924_aliases"]

    def code_points(self, scripts: set[str]) -> Iterator[int]:
        """Every code point of `scripts`."""
        for first, last, alias, _ in self._ranges:
            if self._aliases[alias] in scripts:
                yield from range(first, last + 1)

    def __call__(self, char: str) -> str:
        index = bisect_right(self._starts, ord(char)) - 1
        if index < 0:
            return "UNKNOWN"
        first, last, alias, _ = self._ranges[index]
        return self._aliases[alias] if first <= ord(char) <= last else "UNKNOWN"


def _script_of() -> _Scripts:
    return _Scripts(_load("categories.json"))


def _is_latin_target(char: str, script: _Scripts) -> bool:
    """One Latin letter a-z or A-Z, with or without accents (not kra U+0138, alpha U+0251 or a full-width letter)."""
    if len(char) != 1 or not char.isalpha() or script(char) != "LATIN":
        return False
    base = unicodedata.normalize("NFD", char)[0]
    return base.isascii() and base.isalpha()


def _is_other_letter(char: str, script: _Scripts) -> bool:
    return len(char) == 1 and char.isalpha() and script(char) not in _NOT_OTHER


def _load(name: str) -> dict[str, Any]:
    # Read from the installed package, as its data: its own loader also reads the CONFUSABLE_DATA
    # variable, and nothing this deep reads the environment.
    data: dict[str, Any] = json.loads(resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8"))
    return data
