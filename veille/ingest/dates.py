"""The date an article's own text gives, for a source that gives none (a folder of text files).

The rule: the first full date (day, month and year) that starts in the first 2,000 characters (a
dateline, a first paragraph) and is plausible, from 1990 to a day after the article was read. French
first, English too:

    le 6 septembre 2017 · 1er octobre 2017 · mercredi 6 sept. 2017 · 06/09/2017 · 2017-09-06
    September 6, 2017 · 6 September 2017 · 2017-09-06T14:30:00+02:00

Numbers are read day first (06/09/2017 is 6 September), month first only where day first cannot be a
date (12/25/2017). A day without a year ("le 4 septembre") or with two digits ("06/09/17") is not
read: the year cannot be trusted. A date is midnight UTC of its day; a time is read only in an ISO
8601 timestamp with its offset. The first date is not always the article's (it may be a photo
caption's): it is the one a reader of the start would see.

Hostile text costs the same as any other: only the first 2,000 characters are searched, with patterns
whose every quantifier is bounded and never nested, so each position costs a bounded amount of work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

DATELINE_CHARS = 2000
# Longer than any date the patterns match: a date that starts just inside the dateline is read whole,
# and what follows its last digit is seen (so that 2017 in "20175" is not a year).
_LONGEST_DATE = 64
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_AHEAD = timedelta(days=1)  # a dateline written east of UTC can be a day ahead of the clock

MONTHS = {
    # French, with the abbreviations of the Imprimerie nationale and the same without accents.
    **dict.fromkeys(("janvier", "janv"), 1),
    **dict.fromkeys(("février", "fevrier", "févr", "fevr", "fév", "fev"), 2),
    "mars": 3,
    **dict.fromkeys(("avril", "avr"), 4),
    "mai": 5,
    "juin": 6,
    **dict.fromkeys(("juillet", "juil"), 7),
    **dict.fromkeys(("août", "aout"), 8),
    **dict.fromkeys(("septembre", "sept", "sep"), 9),
    **dict.fromkeys(("octobre", "oct"), 10),
    **dict.fromkeys(("novembre", "nov"), 11),
    **dict.fromkeys(("décembre", "decembre", "déc", "dec"), 12),
    # English.
    **dict.fromkeys(("january", "jan"), 1),
    **dict.fromkeys(("february", "feb"), 2),
    **dict.fromkeys(("march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    "may": 5,
    **dict.fromkeys(("june", "jun"), 6),
    **dict.fromkeys(("july", "jul"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    "september": 9,  # sept and sep are above
    "october": 10,
    "november": 11,
    "december": 12,
}

# Building blocks. ASCII digits only: a fullwidth or Arabic-Indic digit is no date of ours.
_SPACE = r"\s{1,3}"
_DAY = r"([0-9]{1,2})(?:er|\u1d49\u02b3|st|nd|rd|th)?"  # 1er, 1ᵉʳ, 1st, 6th
_MONTH_NAME = r"([^\W\d_]{3,9})\.?"  # a word looked up in MONTHS, not an alternation to backtrack through
_YEAR = r"([0-9]{4})(?![0-9])"

# 6 septembre 2017, 1er oct. 2017, 6 September 2017
_DAY_MONTH_YEAR = re.compile(rf"(?<!\w){_DAY}{_SPACE}{_MONTH_NAME}{_SPACE}{_YEAR}", re.IGNORECASE)
# September 6, 2017
_MONTH_DAY_YEAR = re.compile(rf"(?<!\w){_MONTH_NAME}{_SPACE}{_DAY},?{_SPACE}{_YEAR}", re.IGNORECASE)
# 06/09/2017, 6.9.2017, 06-09-2017: one separator twice; not inside a longer run of numbers (v1.2.2017).
_NUMERIC = re.compile(r"(?<![\w./-])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})(?!\w)(?![./-][0-9])")
# 2017-09-06, 2017/09/06, and a timestamp with its offset: 2017-09-06T14:30[:00[.250]](Z|+02:00)
_ISO = re.compile(
    r"(?<![\w./-])([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?(Z|[+-][0-9]{2}(?::?[0-9]{2})?))?"
    r"(?![0-9])",
    re.IGNORECASE,
)


def date_written_in(text: str, read_at: datetime, within: int = DATELINE_CHARS) -> datetime | None:
    """The first plausible full date that starts in the first `within` characters of `text`, in UTC.

    `read_at` is when Veille read the article (naive is taken as UTC): a date more than a day after
    it, or before 1990, is not the article's.
    """
    latest = (read_at if read_at.tzinfo else read_at.replace(tzinfo=UTC)) + _AHEAD
    start = text[: within + _LONGEST_DATE]
    found = [
        hit for pattern, read in _FORMS if (hit := _first_plausible(pattern, read, start, within, latest)) is not None
    ]
    return min(found)[1] if found else None


def _first_plausible(
    pattern: re.Pattern[str],
    read: Callable[[re.Match[str]], datetime | None],
    text: str,
    within: int,
    latest: datetime,
) -> tuple[int, datetime] | None:
    """(where it starts, the date) of the first match of `pattern` that is a plausible date."""
    position = 0
    while (match := pattern.search(text, position)) is not None and match.start() < within:
        moment = read(match)
        if moment is not None and EARLIEST <= moment <= latest:
            return match.start(), moment
        # From the next character, not the match's end: a date may start inside a match that is not one.
        position = match.start() + 1
    return None


def _calendar_day(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:  # 31/02, month 13, day 0
        return None


def _day_month_year(match: re.Match[str]) -> datetime | None:
    day, name, year = match.groups()
    month = MONTHS.get(name.lower())
    return _calendar_day(int(year), month, int(day)) if month else None


def _month_day_year(match: re.Match[str]) -> datetime | None:
    name, day, year = match.groups()
    month = MONTHS.get(name.lower())
    return _calendar_day(int(year), month, int(day)) if month else None


def _numeric(match: re.Match[str]) -> datetime | None:
    first, _, second, year = match.groups()
    return _calendar_day(int(year), int(second), int(first)) or _calendar_day(int(year), int(first), int(second))


def _iso(match: re.Match[str]) -> datetime | None:
    year, _, month, day, hour, minute, second, fraction, offset = match.groups()
    date = _calendar_day(int(year), int(month), int(day))
    if date is None or offset is None:
        return date
    try:
        moment = date.replace(
            hour=int(hour),
            minute=int(minute),
            second=int(second or 0),
            microsecond=int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError:  # 25:00, 14:61: a timestamp that is not one says nothing trustworthy
        return None
    if offset.upper() == "Z":
        return moment
    sign = 1 if offset[0] == "+" else -1
    hours = int(offset[1:3])
    minutes = int(offset[-2:]) if len(offset) > 3 else 0
    if hours > 14 or minutes > 59:
        return None
    return moment - sign * timedelta(hours=hours, minutes=minutes)


_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], datetime | None]], ...] = (
    (_DAY_MONTH_YEAR, _day_month_year),
    (_MONTH_DAY_YEAR, _month_day_year),
    (_NUMERIC, _numeric),
    (_ISO, _iso),
)
