"""Fuzzy matching of long names, for the entries that ask (`fuzzy` in the watch list).

A typo or a transliteration the variants do not know ("Dier ez-Zor", "Kalachnikof") still matches,
at the similarity the entry sets (rapidfuzz's ratio on the compact keys). Only names of at least
FUZZY_MIN_LETTERS letters, and only from a capitalised word: a short name is one letter from too many
words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from veille.extract.spellings import Spelling
from veille.folding import compact
from veille.watchlist import FUZZY_MIN_LETTERS, WatchList

if TYPE_CHECKING:
    from veille.extract.matcher import TokenKeys


@dataclass(frozen=True)
class FuzzyName:
    entry_id: str
    key: str
    words: int
    similarity: float


class FuzzyNames:
    """The long names of the entries that ask for `fuzzy`, by first letter."""

    def __init__(self, by_letter: dict[str, list[FuzzyName]]) -> None:
        self._by_letter = by_letter

    @classmethod
    def of(cls, watchlist: WatchList, spellings: Iterable[Spelling]) -> FuzzyNames:
        by_letter: dict[str, list[FuzzyName]] = {}
        for spelling in spellings:
            entry = watchlist.get(spelling.entry_id)
            similarity = entry.fuzzy_similarity if entry is not None else None
            key = compact(spelling.text)
            if similarity is None or sum(char.isalpha() for char in key) < FUZZY_MIN_LETTERS:
                continue
            words = len([word for word in _WORDS.split(spelling.text) if word])
            by_letter.setdefault(key[0], []).append(FuzzyName(spelling.entry_id, key, words, similarity))
        return cls(by_letter)

    def may_start(self, first: TokenKeys) -> bool:
        """Whether a long name may start at a token with these keys (match_at's first test)."""
        return bool(first.key and first.capital and not first.glue and self._by_letter.get(first.key[:1]))

    def match_at(self, tokens: Sequence[TokenKeys], start: int) -> tuple[int, int, str, str] | None:
        """The most similar long name starting at `start` (a capitalised word), if similar enough."""
        first = tokens[start]
        names = self._by_letter.get(first.key[:1]) if first.key and first.capital and not first.glue else None
        if not names:
            return None
        # The keys of up to 5 words from `start`, with the token each ends at.
        built, end = "", start
        ends: list[tuple[str, int]] = []
        while end < len(tokens) and len(ends) < 5:
            token = tokens[end]
            if not token.glue:
                if not token.key or (token.inner_only and not ends):
                    break
                built += token.key
                ends.append((built, end + 1))
            end += 1
        best: tuple[float, int, str] | None = None
        for name in names:
            for count in (name.words - 1, name.words, name.words + 1):
                if not 1 <= count <= len(ends):
                    continue
                candidate, stop = ends[count - 1]
                if abs(len(candidate) - len(name.key)) > 3:
                    continue
                similarity = fuzz.ratio(candidate, name.key) / 100
                if similarity >= name.similarity and (best is None or similarity > best[0]):
                    best = (similarity, stop, name.entry_id)
        return (start, best[1], best[2], "fuzzy") if best is not None else None


_WORDS = re.compile(r"[\s\-'’]+")
