"""Find watched entries in a stream of tokens by their normalised keys; a spaCy component wraps it.

A name is found by joining the keys of consecutive tokens, so that spaces, hyphens and case never
matter ("Deir ez zor" is Deir ez-Zor). A code is different: "Su-24", "Su24" and "SU-24" are one
name, but "il l'a su 24 heures" is prose. So a space between a letter part and a digit part (or
between two digit parts) joins them only where the spelling itself has a space there
("S-400 Triumph", "BM-21 Grad").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from veille.folding import compact, is_elision, is_glue, plural_stems, token_key
from veille.watchlist import WatchList

SPANS_KEY = "veille"
# The longest name we look for, in tokens ("Forces démocratiques syriennes" with hyphens is ~8).
MAX_NAME_TOKENS = 16


@dataclass(frozen=True)
class TokenKeys:
    """How one token can take part in a name: its own key, inflected variants, or as glue."""

    key: str
    variants: tuple[str, ...] = ()
    glue: bool = False
    # An elided word ("d’") can sit inside a name ("baril d’explosifs") but never starts one.
    inner_only: bool = False
    # Whitespace follows the token, or is the token: where it touches a digit, it separates two words.
    spaced: bool = False


class AliasIndex:
    """Every spelling's compact key, pointing to its entry."""

    def __init__(
        self, owners: dict[str, str], inflectable: Iterable[str], spaces: dict[str, frozenset[int]] | None = None
    ) -> None:
        self._owners = owners
        self._inflectable = frozenset(inflectable)
        self._prefixes = {key[:end] for key in owners for end in range(1, len(key) + 1)}
        # For each key, the offsets where one of its spellings has a space: "s400triumph" -> {4}.
        self._spaces = spaces or {}

    @classmethod
    def from_watchlist(cls, watchlist: WatchList) -> AliasIndex:
        spellings = [(spelling, entry.id) for entry in watchlist.entries for spelling in entry.spellings]
        owners = {compact(spelling): entry_id for spelling, entry_id in spellings}
        spaces: dict[str, frozenset[int]] = {}
        for spelling, _ in spellings:
            key = compact(spelling)
            spaces[key] = spaces.get(key, frozenset()) | space_offsets(spelling)
        return cls(owners, (entry.id for entry in watchlist.entries if entry.matches_inflections), spaces)

    def find(self, tokens: Sequence[TokenKeys]) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, entry_id) token ranges, longest match first, left to right."""
        found = []
        start = 0
        while start < len(tokens):
            match = self._longest_at(tokens, start)
            if match is None:
                start += 1
            else:
                found.append(match)
                start = match[1]
        return found

    def _longest_at(self, tokens: Sequence[TokenKeys], start: int) -> tuple[int, int, str] | None:
        first = tokens[start]
        if first.glue or first.inner_only or not first.key:
            return None
        # Each state: the key built so far, whether an inflected variant went into it, and the
        # offsets in it where a space joined a digit part to another part.
        states: set[tuple[str, bool, tuple[int, ...]]] = {("", False, ())}
        best = None
        spaced = False
        for end in range(start, min(len(tokens), start + MAX_NAME_TOKENS)):
            token = tokens[end]
            if token.glue:
                spaced = spaced or token.spaced
                continue
            if not token.key:
                break
            choices = [(token.key, False)] + [(variant, True) for variant in token.variants]
            states = {
                (built + key, inflected or from_variant, joins + _digit_join(built, key, spaced))
                for built, inflected, joins in states
                for key, from_variant in choices
                if built + key in self._prefixes
            }
            if not states:
                break
            for built, inflected, joins in states:
                owner = self._owners.get(built)
                if (
                    owner is not None
                    and (not inflected or owner in self._inflectable)
                    and self._spaces.get(built, frozenset()).issuperset(joins)
                ):
                    best = (start, end + 1, owner)
            spaced = token.spaced
        return best


def _digit_join(built: str, key: str, spaced: bool) -> tuple[int, ...]:
    """The offset where `key` joins `built` across a space touching a digit ("su" + "24"), else nothing."""
    if built and spaced and (built[-1].isdigit() or key[0].isdigit()):
        return (len(built),)
    return ()


def space_offsets(spelling: str) -> frozenset[int]:
    """The offsets in the compact key of `spelling` where it has a space: "S-400 Triumph" -> {4}."""
    offsets, length = set(), 0
    for word in spelling.split()[:-1]:
        length += len(compact(word))
        offsets.add(length)
    return frozenset(offsets)


def keys_of(token: Token) -> TokenKeys:
    """The keys of a spaCy token: text, lemma and plural stems, or glue."""
    return text_keys(token.text, token.lemma_, token.is_space, bool(token.whitespace_))


# Words repeat (Zipf): folding each distinct (text, lemma) once makes the matcher several times faster.
@lru_cache(maxsize=200_000)
def text_keys(text: str, lemma: str, is_space: bool, space_after: bool) -> TokenKeys:
    """The keys of a token given as its text and lemma (what keys_of reads off spaCy's token)."""
    if is_space or is_glue(text):
        return TokenKeys("", glue=is_glue(text), spaced=space_after or text.isspace())
    if is_elision(text):
        # "d’" before "al-Boukamal" belongs to the sentence, not to the name.
        return TokenKeys(compact(text), inner_only=True, spaced=space_after)
    key = token_key(text)
    variants = {token_key(lemma)} if lemma else set()
    variants.update(plural_stems(key))
    variants.discard(key)
    variants.discard("")
    return TokenKeys(key, tuple(sorted(variants)), spaced=space_after)


class WatchMatcher:
    """spaCy component: puts every watched-entry match in doc.spans[spans_key], labelled by entry id."""

    def __init__(self, spans_key: str = SPANS_KEY) -> None:
        self.spans_key = spans_key
        self.index = AliasIndex({}, ())

    def set_watchlist(self, watchlist: WatchList) -> None:
        self.index = AliasIndex.from_watchlist(watchlist)

    def __call__(self, doc: Doc) -> Doc:
        tokens = [keys_of(token) for token in doc]
        doc.spans[self.spans_key] = [
            Span(doc, start, end, label=entry_id) for start, end, entry_id in self.index.find(tokens)
        ]
        return doc


@Language.factory("veille_watch_matcher", default_config={"spans_key": SPANS_KEY})
def make_watch_matcher(nlp: Language, name: str, spans_key: str) -> WatchMatcher:
    return WatchMatcher(spans_key=spans_key)
