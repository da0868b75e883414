"""First seen: an entry back in the news after a long silence, or named for the first time ever."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

_DAY = timedelta(days=1)


def days_since(last_seen: datetime | None, now: datetime) -> float | None:
    """Days from `last_seen` to `now`; None if never seen, 0.0 if the clock has gone back past it."""
    _check_utc(now, "now")
    if last_seen is None:
        return None
    _check_utc(last_seen, "last_seen")
    return max(0.0, (now - last_seen) / _DAY)


def back_after(last_seen: datetime | None, now: datetime, quiet_days: float) -> int | None:
    """Whole days since the entry was last mentioned, when at least `quiet_days`; else None.

    Never seen is None too: that is a first mention ever (`first_ever`), reported on its own.
    """
    if not (math.isfinite(quiet_days) and quiet_days > 0):
        raise ValueError(f"quiet_days must be a positive number of days, not {quiet_days!r}")
    days = days_since(last_seen, now)
    if days is None or days < quiet_days:
        return None
    return math.floor(days)


def first_ever(last_seen: datetime | None) -> bool:
    """Whether the entry has never been mentioned before."""
    if last_seen is None:
        return True
    _check_utc(last_seen, "last_seen")
    return False


def explain_gap(days: int | None) -> str:
    """'back in the news after 94 days', or for None (never seen) 'first mention ever'."""
    if days is None:
        return "first mention ever"
    if days < 0:
        raise ValueError(f"a gap of {days} days")
    return f"back in the news after {days} day{'' if days == 1 else 's'}"


def _check_utc(moment: datetime, name: str) -> None:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"{name} is a naive datetime: give it in UTC")
    if offset:
        raise ValueError(f"{name} is not in UTC ({moment.isoformat()}): give it in UTC")
