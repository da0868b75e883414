"""Specification of veille.rules: the spike statistic, names near each other, names back after a silence.

Pure functions over numbers, spans and datetimes: no database, no Prefect, no model.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from veille.rules.gaps import back_after, days_since, explain_gap, first_ever

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
