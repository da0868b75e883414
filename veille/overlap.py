"""Runs of one deployment that overlap: which came due while a run processed, and which run a later one supersedes.

Prefect queues a deployment's runs behind the one in progress (its concurrency limit, strategy ENQUEUE).
A run started by hand waits its turn and does its work whatever came after it: someone asked for it.
A scheduled run is only the schedule's "read again now": when its turn comes and a later scheduled run
is already due, that one does the same work, so the earlier one ends at once. Behind a very slow run
the queue of scheduled runs then costs one read, not one per interval missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DueRun:
    """A run of the deployment as the schedule sees it: its name, when it was due, who made it."""

    name: str
    due: datetime
    # Made by the deployment's schedule (Prefect's FlowRun.auto_scheduled), not by hand or through the API.
    scheduled: bool


def due_meanwhile(runs: Iterable[DueRun], since: datetime, until: datetime) -> list[DueRun]:
    """The scheduled runs that came due after `since` and up to `until`, earliest first.

    A run started by hand meanwhile is not the schedule's doing: a run is not late because of it.
    """
    return sorted((run for run in runs if run.scheduled and since < run.due <= until), key=lambda run: run.due)


def superseded_by(this: DueRun, runs: Iterable[DueRun], now: datetime) -> DueRun | None:
    """The latest scheduled run due after `this` one and by `now`, when `this` is scheduled; else None."""
    if not this.scheduled:
        return None
    later = [run for run in due_meanwhile(runs, this.due, now) if run.name != this.name]
    return later[-1] if later else None
