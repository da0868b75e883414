"""Spike: more articles about an entry in a window than its own history makes plausible.

The statistic is a Poisson tail with a floor on the rate; docs/design.md "Spike statistic" gives its
formula and a table of examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

HOURS_PER_DAY = 24.0
# A sum of terms is done when the next term no longer changes it in double precision.
_NEGLIGIBLE = 2.0**-54


@dataclass(frozen=True)
class SpikeTest:
    """One entry's count in a window against the rate its history gives, and whether that is a spike."""

    observed: int  # articles (or stories) about the entry in the window, this one included
    expected: float  # rate the history gives for a window this long, after the floor
    usual_per_day: float  # the history's mean per day, before the floor (for "usual 0.4/day")
    p_value: float  # P(X >= observed) for X ~ Poisson(expected)
    fires: bool

    def explain(self, window_hours: float, one: str = "article", many: str = "articles") -> str:
        """'12 articles in 24 h, usual 0.4/day (p = 3e-9)'."""
        noun = one if self.observed == 1 else many
        return (
            f"{self.observed} {noun} in {window_hours:g} h, "
            f"usual {_per_day(self.usual_per_day)}/day (p = {_probability(self.p_value)})"
        )


def spike_test(
    observed: int,
    history_days: Sequence[int],
    window_hours: float,
    floor_per_day: float = 0.5,
    max_p: float = 0.001,
    min_count: int = 3,
) -> SpikeTest:
    """Test `observed` in a window of `window_hours` against `history_days`, the counts of each day before it.

    expected = max(mean of history_days, floor_per_day) * window_hours / 24. The floor keeps an entry
    seldom or never mentioned from firing on its first two articles; an empty history is a silent one.
    Fires when observed >= min_count and P(X >= observed) <= max_p.
    """
    if observed < 0 or any(count < 0 for count in history_days):
        raise ValueError("counts of articles cannot be negative")
    if not (math.isfinite(window_hours) and window_hours > 0):
        raise ValueError(f"window_hours must be a positive number, not {window_hours!r}")
    if not (math.isfinite(floor_per_day) and floor_per_day >= 0):
        raise ValueError(f"floor_per_day must be zero or more, not {floor_per_day!r}")
    usual_per_day = math.fsum(history_days) / len(history_days) if history_days else 0.0
    expected = max(usual_per_day, floor_per_day) * window_hours / HOURS_PER_DAY
    p_value = poisson_tail(observed, expected)
    return SpikeTest(observed, expected, usual_per_day, p_value, fires=observed >= min_count and p_value <= max_p)


def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected).

    Summed from the tail's own end in log space (math.lgamma for the first term, then each term from the
    one before), so that neither large counts nor a tail of 1e-300 overflow or cancel. The number of terms
    is about 9 * sqrt(expected) at worst, when observed is near expected.
    """
    if not (math.isfinite(expected) and expected >= 0):
        raise ValueError(f"expected must be a finite rate of zero or more, not {expected!r}")
    if observed <= 0:
        return 1.0
    if expected == 0:
        return 0.0
    if observed > expected:
        return _sum_of_terms(observed, expected, upward=True)
    # Here the tail is above one half or so: its complement, the lower tail, is the one to sum.
    return max(0.0, 1.0 - _sum_of_terms(observed - 1, expected, upward=False))


def _sum_of_terms(first: int, rate: float, upward: bool) -> float:
    """P(X = first) + P(X = first ± 1) + ... away from the mean, where the terms only shrink."""
    log_first = -rate + first * math.log(rate) - math.lgamma(first + 1)
    total, term, count = 1.0, 1.0, first
    while True:
        if upward:
            count += 1
            term *= rate / count
        elif count == 0:
            break
        else:
            term *= count / rate
            count -= 1
        total += term
        if term <= total * _NEGLIGIBLE:
            break
    return math.exp(log_first + math.log(total))


def _per_day(rate: float) -> str:
    """Two significant digits under 10 a day (0.036, 0.4, 2.5), whole numbers above."""
    return f"{rate:.2g}" if rate < 10 else f"{rate:.0f}"


def _probability(p: float) -> str:
    """One significant digit, exponent unpadded: 3e-9, 0.02, 1."""
    mantissa, _, exponent = f"{p:.1g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa
