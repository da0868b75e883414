"""Co-occurrence: two watched names of two groups in one sentence or within a few words of each other.

"Kalibr strikes near Deir ez-Zor": a weapon and a place two words apart.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

_WORD = re.compile(r"\S+")

Pair: TypeAlias = tuple[str, str]
# Each pair's first occurrence: its place in the order of the spans (the later span's, the other's), its spans.
Found: TypeAlias = dict[Pair, tuple[tuple[int, int], "Span", "Span"]]


@dataclass(frozen=True)
class Span:
    """A watched name in the text: its characters, its entry and its group ("place", "weapon" or a tag)."""

    start: int
    end: int
    entry_id: str
    group: str


def co_occurrences(
    spans_a: Sequence[Span],
    spans_b: Sequence[Span],
    text: str,
    within_tokens: int | None,
    sentence_bounds: Sequence[tuple[int, int]] | None,
) -> list[tuple[Span, Span]]:
    """Pairs (a, b) of two entries in one sentence, or with at most `within_tokens` words between them.

    The words between two spans are the whitespace-separated words of text[earlier.end:later.start]
    (0: adjacent; spans that touch or overlap are 0 apart). A span is in a sentence of `sentence_bounds`
    (disjoint (start, end) ranges) when it lies wholly inside it. Given both, either suffices. Each
    (a.entry_id, b.entry_id) comes once, with the spans where it first occurs: in the order of the later
    span's start, each with the other entry's span that reaches nearest to it.

    Time: O(n log n) to order the spans and find the text's words once, with no slice of the text per
    pair; then each span looks only at the other group's entries seen since its own entry last looked,
    so a long text of the same few names costs a few looks per name.
    """
    if within_tokens is None and sentence_bounds is None:
        raise ValueError("say how near: within_tokens, sentence_bounds or both")
    if within_tokens is not None and within_tokens < 0:
        raise ValueError(f"within_tokens must be 0 or more, not {within_tokens}")
    for span in (*spans_a, *spans_b):
        if not 0 <= span.start < span.end <= len(text):
            raise ValueError(f"span {span.start}:{span.end} is empty or not inside the text of {len(text)} characters")
    ordered = sorted(
        [(span, 0) for span in spans_a] + [(span, 1) for span in spans_b],
        key=lambda item: (item[0].start, item[0].end),
    )
    found: Found = {}
    if within_tokens is not None:
        _merge(found, _near_in_words(ordered, text, within_tokens))
    if sentence_bounds is not None:
        _merge(found, _in_one_sentence(ordered, sentence_bounds, len(text)))
    return [(a, b) for _, a, b in sorted(found.values(), key=lambda first: first[0])]


@dataclass(frozen=True)
class _Placed:
    """A span in the sweep: `reach` says how far along the text it stays near, `least` how much reach it needs."""

    index: int  # in the order of the spans by start
    span: Span
    side: int  # 0 for spans_a, 1 for spans_b
    reach: int
    least: int


def _near_in_words(ordered: list[tuple[Span, int]], text: str, within_tokens: int) -> Found:
    """Pairs at most `within_tokens` words apart."""
    runs = [(word.start(), word.end()) for word in _WORD.finditer(text)]
    starts, ends = [start for start, _ in runs], [end for _, end in runs]

    def least(later: Span) -> int:
        # Words in text[e:s] for e < s: those starting before s minus those ending at or before e. So an
        # earlier span is near when it ends at or after `later` starts (0 apart), or when at least
        # `needed` words end by its end, that is when it ends at or after the needed-th word's end.
        needed = bisect_left(starts, later.start) - within_tokens
        return -1 if needed <= 0 else min(later.start, ends[needed - 1])

    return _sweep([_Placed(index, span, side, span.end, least(span)) for index, (span, side) in enumerate(ordered)])


def _in_one_sentence(ordered: list[tuple[Span, int]], bounds: Sequence[tuple[int, int]], length: int) -> Found:
    """Pairs of spans that lie inside one sentence."""
    sentences = sorted(bounds)
    firsts = [start for start, _ in sentences]
    for (start, end), next_start in zip(sentences, [*firsts[1:], length], strict=False):
        if not 0 <= start <= end <= next_start:
            raise ValueError(f"sentence bounds must be disjoint ranges inside the text, not {start}:{end}")
    placed = []
    for index, (span, side) in enumerate(ordered):
        sentence = bisect_right(firsts, span.start) - 1
        if sentence >= 0 and span.end <= sentences[sentence][1]:
            placed.append(_Placed(index, span, side, reach=sentence, least=sentence))
    return _sweep(placed)


def _sweep(placed: list[_Placed]) -> Found:
    """Pairs of spans, taken in order of start, where the earlier one's reach is at least the later one's
    `least`. Both only grow along the text, so an entry out of reach stays out until it is seen again.

    Each group keeps, per entry, its span of furthest reach, in the order they changed; a span looks back
    through the other group's entries only as far as those that its own entry saw when it last looked.
    """
    found: Found = {}
    groups: tuple[OrderedDict[str, tuple[int, _Placed]], ...] = (OrderedDict(), OrderedDict())
    last_look: dict[tuple[int, str], int] = {}
    for moment, later in enumerate(placed):
        entry_id = later.span.entry_id
        others = groups[1 - later.side]
        looked = last_look.get((later.side, entry_id), -1)
        out_of_reach = []
        for other_id in reversed(others):
            since, earlier = others[other_id]
            if since <= looked:
                break
            if earlier.reach < later.least:
                out_of_reach.append(other_id)
            elif other_id != entry_id:
                a, b = (later.span, earlier.span) if later.side == 0 else (earlier.span, later.span)
                found.setdefault((a.entry_id, b.entry_id), ((later.index, earlier.index), a, b))
        for other_id in out_of_reach:
            del others[other_id]
        last_look[(later.side, entry_id)] = moment
        mine = groups[later.side]
        if entry_id not in mine or mine[entry_id][1].reach < later.reach:
            mine[entry_id] = (moment, later)
            mine.move_to_end(entry_id)
    return found


def _merge(found: Found, more: Found) -> None:
    """Keep each pair's first occurrence of the two ways of being near."""
    for pair, first in more.items():
        if pair not in found or first[0] < found[pair][0]:
            found[pair] = first
