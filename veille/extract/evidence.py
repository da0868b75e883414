"""What the model and the words around a watched mention say: an `Evidence` record for the confidence.

The only part of the confidence that reads spaCy's objects; veille.extract.confidence scores the
records it makes. Per doc, the words of each sentence and of the whole text are folded once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

from spacy.tokens import Doc, Span, Token

from veille.extract.confidence import Evidence, Word
from veille.folding import fold

_BEFORE, _AFTER, _NEAR = 5, 3, 8
_LONGEST_NAME = 8


class DocEvidence:
    """The evidence of every watched span of one doc: sentences and entities looked up, not walked."""

    def __init__(self, doc: Doc, watched: Sequence[Span]) -> None:
        self.doc = doc
        self._sentences = list(doc.sents)
        self._starts = [sentence.start for sentence in self._sentences]
        # A name is a few words: a longer "entity" (the model's reading of a list, or of an attack) says nothing.
        # Nor does one across a line break: a title and its first line are not one name ("Raqqa\nDes missiles").
        self._entities = sorted(
            (e for e in doc.ents if len(e) <= _LONGEST_NAME and "\n" not in e.text), key=lambda entity: entity.start
        )
        self._entity_starts = [entity.start for entity in self._entities]
        self._words = {token.i: _word(token.text, token.lemma_, token.lower_) for token in doc if _is_word(token)}
        self._own = {i for span in watched for i in range(span.start, span.end)}
        self._article = frozenset(word for i, word in self._words.items() if i not in self._own)
        self._entries = {span.label_ for span in watched}
        self._sentence_words: dict[int, frozenset[Word]] = {}
        self._facts: dict[int, tuple[bool, int]] = {}

    def of(self, span: Span, kind: str, matched_by: str, around: str) -> Evidence:
        """The evidence of one watched span; `around` is its sentence as the mention gives it (a bounded window)."""
        number = bisect_right(self._starts, span.start) - 1
        sentence = self._sentences[number]
        entity = self._entity_around(span)
        before = [t for t in self.doc[max(sentence.start, span.start - _BEFORE) : span.start] if not t.is_space]
        after = [t for t in self.doc[span.end : min(sentence.end, span.end + _AFTER)] if not t.is_space]
        shouting, first_word = self._sentence_facts(number, sentence)
        near = range(max(sentence.start, span.start - _NEAR), min(sentence.end, span.end + _NEAR))
        return Evidence(
            kind=kind,
            matched_by=matched_by,
            text=span.text,
            entity_label=entity.label_ if entity is not None else None,
            entity_text=entity.text if entity is not None else "",
            entity_names=_names_beside(entity, span) if entity is not None else (),
            before=tuple(_word(t.text, t.lemma_, t.lower_) for t in before),
            after=tuple(_word(t.text, t.lemma_, t.lower_) for t in after),
            starts_sentence=first_word == span.start,
            shouting=shouting,
            near_words=frozenset(self._words[i] for i in near if i not in self._own and i in self._words),
            sentence_words=self._words_of(number, sentence),
            article_words=self._article,
            sentence=fold(around),
            other_entries=len(self._entries - {span.label_}),
        )

    def _sentence_facts(self, number: int, sentence: Span) -> tuple[bool, int]:
        """Whether the sentence is in capitals, and its first word's index: once per sentence, so that a
        long sentence of many mentions ("Hama Hama ...") costs its length once, not once per mention."""
        if number not in self._facts:
            letters = [char for char in sentence.text if char.isalpha()]
            shouting = len(letters) > 12 and sum(char.isupper() for char in letters) > 0.6 * len(letters)
            first = next((t.i for t in sentence if not t.is_punct and not t.is_space), -1)
            self._facts[number] = (shouting, first)
        return self._facts[number]

    def _words_of(self, number: int, sentence: Span) -> frozenset[Word]:
        if number not in self._sentence_words:
            self._sentence_words[number] = frozenset(
                self._words[i] for i in range(sentence.start, sentence.end) if i not in self._own and i in self._words
            )
        return self._sentence_words[number]

    def _entity_around(self, span: Span) -> Span | None:
        """The model's entity that overlaps `span`, if any (entities never overlap each other)."""
        position = bisect_right(self._entity_starts, span.end - 1) - 1
        if position >= 0 and self._entities[position].end > span.start:
            return self._entities[position]
        return None


def _names_beside(entity: Span, span: Span) -> tuple[str, ...]:
    """The proper nouns of `entity` outside `span`: "Hama Amadou" -> amadou. A word is one when its lemma
    keeps its capital (the lemmatizer lowers a common noun: "Chassés d'Afrin" has none)."""
    return tuple(
        fold(token.text) for token in entity if not span.start <= token.i < span.end and token.lemma_[:1].isupper()
    )


# Words repeat (Zipf): each distinct (text, lemma) folded once, as the matcher's token keys are.
@lru_cache(maxsize=200_000)
def _word(text: str, lemma: str, lower: str) -> Word:
    return Word(fold(text), fold(lemma), lower)


def _is_word(token: Token) -> bool:
    return not token.is_space and not token.is_punct
