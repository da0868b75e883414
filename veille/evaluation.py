"""The annotated evaluation set (tests/data/eval) and how a matcher is scored on it (issue #12).

A passage says which entries an analyst expects, at which characters; a matcher's alerting mentions
are counted against them at two levels: (passage, entry) pairs, the headline, as the black-box
measure on real press counts (file, entry) pairs in the alerts; and mentions, where a predicted
mention hits an expected one of the same entry when their characters overlap. Three matchers are
measured by the same code: a plain whole-word regex, today's matcher (exact spellings, every mention
alerts) and Veille's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language

from veille.clean import clean_text
from veille.extract.pipeline import MatchOptions, extract_mentions, load_pipeline
from veille.records import Article, Mention
from veille.watchlist import WatchList
from veille.yamlfile import YamlDocument, load_yaml

# The classes of passages: look-alikes that must not alert, then true mentions.
Klass = Literal[
    "place-product",
    "place-venue",
    "place-person",
    "place-organisation",
    "weapon-other-sense",
    "weapon-civilian",
    "weapon-car-code",
    "place-plain",
    "weapon-plain",
    "variant-transliteration",
    "variant-article",
    "variant-confusable",
    "variant-compound",
    "variant-line-break",
    "variant-code-suffix",
]
CLASSES: tuple[str, ...] = get_args(Klass)
# The matchers measured, by name: None is the whole-word baseline, which needs no model.
MATCHERS: dict[str, MatchOptions | None] = {
    "whole-word": None,
    "today": MatchOptions(fold=False, confusables=False, confidence=False),
    "veille": MatchOptions(),
}
MODEL = "fr_core_news_sm"


# The set.


@dataclass(frozen=True)
class Expected:
    """An entry the passage refers to, at text[start:end]."""

    entry_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """One annotated passage: its class, its text, and every mention an analyst expects an alert for."""

    id: str
    klass: str
    text: str
    expected: tuple[Expected, ...]


class _ExpectItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entry: str = Field(min_length=1)
    text: str = Field(min_length=1)
    # The n-th occurrence of `text` in the passage, counted from 1.
    at: int = Field(default=1, ge=1)


class _PassageItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    klass: Klass = Field(alias="class")
    text: str = Field(min_length=1)
    # Required, even empty: a passage without it is more likely unfinished than a look-alike.
    expect: tuple[_ExpectItem, ...]


class _EvalFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    passages: tuple[_PassageItem, ...] = Field(min_length=1)


def load_passages(*paths: Path, watchlist: WatchList | None = None) -> list[Passage]:
    """The passages of `paths`, in order, with their expected offsets resolved from `text` and `at`.

    Raises ConfigError (file:line: key: problem) for a file that does not validate, an expected text
    not found in its passage, an id used twice, or, given `watchlist`, an entry it does not hold.
    """
    passages: list[Passage] = []
    first_seen: dict[str, Path] = {}
    for path in paths:
        document = load_yaml(path)
        for index, item in enumerate(document.validate(_EvalFile).passages):
            if item.id in first_seen:
                raise document.error(("passages", index, "id"), f"id {item.id!r} already used in {first_seen[item.id]}")
            first_seen[item.id] = path
            passages.append(_passage(document, index, item, watchlist))
    return passages


def _passage(document: YamlDocument, index: int, item: _PassageItem, watchlist: WatchList | None) -> Passage:
    # As an Article holds it: the offsets must be those of the text the matcher reads.
    text = clean_text(item.text)
    expected = []
    for number, expect in enumerate(item.expect):
        where = ("passages", index, "expect", number)
        if watchlist is not None and watchlist.get(expect.entry) is None:
            raise document.error((*where, "entry"), f"passage {item.id}: no entry {expect.entry!r} in the watch list")
        start = _occurrence(text, clean_text(expect.text), expect.at)
        if start is None:
            raise document.error(
                (*where, "text"), f"passage {item.id}: {expect.text!r} (occurrence {expect.at}) not found in its text"
            )
        expected.append(Expected(expect.entry, start, start + len(clean_text(expect.text))))
    return Passage(item.id, item.klass, text, tuple(expected))


def _occurrence(text: str, written: str, nth: int) -> int | None:
    """Where the `nth` occurrence of `written` starts in `text`, occurrences not overlapping."""
    start = -len(written)
    for _ in range(nth):
        start = text.find(written, start + len(written))
        if start == -1:
            return None
    return start


# What a matcher predicts.


@dataclass(frozen=True)
class Prediction:
    """A watched mention a matcher found, and whether it alerts (False: held as doubtful)."""

    entry_id: str
    start: int
    end: int
    text: str
    matched_by: str = "alias"
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()
    alerts: bool = True


def alerts(mention: Mention, watchlist: WatchList) -> bool:
    """Whether a watched mention alerts at once: its confidence reaches its entry's threshold."""
    entry = watchlist.get(mention.entry_id) if mention.entry_id is not None else None
    threshold = watchlist.threshold(entry) if entry is not None else watchlist.min_confidence
    return mention.confidence >= threshold


def whole_word_predictions(passages: Iterable[Passage], watchlist: WatchList) -> dict[str, tuple[Prediction, ...]]:
    """The baseline: every spelling of the watch list as a case-insensitive whole word; all alert."""
    pattern, owners = whole_word_pattern(watchlist)
    return {
        passage.id: tuple(
            Prediction(owners[match.lastgroup or ""], match.start(), match.end(), match.group(), "whole-word")
            for match in pattern.finditer(passage.text)
        )
        for passage in passages
    }


def whole_word_pattern(watchlist: WatchList) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex of every spelling, longest first, each in a group named s<n>; and group name -> entry id."""
    spellings = sorted(
        ((spelling, entry.id) for entry in watchlist.entries for spelling in entry.spellings),
        key=lambda pair: -len(pair[0]),
    )
    owners = {f"s{number}": entry_id for number, (_, entry_id) in enumerate(spellings)}
    alternatives = "|".join(f"(?P<s{number}>{re.escape(spelling)})" for number, (spelling, _) in enumerate(spellings))
    # \b, written so that it holds at a spelling's end that is no word character too.
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), owners


def pipeline_predictions(
    nlp: Language, passages: Sequence[Passage], watchlist: WatchList, batch_size: int = 32
) -> dict[str, tuple[Prediction, ...]]:
    """The watched mentions Veille's pipeline `nlp` finds in each passage, each with whether it alerts."""
    articles = [Article("eval", passage.id, passage.id, f"eval/{passage.id}", passage.text) for passage in passages]
    return {
        found.article.key: tuple(
            Prediction(m.entry_id, m.start, m.end, m.text, m.matched_by, m.confidence, m.reasons, alerts(m, watchlist))
            for m in found.mentions
            if m.entry_id is not None
        )
        for found in extract_mentions(nlp, articles, batch_size)
    }


def evaluate(
    matcher: str, passages: Sequence[Passage], watchlist: WatchList, nlp: Language | None = None, batch_size: int = 32
) -> Score:
    """Run the matcher named `matcher` (MATCHERS) over `passages` and score it.

    `nlp` is a pipeline loaded with the matcher's options; without it, one is loaded (a few seconds).
    """
    options = MATCHERS[matcher]
    if options is None:
        predictions = whole_word_predictions(passages, watchlist)
    else:
        if nlp is None:
            nlp = load_pipeline(MODEL, watchlist, options)
        predictions = pipeline_predictions(nlp, passages, watchlist, batch_size)
    return score(passages, predictions, {entry.id: entry.kind for entry in watchlist.entries})


# Scoring.


@dataclass(frozen=True)
class Counts:
    """True positives, false positives, false negatives; precision and recall are None when undefined."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass(frozen=True)
class Breakdown:
    """Counts overall, per entry kind (place, weapon) and per passage class."""

    overall: Counts = Counts()
    by_kind: Mapping[str, Counts] = field(default_factory=dict)
    by_class: Mapping[str, Counts] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """One mention wrong: alerted where no alert was expected, or expected and not alerted.

    For a missed mention the matcher found but held as doubtful, `matched_by`, `confidence` and
    `reasons` are that held mention's; for one not found at all, None and (). `pair` says whether the
    (passage, entry) pair is wrong too, not only this mention.
    """

    outcome: Literal["false alert", "missed"]
    passage_id: str
    klass: str
    entry_id: str
    text: str
    start: int
    end: int
    matched_by: str | None
    confidence: float | None
    reasons: tuple[str, ...]
    pair: bool


@dataclass(frozen=True)
class Score:
    """A matcher's figures on a set: (passage, entry) pairs, mentions, and each mistake."""

    pairs: Breakdown
    mentions: Breakdown
    mistakes: tuple[Mistake, ...]


class _Tally:
    """Counts being added up, per kind and per class."""

    def __init__(self, classes: Iterable[str], kinds: Iterable[str]) -> None:
        self.overall = Counts()
        self.by_kind: dict[str, Counts] = dict.fromkeys(sorted(set(kinds)), Counts())
        # In the order of CLASSES: look-alikes first, then true mentions.
        order = {klass: index for index, klass in enumerate(CLASSES)}
        ordered = sorted(set(classes), key=lambda klass: order.get(klass, len(order)))
        self.by_class: dict[str, Counts] = dict.fromkeys(ordered, Counts())

    def add(self, kind: str, klass: str, counts: Counts) -> None:
        self.overall += counts
        self.by_kind[kind] = self.by_kind.get(kind, Counts()) + counts
        self.by_class[klass] = self.by_class.get(klass, Counts()) + counts

    def breakdown(self) -> Breakdown:
        return Breakdown(self.overall, dict(self.by_kind), dict(self.by_class))


def score(
    passages: Sequence[Passage], predictions: Mapping[str, Sequence[Prediction]], kinds: Mapping[str, str]
) -> Score:
    """Count the alerting `predictions` (passage id -> mentions) against what `passages` expect.

    `kinds` gives each entry's kind (entry id -> "place" or "weapon"). A passage expecting nothing
    contributes only false alerts. A prediction that does not alert is counted as no prediction; it
    only explains a missed mention in the mistakes.
    """
    classes = [passage.klass for passage in passages]
    pairs, mentions = _Tally(classes, kinds.values()), _Tally(classes, kinds.values())
    mistakes: list[Mistake] = []
    for passage in passages:
        found = predictions.get(passage.id, ())
        expected_by_entry: dict[str, list[Expected]] = defaultdict(list)
        for expected in passage.expected:
            expected_by_entry[expected.entry_id].append(expected)
        alerting_by_entry: dict[str, list[Prediction]] = defaultdict(list)
        held_by_entry: dict[str, list[Prediction]] = defaultdict(list)
        for prediction in found:
            by_entry = alerting_by_entry if prediction.alerts else held_by_entry
            by_entry[prediction.entry_id].append(prediction)
        for entry_id in sorted(expected_by_entry.keys() | alerting_by_entry.keys()):
            expected_here, alerting = expected_by_entry.get(entry_id, []), alerting_by_entry.get(entry_id, [])
            kind = kinds.get(entry_id, "unknown")
            pairs.add(kind, passage.klass, _pair_counts(bool(expected_here), bool(alerting)))
            matched, false_alerts, missed = _match(expected_here, alerting)
            mentions.add(kind, passage.klass, Counts(matched, len(false_alerts), len(missed)))
            pair_wrong = not (expected_here and alerting)
            for prediction in false_alerts:
                mistakes.append(_false_alert(passage, prediction, pair_wrong))
            for expected in missed:
                held = _overlapping(expected, held_by_entry.get(entry_id, []))
                mistakes.append(_missed(passage, expected, held, pair_wrong))
    return Score(pairs.breakdown(), mentions.breakdown(), tuple(mistakes))


def _pair_counts(expected: bool, alerted: bool) -> Counts:
    return Counts(tp=int(expected and alerted), fp=int(alerted and not expected), fn=int(expected and not alerted))


def _match(expected: list[Expected], predicted: list[Prediction]) -> tuple[int, list[Prediction], list[Expected]]:
    """Pair expected and predicted mentions of one entry whose characters overlap, each at most once.

    Both sides sorted by offset and walked once (linear): a second prediction over the same expected
    mention is a false alert, as it would be a second alert.
    """
    expected = sorted(expected, key=lambda e: (e.start, e.end))
    predicted = sorted(predicted, key=lambda p: (p.start, p.end))
    matched, false_alerts, missed = 0, [], []
    i = j = 0
    while i < len(expected) and j < len(predicted):
        if predicted[j].end <= expected[i].start:
            false_alerts.append(predicted[j])
            j += 1
        elif expected[i].end <= predicted[j].start:
            missed.append(expected[i])
            i += 1
        else:
            matched, i, j = matched + 1, i + 1, j + 1
    return matched, false_alerts + predicted[j:], missed + expected[i:]


def _overlapping(expected: Expected, held: list[Prediction]) -> Prediction | None:
    return next((p for p in held if p.start < expected.end and expected.start < p.end), None)


def _false_alert(passage: Passage, prediction: Prediction, pair: bool) -> Mistake:
    return Mistake(
        "false alert",
        passage.id,
        passage.klass,
        prediction.entry_id,
        prediction.text,
        prediction.start,
        prediction.end,
        prediction.matched_by,
        prediction.confidence,
        prediction.reasons,
        pair,
    )


def _missed(passage: Passage, expected: Expected, held: Prediction | None, pair: bool) -> Mistake:
    return Mistake(
        "missed",
        passage.id,
        passage.klass,
        expected.entry_id,
        passage.text[expected.start : expected.end],
        expected.start,
        expected.end,
        held.matched_by if held else None,
        held.confidence if held else None,
        held.reasons if held else (),
        pair,
    )
