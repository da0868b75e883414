"""Time measured the only way a test may: ratios side by side in one process, never an absolute time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def best_seconds(run: Callable[[], object], calls: int, rounds: int = 3) -> float:
    """The best of `rounds` timings of `calls` calls of `run`."""
    best = math.inf
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            run()
        best = min(best, time.perf_counter() - started)
    return best


def assert_linear(work: Callable[[str], object], make: Callable[[int], str], size: int) -> None:
    """10x the input takes less than 20x the time, measured side by side (never an absolute time).

    The small input is called enough times to take a few milliseconds, so that timer and scheduler
    noise cannot decide the ratio; the large one is called as many times.
    """
    small, large = make(size), make(10 * size)
    work(small)  # warm caches (the translation tables, the model's first call)
    once = best_seconds(lambda: work(small), 1, rounds=1)
    calls = max(1, math.ceil(0.005 / max(once, 1e-9)))
    small_seconds = best_seconds(lambda: work(small), calls)
    large_seconds = best_seconds(lambda: work(large), calls)
    assert large_seconds < 20 * small_seconds, (
        f"{len(large)} chars took {large_seconds / small_seconds:.1f}x the time of {len(small)} chars"
    )
