"""Specification of the operator's views, pure: terminal tables, dates and suggestions, source states, the map's plan
and its popups. No database, no Prefect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import NOW, place, weapon
from veille.geomap import gazetteer_coordinates, plan_map, popup_html, radius
from veille.listing import did_you_mean, parse_moment, shown, table
from veille.records import MentionedArticle, SourceHealth, SourceHealthFacts, SourceState
from veille.source_listing import source_views

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "end_of_day", "moment"),
    [
        ("2026-11-22", False, datetime(2026, 11, 22, tzinfo=UTC)),
        ("2026-11-22", True, datetime(2026, 11, 23, tzinfo=UTC)),
        ("2026-11-22T08:30", True, datetime(2026, 11, 22, 8, 30, tzinfo=UTC)),
        ("2026-11-22T09:30+01:00", False, datetime(2026, 11, 22, 8, 30, tzinfo=UTC)),
    ],
    ids=["date", "date-until", "naive-time-is-utc", "zone-converted"],
)
def test_moments_are_iso_dates_or_times_in_utc(text, end_of_day, moment):
    assert parse_moment(text, end_of_day=end_of_day) == moment


@pytest.mark.parametrize("text", ["22/11/2026", "2026-13-01", "demain", ""])
def test_a_moment_that_is_not_iso_says_what_it_takes(text):
    with pytest.raises(ValueError, match=r"is not an ISO date \(2026-11-22\) or date and time"):
        parse_moment(text)


@pytest.mark.parametrize(
    ("wanted", "candidates", "says"),
    [
        ("hamma", ["hama", "homs", "alep"], " (did you mean hama?)"),
        ("HOMS", ["hama", "homs"], " (did you mean homs?)"),
        ("zzz", ["hama"], ""),
        ("Hamma", {"Hama": "hama", "hama": "hama"}, " (did you mean hama?)"),
    ],
    ids=["close", "any-case", "nothing-close", "names-shown-as-ids-once"],
)
def test_did_you_mean_suggests_the_close_candidates(wanted, candidates, says):
    assert did_you_mean(wanted, candidates) == says


def test_a_table_fits_its_width_by_shortening_the_stretched_column():
    rows = [("a", "un titre bien trop long pour tenir dans la largeur", "x"), ("bb", "court", "yy")]
    lines = table(("K", "TITLE", "V"), rows, width=30, stretch=1)
    assert all(len(line) <= 30 for line in lines)
    assert lines[1].startswith("a   un titre bien") and "…" in lines[1] and lines[1].endswith("x")
    assert lines[2].startswith("bb  court ") and lines[2].index("yy") == lines[1].index("x") == lines[0].index("V")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("\x1b[31mrouge\x1b[0m", "\\x1b[31mrouge\\x1b[0m"), ("a\r\nb\tc", "a b c"), ("\u202eevil", "\\u202eevil")],
    ids=["ansi", "line-breaks", "bidi"],
)
def test_shown_text_cannot_drive_a_terminal(text, expected):
    assert shown(text) == expected


def facts(name: str, arrivals=(), failures: int = 0, last_success=NOW) -> SourceHealthFacts:
    return SourceHealthFacts(name, failures, last_success, None, tuple(arrivals), None, None)


def health(name: str, failures: int = 0, last_success=NOW, error: str | None = None, entries: int = 0):
    return SourceHealth(name, last_success, error, NOW if error else None, failures, None, entries)


DAILY = [NOW - (10 - day) * DAY for day in range(5)]  # five reads a day apart, the last 6 days ago


@pytest.mark.parametrize(
    ("h", "f", "state", "says"),
    [
        (None, None, "never read", "never read"),
        (health("s", last_success=None), facts("s", last_success=None), "never read", "never read"),
        (
            health("s", 2, NOW - 3 * DAY),
            facts("s", failures=2),
            "failing",
            "failing since 2026-11-19 08:00, 2 failures in a row",
        ),
        (
            health("s", 1, None),
            facts("s", failures=1, last_success=None),
            "failing",
            "failing, never read, 1 failure in a row",
        ),
        (health("s"), facts("s", DAILY), "silent", "silent for 6 days"),
        (health("s"), facts("s", DAILY[1:]), "ok", "ok"),
        (health("s"), facts("s", [NOW - 2 * DAY + k * timedelta(hours=6) for k in range(5)]), "ok", "ok"),
    ],
    ids=["unknown", "no-success", "failing", "failing-never-read", "silent", "too-few-reads", "recent"],
)
def test_a_sources_state_follows_its_reads(h, f, state, says):
    states = {"s": SourceState({}, NOW, h.consecutive_failures)} if h else {}
    (view,) = source_views(["s"], [h] if h else [], states, [f] if f else [])
    assert (view.state, view.says) == (state, says)


def test_a_sources_last_error_is_masked():
    (view,) = source_views(["s"], [health("s", 1, error="GET https://u:pw@host/feed?key=k failed")], {}, [])
    assert view.last_error is not None and "pw" not in view.last_error and "key=k" not in view.last_error


def mentioned(entry_id: str, article_id: int, mentions: int = 1, title: str = "T", location: str = "inbox/a.txt"):
    return MentionedArticle(entry_id, article_id, title, location, "folder:inbox", NOW - article_id * DAY, mentions)


def test_the_map_places_mentioned_places_by_coordinates_then_gazetteer_and_lists_the_rest():
    entries = [
        place("hama", coordinates=(35.1, 36.7)),
        place("manbij", country="SY"),
        place("zzyzx", "Tell Zzyzx", country="SY"),
        place("alep", coordinates=(36.2, 37.1)),
        weapon("mortier"),
    ]
    found = [
        mentioned("hama", 1, 2),
        mentioned("hama", 2),
        mentioned("manbij", 3, 5),
        mentioned("zzyzx", 1),
        mentioned("mortier", 1),
    ]
    plan = plan_map(entries, found, NOW - 7 * DAY, NOW, locate=lambda e: (36.5, 37.9) if e.id == "manbij" else None)
    assert [(m.entry_id, m.coordinates, m.placed_by, m.mentions) for m in plan.markers] == [
        ("manbij", (36.5, 37.9), "gazetteer", 5),
        ("hama", (35.1, 36.7), "watch list", 3),
    ]
    assert [a.article_id for a in plan.markers[1].articles] == [1, 2]  # newest first
    assert [(n.entry_id, n.mentions, n.articles) for n in plan.not_placed] == [("zzyzx", 1, 1)]
    assert plan.articles == 3


def test_the_gazetteer_places_a_place_of_a_country_it_knows():
    lat, lon = gazetteer_coordinates(place("manbij", country="SY")) or (0, 0)
    assert abs(lat - 36.53) < 0.05 and abs(lon - 37.95) < 0.05
    assert gazetteer_coordinates(place("manbij")) is None  # no country: a name alone is too often several places


def test_a_markers_radius_grows_with_its_mentions_within_bounds():
    radii = [radius(n) for n in (1, 2, 10, 100, 10_000)]
    assert radii == sorted(radii) and radii[0] == 6.0 and radii[-1] == 30.0


@pytest.mark.parametrize(
    ("location", "link"),
    [
        ("https://sana.example/a?b=1", 'href="https://sana.example/a?b=1"'),
        ("javascript:alert(1)", None),
        ("inbox/a.txt", None),
    ],
    ids=["web", "javascript", "file"],
)
def test_a_popup_links_only_web_articles_and_escapes_every_title(location, link):
    from veille.geomap import PlaceMarker

    title = '<img src=x onerror=alert(1)>"'
    marker = PlaceMarker(
        "hama", "Hama", (35.1, 36.7), "watch list", 1, (mentioned("hama", 1, title=title, location=location),)
    )
    content = popup_html(marker)
    assert "<img" not in content and "&lt;img src=x onerror=alert(1)&gt;&quot;" in content
    assert (link in content) if link else ("<a " not in content)
