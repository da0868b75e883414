"""Specification of veille.rules: the spike statistic, names near each other, names back after a silence.

Pure functions over numbers, spans and datetimes: no database, no Prefect, no model.
"""

from __future__ import annotations

import math
import random
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, localcontext
from itertools import pairwise, product
from types import FrameType, ModuleType

import pytest

from tests.conftest import ROOT
from veille.rules import proximity
from veille.rules.gaps import back_after, days_since, explain_gap, first_ever
from veille.rules.proximity import Span, co_occurrences
from veille.rules.spike import SpikeTest, poisson_tail, spike_test

# --- poisson_tail -----------------------------------------------------------------------------------


def exact_tail(observed: int, expected: float) -> float:
    """P(X >= observed) summed term by term in 60-digit decimals: the reference."""
    with localcontext() as context:
        context.prec = 60
        rate = Decimal(expected)
        term, total, count = (-rate).exp(), Decimal(0), 0
        while count < observed:
            count += 1
            term = term * rate / count
        while True:
            total += term
            count += 1
            term = term * rate / count
            if term < total * Decimal("1e-40"):
                return float(total)


@pytest.mark.parametrize(
    ("observed", "expected"),
    list(product([1, 2, 3, 5, 8, 12, 20, 40, 80], [1e-9, 0.01, 0.4, 0.5, 2.0, 3.5, 12.0, 30.0, 75.5])),
)
def test_the_tail_is_the_exact_sum_of_the_poisson_terms_at_small_counts(observed, expected):
    assert poisson_tail(observed, expected) == pytest.approx(exact_tail(observed, expected), rel=1e-12)


@pytest.mark.parametrize(
    ("observed", "expected", "known"),
    [
        pytest.param(1000, 900, 5.499022657117829e-04, id="1000 against 900"),
        pytest.param(2000, 1000, 3.058192080168757e-170, id="2000 against 1000: a tail of 1e-170"),
        pytest.param(900, 1000, 0.9993774022157249, id="900 against 1000: the lower side"),
        pytest.param(100_000, 100_300, 0.8286363112512076, id="100,000 against 100,300"),
        # Each value a 40-digit decimal sum's; scipy 1.17's poisson.sf agrees to 1e-13 but here, where
        # it says 2.93402055e-07, 5e-6 off.
        pytest.param(1_005_000, 1_000_000, 2.934034048031641e-07, id="a million and 5,000 against a million"),
    ],
)
def test_the_tail_matches_known_values_at_large_counts(observed, expected, known):
    assert poisson_tail(observed, expected) == pytest.approx(known, rel=1e-9)


@pytest.mark.parametrize(
    ("observed", "expected", "tail"),
    [
        pytest.param(0, 3.0, 1.0, id="at least 0: certain"),
        pytest.param(-4, 3.0, 1.0, id="at least a negative count: certain"),
        pytest.param(0, 0.0, 1.0, id="at least 0 against a rate of 0: certain"),
        pytest.param(1, 0.0, 0.0, id="any article against a rate of 0: impossible, not a division by 0"),
        pytest.param(10**12, 1.0, 0.0, id="a trillion against 1: below the smallest float, not an overflow"),
        pytest.param(1, 1e-300, 1e-300, id="one against a vanishing rate"),
    ],
)
def test_the_tail_at_its_edges(observed, expected, tail):
    assert poisson_tail(observed, expected) == pytest.approx(tail, rel=1e-12, abs=0)


def test_the_tail_near_a_huge_mean_is_a_half_not_a_lost_cancellation():
    assert poisson_tail(10**8, 1e8) == pytest.approx(0.5000132980760141, rel=1e-7)


@pytest.mark.parametrize("expected", [-1.0, math.nan, math.inf])
def test_the_tail_refuses_a_rate_that_is_no_rate(expected):
    with pytest.raises(ValueError, match="expected"):
        poisson_tail(3, expected)


@pytest.mark.parametrize("expected", [0.05, 0.5, 2.0, 40.0, 900.0])
def test_the_tail_falls_as_the_count_grows(expected):
    tails = [poisson_tail(observed, expected) for observed in range(int(3 * expected) + 30)]

    assert all(later <= earlier for earlier, later in pairwise(tails))
    assert tails[0] == 1.0 and tails[-1] < 1e-6


# --- spike_test -------------------------------------------------------------------------------------

MONTH_OF_2 = [2] * 28
RARE = [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]  # 0.4 a day
SILENT = [0] * 28


@pytest.mark.parametrize(
    ("observed", "history", "window_hours", "fires"),
    [
        pytest.param(3, MONTH_OF_2, 24, False, id="3 in a day against 2 a day: a usual trickle"),
        pytest.param(5, MONTH_OF_2, 24, False, id="5 in a day against 2 a day: still usual"),
        pytest.param(12, RARE, 24, True, id="12 in a day against 0.4 a day: a burst"),
        pytest.param(2, SILENT, 24, False, id="2 about a never-named entry: the floor keeps it quiet"),
        pytest.param(2, SILENT, 1, False, id="2 in an hour about a never-named entry: fewer than min_count"),
        pytest.param(5, SILENT, 24, True, id="5 in a day about a never-named entry: a burst"),
        pytest.param(3, SILENT, 1, True, id="3 in an hour about a never-named entry: a burst"),
        pytest.param(6, MONTH_OF_2, 6, True, id="6 in 6 hours against 2 a day: the window scales the rate"),
        pytest.param(60, [40] * 28, 24, False, id="60 against 40 a day: within Poisson's reach"),
        pytest.param(90, [40] * 28, 24, True, id="90 against 40 a day"),
        pytest.param(0, [], 24, False, id="nothing against no history"),
        pytest.param(12, [], 24, True, id="an empty history is a silent one: the floor alone"),
    ],
)
def test_a_spike_fires_on_an_improbable_count_against_its_own_history(observed, history, window_hours, fires):
    assert spike_test(observed, history, window_hours).fires is fires


def test_the_expected_count_is_the_floored_daily_rate_scaled_to_the_window():
    rare = spike_test(12, RARE, 24)
    busy = spike_test(12, MONTH_OF_2, 6)

    assert (rare.usual_per_day, rare.expected) == (pytest.approx(0.4), 0.5)
    assert (busy.usual_per_day, busy.expected) == (2.0, 0.5)
    assert rare.p_value == poisson_tail(12, 0.5)


@pytest.mark.parametrize(
    ("min_count", "fires"),
    [pytest.param(3, True, id="min_count 3: fires on 3"), pytest.param(4, False, id="min_count 4: not on 3")],
)
def test_min_count_holds_back_a_count_however_improbable(min_count, fires):
    test = spike_test(3, SILENT, 1, min_count=min_count)

    assert test.p_value < 1e-4
    assert test.fires is fires


def test_with_no_floor_a_silent_history_makes_any_count_infinitely_improbable_without_dividing_by_zero():
    test = spike_test(3, SILENT, 24, floor_per_day=0.0)
    nothing = spike_test(0, [], 24, floor_per_day=0.0)

    assert (test.expected, test.p_value, test.fires) == (0.0, 0.0, True)
    assert (nothing.expected, nothing.p_value, nothing.fires) == (0.0, 1.0, False)


def test_a_huge_count_fires_without_overflow():
    test = spike_test(10**12, RARE, 24)

    assert (test.p_value, test.fires) == (0.0, True)
    assert test.explain(24) == "1000000000000 articles in 24 h, usual 0.4/day (p = 0)"


@pytest.mark.parametrize("history", [MONTH_OF_2, RARE, SILENT, [40] * 28])
def test_a_spike_is_monotonic_in_the_count(history):
    tests = [spike_test(observed, history, 24) for observed in range(120)]

    assert all(b.p_value <= a.p_value for a, b in pairwise(tests))
    first = next(n for n, test in enumerate(tests) if test.fires)
    assert all(test.fires for test in tests[first:])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"observed": -1}, "negative", id="a negative count"),
        pytest.param({"history_days": [1, -2]}, "negative", id="a negative day in the history"),
        pytest.param({"window_hours": 0}, "window_hours", id="an empty window"),
        pytest.param({"window_hours": math.nan}, "window_hours", id="a window of NaN hours"),
        pytest.param({"window_hours": math.inf}, "window_hours", id="an endless window"),
        pytest.param({"floor_per_day": -0.5}, "floor_per_day", id="a negative floor"),
        pytest.param({"floor_per_day": math.nan}, "floor_per_day", id="a floor of NaN"),
    ],
)
def test_a_spike_test_refuses_arguments_that_mean_nothing(arguments, message):
    with pytest.raises(ValueError, match=message):
        spike_test(**{"observed": 3, "history_days": MONTH_OF_2, "window_hours": 24, **arguments})


@pytest.mark.parametrize(
    ("test", "window_hours", "words", "explained"),
    [
        pytest.param(
            SpikeTest(12, 0.5, 0.4, 3.2e-9, True), 24, {}, "12 articles in 24 h, usual 0.4/day (p = 3e-9)", id="burst"
        ),
        pytest.param(
            SpikeTest(1, 0.5, 0.0, 0.39, False), 1.5, {}, "1 article in 1.5 h, usual 0/day (p = 0.4)", id="one"
        ),
        pytest.param(
            SpikeTest(5, 0.5, 1 / 28, 2e-4, True),
            24,
            {"one": "story", "many": "stories"},
            "5 stories in 24 h, usual 0.036/day (p = 0.0002)",
            id="stories, and a rate under 0.1",
        ),
        pytest.param(
            SpikeTest(90, 40, 40.3, 1e-12, True), 24, {}, "90 articles in 24 h, usual 40/day (p = 1e-12)", id="busy"
        ),
    ],
)
def test_a_spike_explains_itself_in_numbers(test, window_hours, words, explained):
    assert test.explain(window_hours, **words) == explained


_TABLE_ROW = re.compile(
    r"^\| (?P<case>[^|]+) \| (?P<total>\d+) in (?P<days>\d+) days \| (?P<hours>[\d.]+) h \| (?P<observed>\d+) \| "
    r"(?P<usual>[^|]+) \| (?P<expected>[^|]+) \| (?P<p>[^|]+) \| (?P<fires>yes|no) \|$",
    re.M,
)


def test_the_design_notes_table_of_spikes_is_what_the_code_computes():
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = design[design.index("## Spike statistic") :].split("\n## ", 1)[0]
    rows = list(_TABLE_ROW.finditer(section))
    assert len(rows) >= 5, "the pattern no longer finds the table's rows"
    for row in rows:
        history = [int(row["total"])] + [0] * (int(row["days"]) - 1)  # only the mean counts
        test = spike_test(int(row["observed"]), history, float(row["hours"]))
        computed = (f"{test.usual_per_day:.2g}", f"{test.expected:.3g}", f"{test.p_value:.2g}", test.fires)
        written = (row["usual"], row["expected"], row["p"], row["fires"] == "yes")
        assert computed == written, row["case"]


# --- co_occurrences ---------------------------------------------------------------------------------


def spans(text: str, group: str, *names: str) -> list[Span]:
    """Every occurrence of each name in text, as a span of the entry named so (lower case)."""
    return sorted(
        (Span(m.start(), m.end(), name.lower(), group) for name in names for m in re.finditer(re.escape(name), text)),
        key=lambda span: span.start,
    )


def near(text, within_tokens=None, sentence_bounds=None, places=("Hama", "Deir ez-Zor", "Alep")):
    """The (weapon, place) pairs of text, as entry ids."""
    weapons = spans(text, "weapon", "Kalibr", "Su-24")
    found = co_occurrences(weapons, spans(text, "place", *places), text, within_tokens, sentence_bounds)
    return [(a.entry_id, b.entry_id) for a, b in found]


@pytest.mark.parametrize(
    ("text", "within_tokens", "pairs"),
    [
        pytest.param("Kalibr strikes near Deir ez-Zor", 2, [("kalibr", "deir ez-zor")], id="2 words apart, 2 allowed"),
        pytest.param("Kalibr strikes near Deir ez-Zor", 1, [], id="2 words apart, 1 allowed"),
        pytest.param("Kalibr Hama", 0, [("kalibr", "hama")], id="adjacent: 0"),
        pytest.param("KalibrHama", 0, [("kalibr", "hama")], id="touching: 0"),
        pytest.param("Kalibr\n\t\u00a0 Hama", 0, [("kalibr", "hama")], id="any run of whitespace: 0"),
        pytest.param("Kalibr, Hama", 0, [], id="a comma is a word of its own: 1"),
        pytest.param("Kalibr, Hama", 1, [("kalibr", "hama")], id="a comma is a word of its own: 1 allowed"),
        pytest.param("Deir ez-Zor hit by Kalibr", 2, [("kalibr", "deir ez-zor")], id="the place first"),
        pytest.param(
            "Kalibr on Hama and Alep", 3, [("kalibr", "hama"), ("kalibr", "alep")], id="two places after the weapon"
        ),
        pytest.param(
            "Hama, Alep then Kalibr", 3, [("kalibr", "hama"), ("kalibr", "alep")], id="two places before it, in order"
        ),
        pytest.param("Hama, Alep then Kalibr", 2, [("kalibr", "alep")], id="the comma and Alep: 3 words from Hama"),
        pytest.param("Kalibr " + "x " * 50 + "Hama", 49, [], id="50 words apart, 49 allowed"),
        pytest.param("Kalibr " + "x " * 50 + "Hama", 50, [("kalibr", "hama")], id="50 words apart, 50 allowed"),
        pytest.param("", 3, [], id="no text"),
    ],
)
def test_two_names_are_near_within_so_many_words_between_them(text, within_tokens, pairs):
    assert near(text, within_tokens) == pairs


def test_each_pair_of_entries_comes_once_with_the_spans_of_its_first_occurrence():
    text = "Hama far far far Kalibr, later Kalibr Hama, and Kalibr Hama again"
    found = co_occurrences(spans(text, "weapon", "Kalibr"), spans(text, "place", "Hama"), text, 1, None)

    assert [(text[a.start : a.end], a.start, text[b.start : b.end], b.start) for a, b in found] == [
        ("Kalibr", 31, "Hama", 38)
    ]


def test_an_entry_is_not_near_itself_though_it_is_in_both_groups():
    text = "Hama Hama Alep"
    places = spans(text, "place", "Hama", "Alep")

    pairs = [(a.entry_id, b.entry_id) for a, b in co_occurrences(places, places, text, 0, None)]

    assert sorted(pairs) == [("alep", "hama"), ("hama", "alep")]


def test_overlapping_names_are_0_words_apart():
    text = "Su-24 Alep"
    weapon, place = Span(0, 5, "su-24", "weapon"), Span(3, 10, "24 alep", "place")

    assert co_occurrences([weapon], [place], text, 0, None) == [(weapon, place)]


TWO_SENTENCES = "Kalibr ici. Puis Hama là."
BOUNDS = [(0, 11), (12, 25)]
LONG_SENTENCE = "Kalibr " + "x " * 40 + "Hama."


@pytest.mark.parametrize(
    ("text", "within_tokens", "bounds", "pairs"),
    [
        pytest.param(TWO_SENTENCES, None, BOUNDS, [], id="two sentences"),
        pytest.param(TWO_SENTENCES, 2, None, [("kalibr", "hama")], id="two sentences, but 2 words apart"),
        pytest.param(TWO_SENTENCES, 1, BOUNDS, [], id="two sentences and 2 words apart, 1 allowed"),
        pytest.param(TWO_SENTENCES, 2, BOUNDS, [("kalibr", "hama")], id="either is enough"),
        pytest.param(LONG_SENTENCE, None, [(0, len(LONG_SENTENCE))], [("kalibr", "hama")], id="one long sentence"),
        pytest.param(LONG_SENTENCE, 0, [(0, len(LONG_SENTENCE))], [("kalibr", "hama")], id="far apart in one"),
        pytest.param(LONG_SENTENCE, None, [(0, 10), (10, 92)], [], id="touching sentences"),
        pytest.param(TWO_SENTENCES, None, [(12, 25), (0, 11)], [], id="bounds in any order"),
        pytest.param("Kalibr. Hama.", None, [(0, 3), (3, 13)], [], id="a name across a bound is in neither"),
        pytest.param("Kalibr et Hama.", None, [], [], id="no sentences"),
    ],
)
def test_two_names_are_near_in_one_sentence(text, within_tokens, bounds, pairs):
    assert near(text, within_tokens, bounds) == pairs


def test_a_pair_near_both_ways_comes_once_at_its_first_occurrence():
    text = "Hama puis Kalibr. Kalibr Hama."
    found = co_occurrences(spans(text, "weapon", "Kalibr"), spans(text, "place", "Hama"), text, 0, [(0, 17), (18, 30)])

    assert [(a.start, b.start) for a, b in found] == [(10, 0)]


@pytest.mark.parametrize(
    ("within_tokens", "bounds", "weapon", "message"),
    [
        pytest.param(None, None, Span(0, 6, "kalibr", "weapon"), "how near", id="no way of being near"),
        pytest.param(-1, None, Span(0, 6, "kalibr", "weapon"), "within_tokens", id="fewer than 0 words"),
        pytest.param(2, None, Span(0, 99, "kalibr", "weapon"), "inside the text", id="a span past the end"),
        pytest.param(2, None, Span(-1, 3, "kalibr", "weapon"), "inside the text", id="a span before the start"),
        pytest.param(2, None, Span(4, 3, "kalibr", "weapon"), "inside the text", id="a span ending first"),
        pytest.param(2, None, Span(3, 3, "kalibr", "weapon"), "inside the text", id="an empty span"),
        pytest.param(None, [(0, 8), (5, 11)], Span(0, 6, "kalibr", "weapon"), "disjoint", id="overlapping bounds"),
        pytest.param(None, [(0, 99)], Span(0, 6, "kalibr", "weapon"), "disjoint", id="a bound past the end"),
        pytest.param(None, [(5, 2)], Span(0, 6, "kalibr", "weapon"), "disjoint", id="a bound ending first"),
    ],
)
def test_co_occurrences_refuse_spans_and_bounds_that_mean_nothing(within_tokens, bounds, weapon, message):
    text = "Kalibr Hama"
    with pytest.raises(ValueError, match=message):
        co_occurrences([weapon], [Span(7, 11, "hama", "place")], text, within_tokens, bounds)


def words_between(text: str, earlier: Span, later: Span) -> int:
    return len(text[earlier.end : later.start].split())


def naively_near(text, a, b, within_tokens, bounds):
    """The definition, pair by pair."""
    earlier, later = sorted((a, b), key=lambda span: (span.start, span.end))
    if within_tokens is not None and words_between(text, earlier, later) <= within_tokens:
        return True
    return bounds is not None and any(s <= a.start and a.end <= e and s <= b.start and b.end <= e for s, e in bounds)


@pytest.mark.parametrize("seed", range(300))
def test_co_occurrences_are_those_of_the_definition_pair_by_pair(seed):
    chance = random.Random(seed)
    text = "".join(chance.choice(["a", "b", " ", "  ", "\n", "\u00a0", "\x00", ",", "\x1f", "é"]) for _ in range(60))
    cuts = sorted(chance.choices(range(len(text) + 1), k=chance.randint(0, 8)))  # some touch, some are empty
    bounds = [(s, e) for s, e in zip(cuts[::2], cuts[1::2], strict=False)] if chance.random() < 0.6 else None
    within_tokens = chance.choice([None, 0, 1, 3]) if bounds is not None else chance.choice([0, 1, 3])

    def random_spans(group, entries):
        starts = [chance.randint(0, len(text) - 1) for _ in range(chance.randint(0, 12))]
        return [Span(s, min(len(text), s + chance.randint(1, 5)), chance.choice(entries), group) for s in starts]

    spans_a, spans_b = random_spans("a", "pqr"), random_spans("b", "pqrs")
    found = co_occurrences(spans_a, spans_b, text, within_tokens, bounds)

    expected = {}
    for a, b in product(spans_a, spans_b):
        if a.entry_id != b.entry_id and naively_near(text, a, b, within_tokens, bounds):
            at = max((a.start, a.end), (b.start, b.end))
            expected[(a.entry_id, b.entry_id)] = min(at, expected.get((a.entry_id, b.entry_id), at))
    assert {(a.entry_id, b.entry_id) for a, b in found} == set(expected)
    assert len(found) == len(expected), "a pair came twice"
    for a, b in found:
        assert naively_near(text, a, b, within_tokens, bounds)
        assert max((a.start, a.end), (b.start, b.end)) == expected[(a.entry_id, b.entry_id)], "not its first"
    later_spans = [max((a.start, a.end), (b.start, b.end)) for a, b in found]
    assert later_spans == sorted(later_spans)


def many_places_one_weapon(text: str) -> tuple[list[Span], list[Span]]:
    """Each place a new entry, each weapon the same one: n pairs."""
    places = [Span(m.start(), m.end(), m.group(), "place") for m in re.finditer(r"p\d+", text)]
    return spans(text, "weapon", "Kalibr"), places


def python_steps(call: Callable[[], object], module: ModuleType) -> int:
    """The bytecode instructions `call` runs in `module`'s own functions.

    Counted, not timed: the walk over the names is Python, so its steps are its cost, and a count is the
    same on a loaded machine (a ratio of times here failed most runs at a load of 7 on 2 cores).
    """
    steps = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object] | None:
        nonlocal steps
        if frame.f_code.co_filename != module.__file__:
            return None
        frame.f_trace_lines, frame.f_trace_opcodes = False, True
        steps += event == "opcode"
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(previous)
    return steps


def assert_linear_steps(work: Callable[[str], object], make: Callable[[int], str], size: int) -> None:
    """10x the input costs at most 11x the steps: no name is looked at again and again."""
    small, large = (
        python_steps(lambda: work(make(size)), proximity),
        python_steps(lambda: work(make(10 * size)), proximity),
    )
    assert 0 < large < 11 * small, f"10x the input took {large / small:.1f}x the steps"


@pytest.mark.parametrize(
    ("within_tokens", "one_sentence"),
    [pytest.param(10**9, False, id="within a billion words"), pytest.param(None, True, id="in one sentence")],
)
def test_co_occurrences_take_linear_steps_when_every_name_is_near_every_other(within_tokens, one_sentence):
    def work(text):
        weapons, places = many_places_one_weapon(text)
        bounds = [(0, len(text))] if one_sentence else None
        assert len(co_occurrences(weapons, places, text, within_tokens, bounds)) == len(places)

    assert_linear_steps(work, lambda n: "".join(f"p{i} Kalibr, " for i in range(n)), 100)


def test_co_occurrences_take_linear_steps_in_a_long_text_of_the_same_two_names():
    def work(text):
        weapons, places = spans(text, "weapon", "Kalibr"), spans(text, "place", "Hama")
        assert len(co_occurrences(weapons, places, text, 5, [(0, len(text))])) == 1

    assert_linear_steps(work, lambda n: ("Kalibr " + "x " * 40 + "Hama " + "y " * 40) * n, 20)


@pytest.mark.parametrize(
    ("within_tokens", "in_sentences"),
    [pytest.param(0, False, id="adjacent"), pytest.param(None, True, id="in sentences of two names")],
)
def test_co_occurrences_take_linear_steps_when_every_name_is_new_and_near_only_its_neighbours(
    within_tokens, in_sentences
):
    def work(text):
        places = [Span(m.start(), m.end(), m.group(), "place") for m in re.finditer(r"p\d+", text)]
        weapons = [Span(m.start(), m.end(), m.group(), "weapon") for m in re.finditer(r"w\d+", text)]
        bounds = [(m.start(), m.end()) for m in re.finditer(r"p\d+ w\d+", text)] if in_sentences else None
        # p0 w0 p1 w1 ...: each place with its weapon, and when adjacent also with the weapon before it.
        pairs = len(places) if in_sentences else 2 * len(places) - 1
        assert len(co_occurrences(places, weapons, text, within_tokens, bounds)) == pairs

    assert_linear_steps(work, lambda n: "".join(f"p{i} w{i} " for i in range(n)), 100)


def test_five_thousand_names_in_a_megabyte_of_text():
    filler = "mot " * 50
    text = "".join(f"p{i % 2500} {filler}Kalibr {filler}" for i in range(2500))
    assert len(text) > 1_000_000
    weapons, places = many_places_one_weapon(text)
    sentence_bounds = [(m.start(), m.end()) for m in re.finditer(r"p\d+ (?:mot )*Kalibr", text)]

    assert len(weapons) + len(places) == 5000
    assert len(co_occurrences(weapons, places, text, 50, None)) == 2500
    assert len(co_occurrences(weapons, places, text, 49, None)) == 0
    assert len(co_occurrences(weapons, places, text, None, sentence_bounds)) == 2500
    assert len(co_occurrences(weapons, places, text, len(text), None)) == 2500


# --- gaps -------------------------------------------------------------------------------------------

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_seen", "quiet_days", "days"),
    [
        pytest.param(NOW - timedelta(days=94, hours=5), 30, 94, id="94 days and 5 hours: 94"),
        pytest.param(NOW - timedelta(days=30), 30, 30, id="exactly the quiet days"),
        pytest.param(NOW - timedelta(days=30) + timedelta(microseconds=1), 30, None, id="a microsecond short"),
        pytest.param(NOW - timedelta(days=3), 30, None, id="named 3 days ago"),
        pytest.param(NOW - timedelta(days=1, hours=23), 1.5, 1, id="a day and 23 hours, quiet 1.5: 1 whole day"),
        pytest.param(NOW, 30, None, id="named just now"),
        pytest.param(NOW + timedelta(days=400), 30, None, id="the clock gone back past it: not negative"),
        pytest.param(None, 30, None, id="never seen: a first mention ever, not a gap"),
        pytest.param(datetime(1, 1, 1, tzinfo=UTC), 30, 739_319, id="seen in year 1"),
    ],
)
def test_an_entry_is_back_after_so_many_whole_days_of_silence(last_seen, quiet_days, days):
    assert back_after(last_seen, NOW, quiet_days) == days


@pytest.mark.parametrize(
    ("last_seen", "days"),
    [
        pytest.param(NOW - timedelta(hours=36), 1.5, id="36 hours"),
        pytest.param(NOW + timedelta(hours=1), 0.0, id="in the future: 0"),
        pytest.param(None, None, id="never"),
    ],
)
def test_days_since_counts_fractions_of_days(last_seen, days):
    assert days_since(last_seen, NOW) == days


def test_first_ever_is_never_seen_before():
    assert first_ever(None) is True
    assert first_ever(NOW - timedelta(days=3000)) is False


PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: back_after(datetime(2025, 1, 1), NOW, 30), "last_seen is a naive", id="naive last_seen"),
        pytest.param(lambda: back_after(NOW, datetime(2025, 1, 1), 30), "now is a naive", id="naive now"),
        pytest.param(lambda: back_after(None, datetime(2025, 1, 1), 30), "now is a naive", id="naive now, never seen"),
        pytest.param(lambda: days_since(NOW.astimezone(PARIS), NOW), "not in UTC", id="last_seen in Paris"),
        pytest.param(lambda: first_ever(datetime(2025, 1, 1)), "naive", id="first_ever on a naive datetime"),
        pytest.param(lambda: back_after(NOW, NOW, 0), "quiet_days", id="no quiet days"),
        pytest.param(lambda: back_after(NOW, NOW, math.nan), "quiet_days", id="NaN quiet days"),
        pytest.param(lambda: back_after(NOW, NOW, math.inf), "quiet_days", id="endless quiet days"),
    ],
)
def test_gaps_refuse_datetimes_not_in_utc_and_quiet_days_that_mean_nothing(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("days", "explained"),
    [
        (94, "back in the news after 94 days"),
        (1, "back in the news after 1 day"),
        (None, "first mention ever"),
    ],
)
def test_a_gap_explains_itself(days, explained):
    assert explain_gap(days) == explained


def test_a_negative_gap_is_refused():
    with pytest.raises(ValueError, match="-3"):
        explain_gap(-3)
