"""Specification of the run reports (veille.report): the Markdown artifacts of monitor, replay and digest runs.

Pure: records in, Markdown out; no database, no Prefect, no model. tests/test_report.py holds the
cell-level rules (nothing an article says becomes Markdown); these say what each report shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.builders import (
    NOW,
    alert_line,
    article,
    batch,
    created_alert,
    period_figures,
    planned_alert,
    source_health,
    weapon,
)
from veille.digest import render_digest
from veille.records import DeliveryReport, ReadError
from veille.report import alert_items, render_digest_report, render_monitor_report, render_replay_report
from veille.summary import RunSummary

SINCE = NOW - timedelta(hours=24)
# A cell neutralises every value, file paths and target labels too: "test/a.txt" shows as test/a[.]txt
# and "veille://" as veille[:]//, escaped for Markdown; a source's name keeps its "folder:" or "feed:"
# (the configuration wrote it, and the UI makes no link of it).
FOLDER = r"folder:test"
FEED_A = r"feed:a"
ARTICLE = rf"Tirs ({FOLDER}: test/a.txt)"


def monitor_lines(
    summary: RunSummary | None = None, alerts=(), statuses=None, seconds: float = 1.5, turned_away=()
) -> list[str]:
    return render_monitor_report(
        summary or RunSummary(), list(alerts), statuses or {}, seconds, list(turned_away)
    ).split("\n")


def line_starting(lines: list[str], start: str) -> str:
    (line,) = [line for line in lines if line.startswith(start)]
    return line


# --- render_monitor_report ------------------------------------------------------------------------


def test_the_monitor_report_heading_is_the_run_s_headline_of_alerts_and_deliveries_sent():
    summary = RunSummary(alerts=[created_alert(1), created_alert(2)], delivery=DeliveryReport(sent=3))

    assert monitor_lines(summary)[0] == "# Monitor run: 2 alerts, 3 sent"


@pytest.mark.parametrize(
    ("seconds", "turned_away", "line"),
    [
        pytest.param(1.54, (), "- **Duration**: 1.5 s", id="a run within its interval"),
        pytest.param(
            612.0,
            ("cheerful-fox", "quiet-owl"),
            "- **Duration**: 612.0 s, longer than its schedule's interval: 2 scheduled runs came due meanwhile "
            "and waited for it (cheerful\\-fox, quiet\\-owl)",
            id="a run that outlived its interval",
        ),
        pytest.param(
            61.0,
            ("cheerful-fox",),
            "- **Duration**: 61.0 s, longer than its schedule's interval: 1 scheduled run came due meanwhile "
            "and waited for it (cheerful\\-fox)",
            id="one scheduled run waited",
        ),
    ],
)
def test_the_duration_says_when_a_run_outlived_its_interval_and_which_scheduled_runs_waited(seconds, turned_away, line):
    assert line_starting(monitor_lines(seconds=seconds, turned_away=turned_away), "- **Duration**") == line


def test_the_figures_count_sources_articles_mentions_and_deliveries():
    summary = RunSummary(
        read_errors=[ReadError("folder:test", "x.txt", "not UTF-8")],
        new=3,
        changed=1,
        unchanged=5,
        watched_mentions=4,
        place_entities=7,
        still_pending=2,
        delivery=DeliveryReport(sent=2, retrying=1, deferred=2, failed=1, recorded_from_journal=1),
        batches=[
            batch("feed:a", not_modified=True),
            batch("feed:b", not_due=True),
            batch("feed:c", failure="HTTP 500"),
            batch("folder:test", article()),
        ],
    )

    lines = monitor_lines(summary)

    assert line_starting(lines, "- **Sources**") == "- **Sources**: 4 read: 1 not modified, 1 not due, 1 failed"
    assert line_starting(lines, "- **Articles**") == "- **Articles**: 3 new, 1 changed, 5 unchanged, 1 unreadable item"
    assert line_starting(lines, "- **Mentions**") == "- **Mentions**: 4 of watched entries, 7 places found by the model"
    assert line_starting(lines, "- **Deliveries**") == (
        "- **Deliveries**: 2 sent, 3 to retry, 1 failed for good, 2 pending in the outbox; "
        "1 sent by an earlier run recorded now"
    )


@pytest.mark.parametrize(
    ("delivery", "line"),
    [
        pytest.param(DeliveryReport(), None, id="every alert routed: no line"),
        pytest.param(
            DeliveryReport(unrouted=2),
            "- **Unrouted**: 2 alerts reached no target (no target has one of "
            "their tags); each is sent when a target with one of them is configured",
            id="alerts unrouted",
        ),
        pytest.param(
            DeliveryReport(unrouted=1),
            "- **Unrouted**: 1 alert reached no target (no target has one of "
            "their tags); each is sent when a target with one of them is configured",
            id="one alert unrouted",
        ),
        pytest.param(
            DeliveryReport(routed_late=1),
            "- **Unrouted**: 1 that had reached no target sent to a target configured since",
            id="alerts routed late",
        ),
    ],
)
def test_alerts_that_reached_no_target_have_a_line_of_their_own(delivery, line):
    lines = [line for line in monitor_lines(RunSummary(delivery=delivery)) if line.startswith("- **Unrouted**")]

    assert lines == ([line] if line else [])


def test_a_run_without_alerts_says_nothing_new_and_one_with_alerts_lists_them_an_item_each():
    quiet = monitor_lines()
    busy = monitor_lines(
        alerts=[alert_line(1), alert_line(2, "Kalibr", "weapon", variant="kalibrs")],
        statuses={1: Counter(sent=1), 2: Counter(sent=1, pending=1)},
    )

    assert quiet[quiet.index("## Alerts (0)") + 2] == "Nothing new."
    items = busy[busy.index("## Alerts (2)") + 2 :][:4]
    assert items == [
        "- **Hama** (place) — sent\\",
        f"  «Des tirs à Hama.» — {ARTICLE}",
        "- **Kalibr** (weapon), written «kalibrs» — sent 1 of 2; 1 to retry\\",
        f"  «Des tirs à Hama.» — {ARTICLE}",
    ]


def test_an_alert_of_a_web_article_links_to_it_and_names_every_entry_of_its_message():
    alert = replace(
        alert_line(1, "Kalachnikov", "weapon", location="https://www.afp.example/a/1", source="feed:afp"),
        entries=("Kalachnikov", "Hama"),
    )

    lines = monitor_lines(alerts=[alert], statuses={1: Counter(sent=2)})

    assert lines[lines.index("## Alerts (1)") + 2 :][:2] == [
        "- **Kalachnikov** (weapon) + Hama — sent (2 targets)\\",
        r"  «Des tirs à Hama.» — [Tirs](https://www.afp.example/a/1) (feed:afp)",
    ]


def test_a_long_sentence_is_shortened_in_its_alert_item():
    (item,) = alert_items([alert_line(1, sentence="Des tirs " * 100)], {})

    sentence = item.split("\n")[1].split(" — ")[0]
    assert sentence.startswith("  «Des tirs") and sentence.endswith("…»") and len(sentence) <= 2 + 160 + 2


def test_two_hundred_alerts_are_shown_and_the_rest_counted():
    lines = monitor_lines(alerts=[alert_line(n) for n in range(205)])

    assert sum(line.startswith("- **Hama** (place)") for line in lines) == 200
    assert "- … and 5 more" in lines


@pytest.mark.parametrize(
    ("read", "health", "row", "note"),
    [
        pytest.param(
            batch("feed:a", not_due=True),
            source_health("feed:a", entries=4),
            f"| {FEED_A} | not due | 0 | 4 |",
            None,
            id="not due",
        ),
        pytest.param(
            batch("feed:a", failure="HTTP 503"),
            source_health("feed:a", 4, 3, "HTTP 503"),
            f"| {FEED_A} | FAILED (3 in a row) | 0 | 4 |",
            f"- **{FEED_A}**: FAILED: HTTP 503",
            id="failed",
        ),
        pytest.param(
            batch("feed:a", failure="timed out"),
            source_health("feed:a", 4, 1, "timed out"),
            f"| {FEED_A} | FAILED | 0 | 4 |",
            f"- **{FEED_A}**: FAILED: timed out",
            id="failed for the first time",
        ),
        pytest.param(
            batch("feed:a", not_modified=True),
            source_health("feed:a", 4, last_warning="malformed feed"),
            f"| {FEED_A} | not modified | 0 | 4 |",
            f"- **{FEED_A}**: not modified (last warning: malformed feed)",
            id="not modified, last read with a warning",
        ),
        pytest.param(
            batch("feed:a", not_modified=True),
            source_health("feed:a", 4),
            f"| {FEED_A} | not modified | 0 | 4 |",
            None,
            id="not modified",
        ),
        pytest.param(
            batch("feed:a", article(key="1")),
            source_health("feed:a", 4, last_error="HTTP 500"),
            f"| {FEED_A} | 1 entry | 0 | 4 |",
            f"- **{FEED_A}**: last error: HTTP 500",
            id="read again after an error",
        ),
        pytest.param(
            batch(
                "feed:a",
                article(key="1"),
                article(key="2"),
                errors=(ReadError("feed:a", "3", "bad"),),
                warning="malformed feed",
            ),
            None,
            f"| {FEED_A} | 2 entries, 1 unreadable | 0 | 0 |",
            f"- **{FEED_A}**: 2 entries, 1 unreadable (warning: malformed feed)",
            id="read with a warning, no health yet",
        ),
    ],
)
def test_each_source_has_a_row_of_four_short_cells_and_a_note_for_what_needs_words(read, health, row, note):
    summary = RunSummary(batches=[read], sources=[health] if health else [])

    lines = monitor_lines(summary)

    after = lines[lines.index("## Sources") + 2 :]
    assert after[:3] == ["| Source | This run | New | Stored |", "|---|---|---|---|", row]
    assert after[3:] == (["", note, ""] if note else [""]), "the report ends after the sources"


def test_a_source_row_counts_this_run_s_new_articles():
    summary = RunSummary(
        batches=[batch("feed:a", article(key="1"), article(key="2"))],
        new_by_source=Counter({"feed:a": 2}),
        sources=[source_health("feed:a", 9)],
    )

    assert f"| {FEED_A} | 2 entries | 2 | 9 |" in monitor_lines(summary)


@pytest.mark.parametrize(
    ("summary", "errors"),
    [
        pytest.param(RunSummary(), None, id="no error: no section"),
        pytest.param(
            RunSummary(
                read_errors=[ReadError("folder:test", "x.txt", "not UTF-8")],
                delivery=DeliveryReport(errors=["veille://: disk full"]),
            ),
            [r"- x\[.\]txt: not UTF\-8", r"- delivery to veille\[:\]//: disk full"],
            id="read and delivery errors",
        ),
    ],
)
def test_errors_end_the_report_one_line_each(summary, errors):
    lines = monitor_lines(summary)

    if errors is None:
        assert "## Errors" not in lines
    else:
        assert lines[lines.index("## Errors") + 2 : -1] == errors
    assert lines[-1] == "", "the report ends with a line break"


# --- render_replay_report -------------------------------------------------------------------------


def replay_lines(
    planned=(),
    created=(),
    statuses=None,
    dry_run: bool = True,
    articles: int = 12,
    sent: int = 0,
    since=SINCE,
    until=NOW,
) -> list[str]:
    return render_replay_report(
        list(planned), list(created), statuses or {}, dry_run, articles, sent, since, until
    ).split("\n")


@pytest.mark.parametrize(
    ("dry_run", "planned", "created", "sent", "heading"),
    [
        pytest.param(
            True, [planned_alert()], [], 0, "# Replay (dry run): 1 alert would be sent, none was", id="a dry run"
        ),
        pytest.param(
            False,
            [planned_alert()],
            [alert_line(1), alert_line(2)],
            3,
            "# Replay: 2 alerts created, 3 deliveries sent",
            id="a real run",
        ),
    ],
)
def test_the_replay_heading_says_whether_alerts_were_sent(dry_run, planned, created, sent, heading):
    assert replay_lines(planned, created, dry_run=dry_run, sent=sent)[0] == heading


@pytest.mark.parametrize(
    ("since", "until", "line"),
    [
        pytest.param(
            SINCE, NOW, "12 stored articles dated 2026-11-21 08:00 to 2026-11-22 08:00 read again.", id="a period"
        ),
        pytest.param(None, None, "12 stored articles dated the first article to now read again.", id="everything"),
        pytest.param(
            None, NOW, "12 stored articles dated the first article to 2026-11-22 08:00 read again.", id="up to a date"
        ),
    ],
)
def test_the_replay_report_says_which_stored_articles_it_read(since, until, line):
    assert replay_lines(since=since, until=until)[2] == line


def test_a_dry_run_lists_what_it_would_send_with_the_spelling_found():
    planned = [
        planned_alert(),
        planned_alert(
            "Des mortiers.", weapon("mortier", "mortier"), "mortiers", location="https://e.org/1", source="feed:e"
        ),
    ]

    lines = replay_lines(planned)

    assert lines[4:8] == [
        "- **Hama** (place)\\",
        f"  «Des tirs à Hama.» — {ARTICLE}",
        "- **mortier** (weapon), written «mortiers»\\",
        r"  «Des mortiers.» — [Tirs](https://e.org/1) (feed:e)",
    ]


@pytest.mark.parametrize(
    ("dry_run", "nothing"),
    [
        pytest.param(True, "No alert that does not already exist.", id="a dry run"),
        pytest.param(False, "No new alert.", id="a real run"),
    ],
)
def test_a_replay_that_finds_nothing_new_says_so(dry_run, nothing):
    assert replay_lines(dry_run=dry_run)[4:] == [nothing, ""]


def test_a_real_replay_shows_each_alert_created_with_its_delivery():
    lines = replay_lines([planned_alert()], [alert_line(1)], {1: Counter(failed=1)}, dry_run=False, sent=0)

    assert lines[4:6] == ["- **Hama** (place) — sent 0 of 1; 1 failed for good\\", f"  «Des tirs à Hama.» — {ARTICLE}"]


def test_a_dry_run_shows_two_hundred_alerts_and_counts_the_rest():
    lines = replay_lines([planned_alert() for _ in range(203)])

    assert sum(line.startswith("- **Hama** (place)") for line in lines) == 200
    assert "- … and 3 more" in lines


# --- render_digest_report -------------------------------------------------------------------------


def digest_report_lines(figures=None, statuses=None, delivered_to=("veille://",), failed=()) -> list[str]:
    return render_digest_report(figures or period_figures(), statuses or {}, SINCE, NOW, delivered_to, failed).split(
        "\n"
    )


@pytest.mark.parametrize(
    ("delivered_to", "failed", "summary", "targets"),
    [
        pytest.param(["veille://"], [], "Sent to 1 target.", [r"- veille\[:\]//: sent"], id="delivered"),
        pytest.param(
            ["veille://", "json://hooks.example.org/****"],
            [],
            "Sent to 2 targets.",
            [r"- veille\[:\]//: sent", r"- json\[:\]//hooks\[.\]example\[.\]org/\*\*\*\*: sent"],
            id="delivered to two",
        ),
        pytest.param(
            ["veille://"],
            ["json://hooks.example.org/****"],
            "Sent to 1 target; failed for 1.",
            [r"- veille\[:\]//: sent", r"- json\[:\]//hooks\[.\]example\[.\]org/\*\*\*\*: FAILED"],
            id="one failed",
        ),
        pytest.param([], [], "Sent to 0 targets.", [], id="no target"),
    ],
)
def test_the_digest_report_says_where_the_digest_went(delivered_to, failed, summary, targets):
    lines = digest_report_lines(delivered_to=delivered_to, failed=failed)

    assert lines[0] == "# Digest from 2026-11-21 08:00 to 2026-11-22 08:00 UTC"
    assert lines[2] == summary
    assert lines[4 : 4 + len(targets)] == targets


def test_the_digest_report_lists_the_period_s_alerts_and_new_articles_by_source():
    figures = period_figures(alerts=[alert_line(1)], articles={"feed:a": 2, "feed:b": 5})

    lines = digest_report_lines(figures, {1: Counter(sent=2)})

    assert lines[lines.index("## Alerts (1)") + 2 :][:4] == [
        r"By entry: Hama \(place\) ×1",
        "",
        f"- {ARTICLE}",
        "  - **Hama** (place) — sent (2 targets): «Des tirs à Hama.»",
    ]
    assert lines[lines.index("## New articles by source") + 2 :] == [
        "| Source | New articles |",
        "|---|---|",
        r"| feed:b | 5 |",
        rf"| {FEED_A} | 2 |",
        "",
    ]


def test_a_digest_period_without_alerts_says_none():
    lines = digest_report_lines()

    assert lines[lines.index("## Alerts (0)") + 2] == "None."


def test_the_digest_report_groups_alerts_by_article_as_the_digest_sent_does():
    web = {"location": "https://www.afp.example/a/1", "source": "feed:afp", "article_title": "Alep sous les tirs"}
    alerts = [
        alert_line(1, "mortier", "weapon", "mortiers", **web),
        alert_line(2, "Hama"),
        alert_line(3, "Alep", **web),
        alert_line(4, "Alep", article_title="Alep encore", location="test/b.txt"),
    ]

    lines = digest_report_lines(period_figures(alerts=alerts), {1: Counter(sent=1), 3: Counter(sent=1, failed=1)})

    assert lines[lines.index("## Alerts (4)") + 2 :][:9] == [
        r"By entry: Alep \(place\) ×2, mortier \(weapon\) ×1, Hama \(place\) ×1",
        "",
        r"- [Alep sous les tirs](https://www.afp.example/a/1) (feed:afp)",
        "  - **mortier** (weapon), written «mortiers» — sent: «Des tirs à Hama.»",
        "  - **Alep** (place) — sent 1 of 2; 1 failed for good: «Des tirs à Hama.»",
        f"- {ARTICLE}",
        "  - **Hama** (place) — no target: «Des tirs à Hama.»",
        rf"- Alep encore ({FOLDER}: test/b.txt)",
        "  - **Alep** (place) — no target: «Des tirs à Hama.»",
    ]
    sent = render_digest(period_figures(alerts=alerts), SINCE, NOW).body.split("\n")
    assert [line for line in sent if line.startswith("- «")] == [
        "- «Alep sous les tirs» (feed:afp): mortier, Alep",
        "- «Tirs» (folder:test): Hama",
        "- «Alep encore» (folder:test): Alep",
    ], "the same articles in the same order as the digest sent"


def test_two_hundred_alerts_of_a_digest_are_shown_and_the_rest_counted():
    figures = period_figures(alerts=[alert_line(n, article_title=f"T{n % 7}") for n in range(203)])

    lines = digest_report_lines(figures)

    assert sum(line.startswith("  - **Hama** (place)") for line in lines) == 200
    assert "- … and 3 more" in lines


@pytest.mark.parametrize("render", ["monitor", "digest"])
def test_a_report_says_where_the_map_was_written_when_it_was(render):
    def report(map_file):
        if render == "monitor":
            return render_monitor_report(RunSummary(), [], {}, 1.0, map_file=map_file)
        return render_digest_report(period_figures(), {}, SINCE, NOW, [], [], map_file=map_file)

    assert "Map" not in report(None)
    assert "- **Map**: `data/map-2026-11-22.html` (open it in a browser)" in report("data/map-2026-11-22.html").split(
        "\n"
    )
    long = "/srv/" + "dossier/" * 20 + "map.html"
    assert f"- **Map** (open it in a browser):\n  ```\n  {long}\n  ```\n" in report(long), "whole, in a block"
