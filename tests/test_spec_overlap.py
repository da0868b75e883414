"""Runs of one deployment that overlap: which count as having waited for a run, which one a later one supersedes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.overlap import DueRun, due_meanwhile, superseded_by

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return NINE + timedelta(minutes=minutes)


def scheduled(name: str, minutes: float) -> DueRun:
    return DueRun(name, at(minutes), scheduled=True)


def by_hand(name: str, minutes: float) -> DueRun:
    return DueRun(name, at(minutes), scheduled=False)


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        pytest.param([], [], id="nothing came due"),
        pytest.param([scheduled("b", 30), scheduled("a", 15)], ["a", "b"], id="scheduled runs, earliest first"),
        pytest.param([by_hand("clicked", 5), scheduled("a", 15)], ["a"], id="a run started by hand is not counted"),
        pytest.param([scheduled("before", -15), scheduled("at-start", 0)], [], id="due before this run began"),
        pytest.param([scheduled("at-end", 40), scheduled("after", 41)], ["at-end"], id="due by the end, not after"),
    ],
)
def test_only_the_scheduled_runs_due_while_a_run_processed_waited_for_it(runs, expected):
    assert [run.name for run in due_meanwhile(runs, since=at(0), until=at(40))] == expected


@pytest.mark.parametrize(
    ("this", "others", "expected"),
    [
        pytest.param(scheduled("this", 0), [], None, id="alone in the queue"),
        pytest.param(
            scheduled("this", 0),
            [scheduled("next", 15), scheduled("latest", 30)],
            "latest",
            id="the latest scheduled run already due does the work",
        ),
        pytest.param(scheduled("this", 0), [scheduled("future", 45)], None, id="a later run not due yet"),
        pytest.param(scheduled("this", 15), [scheduled("earlier", 0)], None, id="an earlier run supersedes nothing"),
        pytest.param(scheduled("this", 0), [by_hand("clicked", 15)], None, id="a run started by hand supersedes none"),
        pytest.param(by_hand("this", 0), [scheduled("next", 15)], None, id="a run started by hand is never superseded"),
    ],
)
def test_a_scheduled_run_whose_turn_comes_after_a_later_one_was_due_is_superseded(this, others, expected):
    later = superseded_by(this, others, now=at(40))
    assert (later.name if later else None) == expected
