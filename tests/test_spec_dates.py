"""Specification of veille.ingest.dates.date_written_in: the article's own date, as its text writes it.

Pure: a text and the moment Veille read it in, a UTC datetime or None out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import NOW
from veille.ingest.dates import DATELINE_CHARS, date_written_in


def day(year: int, month: int, date: int) -> datetime:
    return datetime(year, month, date, tzinfo=UTC)


SEPT_6 = day(2017, 9, 6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French, as the samples write it.
        ("Le ministère a annoncé le 6 septembre 2017 que", SEPT_6),
        ("mercredi 6 septembre 2017", SEPT_6),
        ("Mercredi 6 Septembre 2017", SEPT_6),
        ("PARIS, 6 SEPTEMBRE 2017 (AFP)", SEPT_6),
        ("le 06 septembre 2017", SEPT_6),
        ("1er octobre 2017", day(2017, 10, 1)),
        ("1\u1d49\u02b3 octobre 2017", day(2017, 10, 1)),
        ("6\u00a0septembre\u00a02017", SEPT_6),
        ("6 sept. 2017", SEPT_6),
        ("6 sept 2017", SEPT_6),
        ("3 févr. 2017", day(2017, 2, 3)),
        ("3 fevrier 2017", day(2017, 2, 3)),
        ("15 août 2017", day(2017, 8, 15)),
        ("15 aout 2017", day(2017, 8, 15)),
        ("24 déc. 2017", day(2017, 12, 24)),
        ("24 decembre 2017", day(2017, 12, 24)),
        ("le 29 février 2016", day(2016, 2, 29)),
        # Numbers: day first, the French and British order.
        ("06/09/2017", SEPT_6),
        ("6/9/2017", SEPT_6),
        ("06.09.2017", SEPT_6),
        ("06-09-2017", SEPT_6),
        ("(06/09/2017)", SEPT_6),
        # Month first only where day first cannot be a date (an American 12/25/2017).
        ("12/25/2017", day(2017, 12, 25)),
        # ISO 8601; a time is read only with its offset, else the day is what is known.
        ("2017-09-06", SEPT_6),
        ("2017/09/06", SEPT_6),
        ("publié 2017-09-06T14:30:00+02:00", datetime(2017, 9, 6, 12, 30, tzinfo=UTC)),
        ("2017-09-06T23:30:00Z", datetime(2017, 9, 6, 23, 30, tzinfo=UTC)),
        ("2017-09-06T23:30:00.250-05:00", datetime(2017, 9, 7, 4, 30, 0, 250000, tzinfo=UTC)),
        ("2017-09-06 14:30", SEPT_6),
        # English.
        ("September 6, 2017", SEPT_6),
        ("Wednesday, September 6, 2017", SEPT_6),
        ("Sept. 6, 2017", SEPT_6),
        ("Sep 6 2017", SEPT_6),
        ("September 6th, 2017", SEPT_6),
        ("6 September 2017", SEPT_6),
        ("6th September 2017", SEPT_6),
        ("1st May 2017", day(2017, 5, 1)),
    ],
)
def test_a_full_date_written_in_the_text_is_read(text, expected):
    assert date_written_in(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("le 4 septembre", id="no year"),
        pytest.param("septembre 2017", id="no day"),
        pytest.param("en 2017", id="a year alone"),
        pytest.param("06/09/17", id="a two-digit year"),
        pytest.param("31/02/2017", id="31 February"),
        pytest.param("30 février 2017", id="30 février"),
        pytest.param("29/02/2017", id="29 February of a common year"),
        pytest.param("32 mars 2017", id="day 32"),
        pytest.param("00/09/2017", id="day 0"),
        pytest.param("2017-13-01", id="month 13"),
        pytest.param("2017-00-10", id="month 0"),
        pytest.param("13/13/2017", id="neither order"),
        pytest.param("le 6 truc 2017", id="not a month"),
        pytest.param("le 6 septembres 2017", id="a longer word"),
        pytest.param("123/09/2017", id="a longer number before"),
        pytest.param("06/09/20175", id="a longer number after"),
        pytest.param("06/09-2017", id="two separators"),
        pytest.param("v1.2.2017", id="a version number"),
        pytest.param("24 heures à peine après", id="a duration"),
        pytest.param("Il y avait S 400 visiteurs en 2017.", id="numbers in prose"),
        pytest.param("Six Tu-22M3 ont décollé ce mercredi.", id="a weekday alone"),
        pytest.param("\u0666 septembre \u0662\u0660\u0661\u0667", id="Arabic-Indic digits"),
        pytest.param("\uff16 septembre \uff12\uff10\uff11\uff17", id="fullwidth digits"),
    ],
)
def test_what_is_not_a_full_valid_date_is_not_read(text):
    assert date_written_in(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("le 1er janvier 2099", None, id="far in the future"),
        # NOW is 2026-11-22 08:00 UTC: a day ahead is allowed (a dateline written east of UTC), two are not.
        pytest.param("le 23 novembre 2026", day(2026, 11, 23), id="tomorrow"),
        pytest.param("le 24 novembre 2026", None, id="the day after tomorrow"),
        pytest.param("2026-11-23T07:59:00Z", datetime(2026, 11, 23, 7, 59, tzinfo=UTC), id="within a day"),
        pytest.param("2026-11-23T08:01:00Z", None, id="a day and a minute ahead"),
        pytest.param("le 31 décembre 1989", None, id="before 1990"),
        pytest.param("le 1er janvier 1990", day(1990, 1, 1), id="1990"),
        pytest.param("le 6 septembre 0017", None, id="year 17"),
    ],
)
def test_a_date_is_plausible_only_from_1990_to_a_day_after_it_was_read(text, expected):
    assert date_written_in(text, NOW) == expected


def test_a_naive_reading_time_is_taken_as_utc():
    assert date_written_in("le 23 novembre 2026", NOW.replace(tzinfo=None)) == day(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("6 septembre 2017, puis 2016-01-01", SEPT_6, id="the first in the text"),
        pytest.param("2016-01-01, puis 6 septembre 2017", day(2016, 1, 1), id="whatever its format"),
        pytest.param("le 31/02/2017, corrigé: le 06/09/2017", SEPT_6, id="an invalid one skipped"),
        pytest.param("en 2099 (le 1er janvier 2099) et le 6 septembre 2017", SEPT_6, id="a future one skipped"),
        pytest.param("le 4 septembre, puis le 6 septembre 2017", SEPT_6, id="a day without year skipped"),
        pytest.param("le 12 février 6 septembre 2017", SEPT_6, id="a date inside a non-date"),
    ],
)
def test_the_first_plausible_date_is_taken(text, expected):
    assert date_written_in(text, NOW) == expected


FILLER = " "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(FILLER * (DATELINE_CHARS - 1) + "6 septembre 2017", SEPT_6, id="starting at the last character"),
        pytest.param(FILLER * DATELINE_CHARS + "6 septembre 2017", None, id="starting past the dateline"),
        pytest.param(FILLER * DATELINE_CHARS + " 06/09/2017 " * 1000, None, id="many past the dateline"),
        pytest.param(FILLER * (DATELINE_CHARS - 3) + "6/9/2017 " + "5" * 100, SEPT_6, id="a year ending past it"),
        pytest.param(FILLER * (DATELINE_CHARS - 3) + "6/9/2017" + "5" * 100, None, id="a year running on past it"),
    ],
)
def test_only_a_date_that_starts_in_the_first_2000_characters_is_read(text, expected):
    assert DATELINE_CHARS == 2000
    assert date_written_in(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", None, id="empty"),
        pytest.param("\x00" * 10_000, None, id="NULs"),
        pytest.param("6\x00septembre\x002017", None, id="NULs as separators"),
        pytest.param("\x1b]0;6 septembre 2017\x07\x1b[0m", SEPT_6, id="terminal codes around"),
        pytest.param("\ud800 6 septembre 2017 \udfff", SEPT_6, id="lone surrogates"),
        pytest.param("1" * 10_000, None, id="10,000 digits"),
        pytest.param("1er " * 10_000, None, id="1er 1er 1er"),
        pytest.param("6 septembre " * 10_000, None, id="days without years"),
        pytest.param("06/" * 10_000, None, id="slashes"),
        pytest.param("2017-" * 10_000, None, id="ISO-like"),
        pytest.param("2017-09-06T" * 10_000, SEPT_6, id="ISO timestamps cut short"),
        pytest.param("September " * 10_000, None, id="month names"),
        pytest.param("\u00a0" * 10_000 + "6 septembre 2017", None, id="spaces"),
        pytest.param("9999-99-99 99/99/9999 99 septembre 9999", None, id="all nines"),
        pytest.param("6 septembre 2017" + "\x00" * 1_000_000, SEPT_6, id="a megabyte after"),
    ],
)
def test_hostile_text_gives_a_date_or_none_and_never_raises(text, expected):
    assert date_written_in(text, NOW) == expected
