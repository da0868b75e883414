"""Which texts could hold a watched mention, without the model: its tokenizer and the watch matcher alone.

Most articles of a news stream name nothing watched, yet the model (tagger, lemmatizer, entities) costs
about fifteen times what its tokenizer does. The model changes no token, only what the matcher reads of each:
its lemma, which the rule lemmatizer picks by part of speech. The pre-filter gives each word every lemma the
lemmatizer could pick for any part of speech but a verb's, which the matcher does not read (its exceptions,
every suffix rule, its lookup table), and runs the matcher's own search (AliasIndex.find) over them. More
lemmas only add ways to match, so a text where the model would find a watched entry always passes; a text
that does not pass has no watched mention, and the model is not run on it (nor are its places, LOC, found).

A model whose lemmas cannot be foreseen this way (a trainable lemmatizer, a rule that sets lemmas) gets no
pre-filter: `Prefilter.of` is None and every text goes through the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from weakref import WeakKeyDictionary

from spacy.language import Language
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.strings import get_string_id

from veille.extract.matcher import VERBAL_POS, TokenKeys, WatchMatcher, text_keys

MATCHER = "veille_watch_matcher"
# The token keys of this many distinct words are kept: words repeat (Zipf), and a hostile text of
# endless distinct words only costs this much memory.
_CACHED_WORDS = 200_000
_BY_PIPELINE: WeakKeyDictionary[Language, Prefilter | None] = WeakKeyDictionary()


class LemmaCandidates:
    """Every lemma a spaCy rule or lookup lemmatizer could give a word, whatever its part of speech but a verb's
    (the matcher does not read those)."""

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        lookups = lemmatizer.lookups
        self._lookup = lookups.get_table("lemma_lookup", {})
        self._exceptions: list[dict[str, list[str]]] = []
        self._rules: dict[str, set[str]] = {}
        if lemmatizer.mode == "rule":
            # The tables are per part of speech: a verb's lemma is not read (matcher.VERBAL_POS).
            verbal = {get_string_id(pos.lower()) for pos in VERBAL_POS}
            # The exception tables are looked up one by one: merging them would cost a second at every load.
            self._exceptions = [table for pos, table in lookups.get_table("lemma_exc", {}).items() if pos not in verbal]
            for pos, rules in lookups.get_table("lemma_rules", {}).items():
                if pos in verbal:
                    continue
                for old, new in rules:
                    self._rules.setdefault(old, set()).add(new)
        self._suffix_lengths = sorted({len(old) for old in self._rules})

    def of(self, text: str) -> tuple[str, ...]:
        """The lemmas `text` may get but as a verb: never fewer than the lemmatizer's own choice, often a few
        more."""
        lower = text.lower()
        found = {lower, text}
        for exceptions in self._exceptions:
            found.update(exceptions.get(lower, ()))
        for length in self._suffix_lengths:
            if length > len(lower):
                break
            stem = lower[: len(lower) - length]
            for new in self._rules.get(lower[len(lower) - length :], ()):
                found.add(stem + new)
        for key in (lower, text):
            value = self._lookup.get(key)
            if isinstance(value, str):
                # The rule lemmatizer takes lookup(...)[0]: the first letter, where a table holds strings.
                found.update((value, value[:1]))
            elif value:
                found.update(value)
        found.discard("")
        return tuple(sorted(found))


class Prefilter:
    """Tells, for a text, whether the watch matcher could find anything in it once the model has read it."""

    def __init__(self, nlp: Language, lemmas: Callable[[str], tuple[str, ...]] | None) -> None:
        matcher = nlp.get_pipe(MATCHER)
        assert isinstance(matcher, WatchMatcher)
        self._matcher = matcher
        self._tokenizer = nlp.tokenizer
        self._strings = nlp.vocab.strings
        self._lemmas = lemmas
        # The matcher keeps its index for its life (a new watch list is a new pipeline, tasks/extract.py).
        self._index = matcher.index
        self._keys = lru_cache(maxsize=_CACHED_WORDS)(self._token_keys)

    @classmethod
    def of(cls, nlp: Language) -> Prefilter | None:
        """The pre-filter of a pipeline with the watch matcher (built once per pipeline), or None where the
        lemmas it reads cannot be foreseen."""
        if nlp not in _BY_PIPELINE:
            _BY_PIPELINE[nlp] = cls._build(nlp)
        return _BY_PIPELINE[nlp]

    @classmethod
    def _build(cls, nlp: Language) -> Prefilter | None:
        if MATCHER not in nlp.pipe_names:
            return None
        before = nlp.pipe_names[: nlp.pipe_names.index(MATCHER)]
        lemmatizers = []
        for name in before:
            component = nlp.get_pipe(name)
            if isinstance(component, AttributeRuler) and any(_sets_lemma(p) for p in component.patterns):
                return None
            if isinstance(component, Lemmatizer):
                if component.mode not in ("rule", "lookup"):
                    return None
                lemmatizers.append(component)
            elif "lemma" in name:  # a trainable lemmatizer (edit trees): its choices are the model's
                return None
        if len(lemmatizers) > 1:
            return None
        candidates = LemmaCandidates(lemmatizers[0]).of if lemmatizers else None
        return cls(nlp, lru_cache(maxsize=_CACHED_WORDS)(candidates) if candidates else None)

    def may_mention(self, pieces: Iterable[str]) -> bool:
        """Whether the matcher could find a watched entry in one of `pieces` (a text as the model reads it)."""
        return any(self._matches(piece) for piece in pieces)

    def entries_in(self, piece: str) -> set[str]:
        """The ids of every entry the matcher could find in `piece` once the model has read it (bench/ builds
        watch lists that the benchmark's texts never mention)."""
        return {entry_id for _, _, entry_id, _ in self._matches(piece)}

    def _matches(self, piece: str) -> list[tuple[int, int, str, str]]:
        confusables = self._matcher.confusables
        # A Token object per word costs more than the matcher's search: the doc's columns are read at once.
        columns = self._tokenizer(piece).to_array(["ORTH", "IS_SPACE", "SPACY"]).tolist()
        keyed = [self._keys(orth, bool(space), bool(after), confusables) for orth, space, after in columns]
        starts = [may_start for _, may_start in keyed]
        # Most words start no watched name: the search tries only those that may.
        return self._index.find([keys for keys, _ in keyed], starts) if any(starts) else []

    def _token_keys(self, orth: int, is_space: bool, space_after: bool, confusables: bool) -> tuple[TokenKeys, bool]:
        """The keys of the token written `orth` (its hash), with every lemma it may get merged (each only adds
        variants and folds), and whether a watched name may start there."""
        keys = self._merged_keys(self._strings[orth], is_space, space_after, confusables)
        return keys, self._index.may_start(keys)

    def _merged_keys(self, text: str, is_space: bool, space_after: bool, confusables: bool) -> TokenKeys:
        lemmas = self._lemmas(text) if self._lemmas is not None and not is_space else ("",)
        keys = [text_keys(text, lemma, is_space, space_after, confusables) for lemma in lemmas]
        if len(keys) == 1:
            return keys[0]
        variants = tuple(sorted({variant for key in keys for variant in key.variants}))
        folds = tuple(dict.fromkeys(fold for key in keys for fold in key.folds))
        return replace(keys[0], variants=variants, folds=folds)


def _sets_lemma(pattern: object) -> bool:
    attrs = pattern.get("attrs") if isinstance(pattern, dict) else None
    return isinstance(attrs, dict) and "LEMMA" in attrs
