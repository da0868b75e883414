"""What every benchmark of `make bench` gives back: figures against their goals, and how they were timed.

Each benchmark module under bench/ that `make bench` runs (bench/__main__.py, BENCHMARKS) has a function
`measure(quick: bool) -> list[Figure]`. Timings are taken side by side in one run, A B A B
(`alternate`), because these machines are shared and noisy: a figure is a ratio of medians where it can be.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure and the goal it is held to."""

    goal: str  # which goal of the benchmark suite, e.g. "2. flat in the watch list"
    name: str  # what was measured, e.g. "wall time, 10,000 entries / 30 entries"
    value: float
    unit: str  # "x", "s", "MB", "articles/s"
    target: str  # the goal as written, e.g. "<= 1.1"
    met: bool | None  # None: reported, no goal
    detail: str = ""  # how: corpus, sizes, the medians and ranges the value comes from
    samples: dict[str, list[float]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def alternate(sides: dict[str, Callable[[], float | None]], rounds: int) -> dict[str, list[float]]:
    """Run each side once per round, in turn (A B A B ...); each returns its own measure, or None to be
    timed whole. The samples of each side, in order."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, side in sides.items():
            started = time.perf_counter()
            measured = side()
            samples[name].append(time.perf_counter() - started if measured is None else measured)
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], unit: str = "s") -> str:
    """ "median 12.3 s (11.9-13.0, 3 runs)"."""
    return f"median {median(values):.3g} {unit} ({min(values):.3g}-{max(values):.3g}, {len(values)} runs)"


def ratio(numerator: list[float], denominator: list[float]) -> float:
    """The ratio of two sides' medians."""
    return median(numerator) / median(denominator)
