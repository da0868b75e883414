"""Find watched entries in a stream of tokens by their normalised keys; a spaCy component wraps it.

Each match says how it was found (`matched_by`): "alias" (a spelling of the watch list, exactly),
"thesaurus" or "gazetteer" (a spelling those bring, exactly), "fold" (a spelling variant,
veille.extract.variants, or letters of another script that look Latin, veille.confusables).

A name is found by joining the keys of consecutive tokens, so that spaces, hyphens and case never
matter ("Deir ez zor" is Deir ez-Zor). A code is different: "Su-24", "Su24" and "SU-24" are one
name, but "il l'a su 24 heures" is prose. So a space between a letter part and a digit part (or
between two digit parts) joins them only where the spelling itself has a space there
("S-400 Triumph", "BM-21 Grad").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from veille.confusables import latin_lookalikes
from veille.extract.fuzzy import FuzzyNames
from veille.extract.spellings import Spelling, watched_spellings
from veille.extract.variants import (
    STRONG_ARTICLES,
    WEAK_ARTICLES,
    foldable,
    join,
    spelling_skeletons,
    word_forms,
    word_skeleton,
)
from veille.folding import compact, fold, is_elision, is_glue, plural_stems, token_key
from veille.watchlist import WatchEntry, WatchList

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
    # The skeletons of the token (veille.extract.variants), each with whether it is an inflected form.
    folds: tuple[tuple[str, bool], ...] = ()
    # The Arabic article: 2 a word that is only that ("al", "el"), 1 one that may be ("ar", "es").
    article: int = 0
    # Glue with a hyphen in it: what ties a weak article to its name ("Ar-Raqqah").
    hyphen: bool = False
    # The key was read after folding letters of another script that look Latin (a Cyrillic a, U+0430, in "Hama").
    disguised: bool = False
    # The token has a capital: "SU 24" is a code, "su 24 heures" is prose.
    capital: bool = False
    # The key without a weapon's version glued to it ("tow2a" -> "tow", "bgm71e" -> "bgm71").
    versions: tuple[str, ...] = ()
    # The word ends with a hyphen ("Su-" before a line break): what follows is the same name.
    hyphen_end: bool = False


# How a match was found: the spelling's origin, or "fold".
Owner = tuple[str, str]


class AliasIndex:
    """Every spelling's compact key and skeleton, pointing to its entry."""

    def __init__(
        self,
        owners: dict[str, Owner],
        inflectable: Iterable[str],
        spaces: dict[str, frozenset[int]] | None = None,
        skeletons: dict[str, str] | None = None,
    ) -> None:
        self._owners = owners
        self._inflectable = frozenset(inflectable)
        self._prefixes = {key[:end] for key in owners for end in range(1, len(key) + 1)}
        # For each key, the offsets where one of its spellings has a space: "s400triumph" -> {4}.
        self._spaces = spaces or {}
        self._skeletons = skeletons or {}
        self._skeleton_prefixes = {key[:end] for key in self._skeletons for end in range(len(key) + 1)}
        self._fuzzy = FuzzyNames({})

    @classmethod
    def from_watchlist(
        cls, watchlist: WatchList, spellings: Iterable[Spelling] | None = None, variants: bool = True
    ) -> AliasIndex:
        """The index of every spelling of `watchlist` (veille.extract.spellings), and without `variants`
        no skeletons: exact spellings only."""
        spellings = list(spellings if spellings is not None else watched_spellings(watchlist))
        owners: dict[str, Owner] = {}
        spaces: dict[str, frozenset[int]] = {}
        for spelling in spellings:
            key = compact(spelling.text)
            owners.setdefault(key, (spelling.entry_id, spelling.origin))
            spaces[key] = spaces.get(key, frozenset()) | space_offsets(spelling.text)
        folding = {entry.id for entry in watchlist.entries if entry.fold and variants}
        claims: dict[str, set[str]] = {}
        for spelling in spellings:
            if spelling.entry_id in folding and foldable(spelling.text):
                for skeleton in spelling_skeletons(spelling.text):
                    claims.setdefault(skeleton, set()).add(spelling.entry_id)
            if spelling.entry_id in folding:
                for part in weapon_name_parts(spelling.text, watchlist.get(spelling.entry_id)):
                    claims.setdefault(part, set()).add(spelling.entry_id)
        # A skeleton two entries share names neither: a variant must never guess between them.
        skeletons = {skeleton: next(iter(ids)) for skeleton, ids in claims.items() if len(ids) == 1}
        inflectable = (entry.id for entry in watchlist.entries if entry.matches_inflections)
        index = cls(owners, inflectable, spaces, skeletons)
        index._fuzzy = FuzzyNames.of(watchlist, spellings) if variants else FuzzyNames({})
        return index

    def find(
        self, tokens: Sequence[TokenKeys], starts: Sequence[bool] | None = None
    ) -> list[tuple[int, int, str, str]]:
        """Non-overlapping (start, end, entry_id, matched_by) token ranges, longest first, left to right.

        At each token an exact spelling is tried first, then a variant. `starts`, where given, is
        `may_start` of each token: a caller that has it for a word already need not pay for it again.
        """
        found = []
        start = 0
        while start < len(tokens):
            if starts is not None and not starts[start]:
                start += 1
                continue
            match = (
                self._longest_at(tokens, start)
                or self._longest_variant_at(tokens, start)
                or self._fuzzy.match_at(tokens, start)
            )
            if match is None:
                start += 1
            else:
                found.append(match)
                start = match[1]
        return found

    def _longest_at(self, tokens: Sequence[TokenKeys], start: int) -> tuple[int, int, str, str] | None:
        first = tokens[start]
        if first.glue or first.inner_only or not first.key or not self._may_start_spelling(first):
            return None
        # Each state: the key built so far, whether an inflected variant went into it, and the
        # offsets in it where a space joined a digit part to another part.
        states: set[tuple[str, bool, tuple[int, ...], bool]] = {("", False, (), False)}
        best = None
        spaced = False
        for end in range(start, min(len(tokens), start + MAX_NAME_TOKENS)):
            token = tokens[end]
            if token.glue:
                spaced = spaced or token.spaced
                continue
            if not token.key:
                break
            # (key, inflected, a version cut off): a version reads the entry's code, as a variant does.
            choices = [(token.key, False, False)] + [(variant, True, False) for variant in token.variants]
            if self._skeletons:  # versions are variants: the matcher without them reads codes as written
                choices += [(version, True, True) for version in token.versions]
            states = {
                (built + key, inflected or from_variant, joins + _digit_join(built, key, spaced), versioned or cut)
                for built, inflected, joins, versioned in states
                for key, from_variant, cut in choices
                if built + key in self._prefixes
            }
            if not states:
                break
            for built, inflected, joins, versioned in states:
                owner = self._owners.get(built)
                if (
                    owner is not None
                    and (not inflected or owner[0] in self._inflectable)
                    and self._spaces.get(built, frozenset()).issuperset(joins)
                ):
                    disguised = versioned or any(tokens[i].disguised for i in range(start, end + 1))
                    best = (start, end + 1, owner[0], "fold" if disguised else owner[1])
            spaced = token.spaced
        return best

    def may_start(self, first: TokenKeys) -> bool:
        """Whether any name may start at a token with these keys: False only where find would try all three
        ways and find nothing there."""
        if first.glue or first.inner_only or not first.key:
            return False
        return self._may_start_spelling(first) or self._may_start_variant(first) or self._fuzzy.may_start(first)

    def _may_start_spelling(self, first: TokenKeys) -> bool:
        """Whether a spelling starts with one of the first token's keys: the first step of _longest_at, without
        its states (most words of a text start none)."""
        prefixes = self._prefixes
        if first.key in prefixes or any(variant in prefixes for variant in first.variants):
            return True
        return bool(self._skeletons) and any(version in prefixes for version in first.versions)

    def _may_start_variant(self, first: TokenKeys) -> bool:
        """Whether a watched skeleton starts with one of the first token's, or the token is an article that may
        be left out: the first step of _longest_variant_at."""
        # A one-letter word ("à") never starts a variant: its letter would merge into the name ("à Alep").
        if not self._skeletons or not first.folds or len(first.key) < 2:
            return False
        return first.article != 0 or any(join("", skeleton) in self._skeleton_prefixes for skeleton, _ in first.folds)

    def _longest_variant_at(self, tokens: Sequence[TokenKeys], start: int) -> tuple[int, int, str, str] | None:
        """The longest name starting at `start` whose skeleton is a watched spelling's (veille.extract.variants)."""
        first = tokens[start]
        if first.glue or first.inner_only or not self._may_start_variant(first):
            return None
        # Each state: the skeleton built so far, whether an inflected form went into it, and its letters.
        states: set[tuple[str, bool]] = {("", False)}
        best = None
        spaced, letters, tied = False, 0, False
        for end in range(start, min(len(tokens), start + MAX_NAME_TOKENS)):
            token = tokens[end]
            if token.glue:
                spaced = spaced or token.spaced
                continue
            if token.inner_only:
                continue  # "baril d'explosifs" is "barils explosifs" too: the skeleton has no elision
            if not token.folds:
                break
            extended = {
                (joined, inflected or from_variant)
                for built, inflected in states
                for skeleton, from_variant in token.folds
                # As for exact spellings, a space never joins a code's letters to its digits: "il l'a su
                # 24 heures", "Les AK 47 ans plus tard" are prose.
                # A hyphen ties them across a line break: "Su-\n34".
                if not (spaced and not tied and _touches_digit(built, skeleton))
                and (joined := join(built, skeleton)) in self._skeleton_prefixes
            }
            if token.article == 2 or (token.article == 1 and _hyphen_follows(tokens, end)):
                extended |= states  # the article is optional
            states = extended
            if not states:
                break
            letters += sum(1 for char in token.key if char.isalpha())
            for built, inflected in states:
                owner = self._skeletons.get(built)
                if owner is not None and (not inflected or owner in self._inflectable) and _long_enough(letters, built):
                    best = (start, end + 1, owner, "fold")
            spaced, tied = token.spaced, token.hyphen_end
        return best


def _touches_digit(built: str, skeleton: str) -> bool:
    return bool(built) and bool(skeleton) and (built[-1].isdigit() or skeleton[0].isdigit())


def _long_enough(letters: int, skeleton: str) -> bool:
    """A variant is read only where the text itself is long enough (veille.extract.variants.MIN_FOLD_LETTERS)."""
    if any(char.isdigit() for char in skeleton):
        return True
    return letters >= 5


def _hyphen_follows(tokens: Sequence[TokenKeys], position: int) -> bool:
    following = position + 1
    return following < len(tokens) and tokens[following].glue and tokens[following].hyphen


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


# Parts of speech whose lemma is no way a watched name inflects: read as a verb, "hommes" gets the rule
# lemma "hommer", which folds like "Hummer". A name's own plural and its text still count.
VERBAL_POS = frozenset({"VERB", "AUX"})


def keys_of(token: Token, confusables: bool = True) -> TokenKeys:
    """The keys of a spaCy token: text, lemma (unless it is read as a verb) and plural stems, or glue."""
    lemma = "" if token.pos_ in VERBAL_POS else token.lemma_
    return text_keys(token.text, lemma, token.is_space, bool(token.whitespace_), confusables)


# Words repeat (Zipf): folding each distinct (text, lemma) once makes the matcher several times faster.
@lru_cache(maxsize=200_000)
def text_keys(text: str, lemma: str, is_space: bool, space_after: bool, confusables: bool = True) -> TokenKeys:
    """The keys of a token given as its text and lemma (what keys_of reads off spaCy's token)."""
    if is_space or is_glue(text):
        return TokenKeys("", glue=is_glue(text), spaced=space_after or text.isspace(), hyphen="-" in fold(text))
    disguised = False
    if confusables and not text.isascii():
        latin = latin_lookalikes(text)
        if latin is not None:
            text, lemma, disguised = latin, latin, True
    if is_elision(text):
        # "d’" before "al-Boukamal" belongs to the sentence, not to the name.
        return TokenKeys(compact(text), inner_only=True, spaced=space_after)
    key = token_key(text)
    variants = {token_key(lemma)} if lemma else set()
    variants.update(plural_stems(key))
    parts = [compact(part) for part in fold(text).split("-")]
    if len(parts) > 1 and all(part.isalpha() for part in parts):
        # "barils-bombes": each part of a compound takes the plural
        variants.add("".join((plural_stems(part) or (part,))[0] for part in parts))
    variants.discard(key)
    variants.discard("")
    folds = [(form, False) for form in word_forms(key)] if key else []
    folds += [(form, True) for variant in sorted(variants) for form in word_forms(variant)]
    versions = _without_version(fold(text), key) + _maker_code(fold(text))
    folds += [(code, True) for code in versions]
    article = 2 if key in STRONG_ARTICLES else 1 if key in WEAK_ARTICLES else 0
    return TokenKeys(
        key,
        tuple(sorted(variants)),
        spaced=space_after,
        folds=tuple(dict.fromkeys(folds)),
        article=article,
        disguised=disguised,
        capital=any(char.isupper() for char in text),
        versions=versions,
        hyphen_end=fold(text).endswith("-"),
    )


# A version after a code or a short name: "BGM-71E", "Su-24M2", "TOW-2A", "BM-21-1".
_VERSIONS = (
    re.compile(r"^(.*\d)-?[a-z]{1,2}\d?$"),
    re.compile(r"^(.*\d)-\d{1,2}[a-z]?$"),
    re.compile(r"^([a-z]{3,})-\d{1,2}[a-z]{0,2}$"),
)


def _without_version(folded: str, key: str) -> tuple[str, ...]:
    """A weapon code read without the version glued to it: "bgm71e" -> "bgm71", "tow-2a" -> "tow2", "tow"."""
    codes = []
    for pattern in _VERSIONS:
        match = pattern.match(folded)
        if match and any(char.isalpha() for char in match.group(1)):
            codes.append(compact(match.group(1)))
    return tuple(code for code in dict.fromkeys(codes) if code != key)


# Aircraft codes are their design bureau's initials: press writes "Soukhoï-24" for the Su-24.
_MAKERS = {"soukhoi": "su", "sukhoi": "su", "tupolev": "tu", "mikoyan": "mig", "iliouchine": "il", "ilyushin": "il"}
_MAKER_CODE = re.compile(r"^([a-z]+)-(\d[0-9a-z]*)$")


def _maker_code(folded: str) -> tuple[str, ...]:
    """ "soukhoi-24" -> "su24": a code written with its maker's name."""
    match = _MAKER_CODE.match(folded)
    if match is None or match.group(1) not in _MAKERS:
        return ()
    return (_MAKERS[match.group(1)] + match.group(2),)


def weapon_name_parts(spelling: str, entry: WatchEntry | None) -> tuple[str, ...]:
    """Other ways press writes a weapon's longer name: its code alone ("BM-21" of "BM-21 Grad"), and a
    two-word name the other way round ("baril-bombe" of "bombe baril", "Kalibr missile")."""
    words = spelling.split()
    if entry is None or entry.kind != "weapon" or len(words) < 2:
        return ()
    reversed_name: tuple[str, ...] = ()
    if len(words) == 2 and all(word.isalpha() and len(word) >= 4 for word in words):
        reversed_name = (word_skeleton(compact(words[1])) + word_skeleton(compact(words[0])),)
    return reversed_name + tuple(
        compact(word)
        for word in words
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word) and len(compact(word)) >= 4
    )


class WatchMatcher:
    """spaCy component: puts every watched-entry match in doc.spans[spans_key], labelled by entry id,
    with how it was found (matched_by) as the span's kb_id."""

    def __init__(self, spans_key: str = SPANS_KEY) -> None:
        self.spans_key = spans_key
        self.index = AliasIndex({}, ())
        self.coded: frozenset[str] = frozenset()
        self.watchlist: WatchList | None = None
        self.confusables = True
        # Whether mentions get a confidence (veille.extract.confidence), or all 1.0.
        self.scores = True

    def set_watchlist(
        self, watchlist: WatchList, fold: bool = True, confusables: bool = True, index: AliasIndex | None = None
    ) -> None:
        """Look for `watchlist`'s entries; without `fold` only exact spellings, without `confusables`
        letters of other scripts are read as they are (the evaluation's "today's matcher"). `index`: the
        watch list's index already built with the same `fold` (veille.extract.index_cache), else built here."""
        self.watchlist = watchlist
        self.index = index if index is not None else AliasIndex.from_watchlist(watchlist, variants=fold)
        self.confusables = confusables
        # Weapons with a code, whose version the tokenizer may cut off ("Su-34" "M"): a variant too.
        self.coded = frozenset(
            entry.id
            for entry in watchlist.entries
            if fold
            and entry.kind == "weapon"
            and any(char.isdigit() for spelling in entry.spellings for char in spelling)
        )

    def __call__(self, doc: Doc) -> Doc:
        tokens = [keys_of(token, self.confusables) for token in doc]
        spans = []
        for start, end, entry_id, matched_by in self.index.find(tokens):
            if entry_id in self.coded:
                end, matched_by = _with_version(doc, end, matched_by)
            spans.append(Span(doc, start, end, label=entry_id, kb_id=matched_by))
        doc.spans[self.spans_key] = spans
        return doc


def _with_version(doc: Doc, end: int, matched_by: str) -> tuple[int, str]:
    """A code's version letters that the tokenizer cut off ("Su-34" "M") belong to the name: "Su-34M"."""
    if end < len(doc) and not doc[end - 1].whitespace_:
        suffix = doc[end].text
        if 1 <= len(suffix) <= 2 and suffix.isalnum() and suffix.isascii() and suffix[0].isupper():
            return end + 1, "fold"
    return end, matched_by


@Language.factory("veille_watch_matcher", default_config={"spans_key": SPANS_KEY})
def make_watch_matcher(nlp: Language, name: str, spans_key: str) -> WatchMatcher:
    return WatchMatcher(spans_key=spans_key)
