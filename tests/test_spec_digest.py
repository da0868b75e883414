"""Specification of veille.digest.render_digest: a period's figures as one notification.

Pure: figures in, message out; no database, no Prefect, no model.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.builders import NOW, alert_line, period_figures
from veille.digest import render_digest

SINCE = NOW - timedelta(hours=24)


def digest_lines(**figures) -> list[str]:
    return render_digest(period_figures(**figures), SINCE, NOW).body.split("\n")


@pytest.mark.parametrize(
    ("alerts", "since", "title"),
    [
        pytest.param([], SINCE, "Veille digest: 0 alerts in the last 24 h", id="a day without alerts"),
        pytest.param(
            [alert_line(1), alert_line(2)], SINCE, "Veille digest: 2 alerts in the last 24 h", id="a day with two"
        ),
        pytest.param(
            [alert_line(1)],
            NOW - timedelta(hours=6, minutes=20),
            "Veille digest: 1 alert in the last 6 h",
            id="hours rounded",
        ),
    ],
)
def test_the_title_counts_the_alerts_and_the_hours_of_the_period(alerts, since, title):
    assert render_digest(period_figures(alerts=alerts), since, NOW).title == title


def test_the_body_opens_with_the_period_in_the_zone_of_its_end():
    assert digest_lines()[0] == "From 2026-11-21 08:00 to 2026-11-22 08:00 UTC."


def test_a_period_without_alerts_says_so_and_still_counts_articles():
    lines = digest_lines(articles={"feed:a": 2, "folder:seeds": 5})

    assert "No new alert." in lines
    assert "New articles: 7 (folder:seeds 5, feed:a 2)" in lines


def test_alerts_are_counted_by_entry_most_frequent_first_then_listed_by_article():
    alerts = [
        alert_line(1, "Hama", article_title="Tirs", source="feed:a"),
        alert_line(2, "Kalibr", "weapon", article_title="Tirs", source="feed:a"),
        alert_line(3, "Kalibr", "weapon", article_title="Frappes", source="feed:b"),
    ]

    lines = digest_lines(alerts=alerts)

    assert "Alerts by entry: Kalibr (weapon) ×2, Hama (place) ×1" in lines
    assert lines[lines.index("Alerts by entry: Kalibr (weapon) ×2, Hama (place) ×1") + 1 :][:2] == [
        "- «Tirs» (feed:a): Hama, Kalibr",
        "- «Frappes» (feed:b): Kalibr",
    ]


def test_thirty_articles_are_listed_and_the_rest_counted():
    alerts = [alert_line(n, article_title=f"Article {n}") for n in range(33)]

    lines = digest_lines(alerts=alerts)

    assert sum(line.startswith("- «Article ") for line in lines) == 30
    assert "- … and 3 more articles" in lines


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        pytest.param("Tirs à Hama", "Tirs à Hama", id="a title as written"),
        pytest.param(
            "Tirs " + "sur la ville " * 10,
            "Tirs sur la ville sur la ville sur la ville sur la ville sur la ville sur la…",
            id="a long title cut on a word",
        ),
        pytest.param("Voir evil.top\n@everyone", "Voir evil[.]top ＠everyone", id="a hostile title inert"),
    ],
)
def test_an_article_title_is_shown_short_and_inert(title, shown):
    (line,) = [line for line in digest_lines(alerts=[alert_line(article_title=title)]) if line.startswith("- «")]

    assert line == f"- «{shown}» (folder:test): Hama"


@pytest.mark.parametrize(
    ("deliveries", "line"),
    [
        pytest.param(
            {"sent": 3, "failed": 1, "pending": 2},
            "Deliveries of these alerts: 1 failed, 2 pending, 3 sent",
            id="statuses in alphabetical order",
        ),
        pytest.param({}, None, id="no delivery: no line"),
    ],
)
def test_deliveries_are_counted_by_status(deliveries, line):
    lines = [line for line in digest_lines(deliveries=deliveries) if line.startswith("Deliveries")]

    assert lines == ([line] if line else [])


def test_each_failing_source_has_its_line_with_its_streak_and_error():
    lines = digest_lines(failing_sources=[("feed:a", 3, "HTTP 503"), ("feed:b", 1, "timed out")])

    assert lines[-2:] == [
        "Source failing: feed:a, 3 times in a row (HTTP 503)",
        "Source failing: feed:b, 1 time in a row (timed out)",
    ]


def test_new_articles_name_the_ten_busiest_sources():
    lines = digest_lines(articles={f"feed:{n:02}": n for n in range(1, 13)})

    (line,) = [line for line in lines if line.startswith("New articles:")]
    assert line.startswith("New articles: 78 (feed:12 12, feed:11 11, ")
    assert line.endswith("feed:03 3)")


def test_a_zero_article_period_has_no_source_list():
    assert "New articles: 0" in digest_lines()


def test_times_are_written_as_given():
    paris = timezone(timedelta(hours=1), "CET")
    since, until = datetime(2026, 11, 21, 9, 0, tzinfo=paris), datetime(2026, 11, 22, 9, 0, tzinfo=paris)

    body = render_digest(period_figures(), since, until).body

    assert body.startswith("From 2026-11-21 09:00 to 2026-11-22 09:00 CET.")
