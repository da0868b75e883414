"""Specification of veille.decide.health: which sources went bad or recovered, the message, and to whom.

Pure: plain records in, plain records out; no database, no Prefect.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.decide.deliveries import TargetProfile
from veille.decide.health import health_targets, health_transitions, plan_health_alerts, usual_gap
from veille.decide.health_message import quoted_error, render_health_alert, source_label, span
from veille.records import HealthChange, SourceHealthFacts, TargetRef
from veille.rules.config import QuietHours, TargetDelivery

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
DAY = timedelta(days=1)


def every(gap: timedelta, count: int, last: datetime) -> tuple[datetime, ...]:
    """`count` reads of new articles, `gap` apart, the last at `last`."""
    return tuple(last - gap * n for n in range(count))


def facts(
    failures: int = 0,
    told: str | None = None,
    arrivals: tuple[datetime, ...] = (),
    last_success: datetime | None = NOW,
    name: str = "feed:x",
    error: str | None = None,
    told_at: datetime | None = None,
) -> SourceHealthFacts:
    return SourceHealthFacts(
        name=name,
        consecutive_failures=failures,
        last_success_at=last_success,
        last_error=error,
        arrivals=arrivals,
        health_state=told,
        health_changed_at=told_at,
    )


def states(source: SourceHealthFacts, threshold: int = 3) -> list[str]:
    return [change.state for change in health_transitions([source], NOW, threshold)]


# A feed with a new article every 6 h until 5 days ago, read successfully now.
SILENT_5_DAYS = every(6 * H, 8, NOW - 5 * DAY)


@pytest.mark.parametrize(
    ("source", "threshold", "expected"),
    [
        pytest.param(facts(), 3, [], id="a healthy source never reported gives nothing"),
        pytest.param(facts(told="ok"), 3, [], id="a healthy source reported ok gives nothing"),
        pytest.param(facts(failures=2, last_success=NOW - H), 3, [], id="2 failures of 3 are not yet failing"),
        pytest.param(facts(failures=3, last_success=NOW - H), 3, ["failing"], id="the 3rd failure in a row goes bad"),
        pytest.param(facts(failures=4, told="failing"), 3, [], id="the 4th says nothing more"),
        pytest.param(facts(failures=5, told="failing"), 3, [], id="nor the 5th"),
        pytest.param(facts(failures=0, told="failing"), 3, ["ok"], id="read again: recovered"),
        pytest.param(facts(failures=3, last_success=None), 3, ["failing"], id="never read, failing all the same"),
        pytest.param(facts(failures=1, last_success=None), 3, [], id="a new source failing once is not failing"),
        pytest.param(facts(failures=3), 5, [], id="VEILLE_SOURCE_FAILURES_ALERT=5: 3 are not enough"),
        pytest.param(facts(failures=1), 1, ["failing"], id="VEILLE_SOURCE_FAILURES_ALERT=1: the first failure"),
        pytest.param(facts(arrivals=SILENT_5_DAYS), 3, ["silent"], id="usually every 6 h, nothing for 5 days"),
        pytest.param(facts(arrivals=SILENT_5_DAYS, told="silent"), 3, [], id="still silent says nothing more"),
        pytest.param(
            facts(arrivals=(NOW - H, *SILENT_5_DAYS), told="silent"), 3, ["ok"], id="a new article: recovered"
        ),
        pytest.param(
            facts(failures=3, arrivals=SILENT_5_DAYS, last_success=NOW - H),
            3,
            ["failing"],
            id="failing and silent: failing says more",
        ),
        pytest.param(
            facts(failures=3, arrivals=SILENT_5_DAYS, told="silent"), 3, ["failing"], id="silent, then failing"
        ),
        pytest.param(facts(arrivals=SILENT_5_DAYS, told="failing"), 3, ["silent"], id="failing, then silent"),
    ],
)
def test_a_change_of_state_gives_one_change_and_no_change_gives_nothing(source, threshold, expected):
    assert states(source, threshold) == expected


@pytest.mark.parametrize(
    ("arrivals", "last_success", "expected"),
    [
        # Usual gap 6 h: 3 x 6 h = 18 h, so the 24 h floor is the limit.
        pytest.param(every(6 * H, 5, NOW - DAY), NOW, [], id="6 h usual, exactly 24 h: not over the floor"),
        pytest.param(every(6 * H, 5, NOW - DAY - H), NOW, ["silent"], id="6 h usual, 25 h: over the floor"),
        # Usual gap 12 h: the limit is 3 x 12 h = 36 h.
        pytest.param(every(12 * H, 5, NOW - 30 * H), NOW, [], id="12 h usual, 30 h: under 3 times its gap"),
        pytest.param(every(12 * H, 5, NOW - 37 * H), NOW, ["silent"], id="12 h usual, 37 h: over 3 times"),
        pytest.param(every(2 * DAY, 5, NOW - 5 * DAY), NOW, [], id="a feed of every 2 days, quiet for 5"),
        pytest.param(every(2 * DAY, 5, NOW - 7 * DAY), NOW, ["silent"], id="a feed of every 2 days, quiet for 7"),
        pytest.param(every(6 * H, 4, NOW - 10 * DAY), NOW, [], id="4 reads say nothing of what is usual"),
        pytest.param((), NOW, [], id="a source that never brought an article is never silent"),
        pytest.param(
            every(timedelta(seconds=5), 50, NOW - 10 * DAY) + every(6 * H, 3, NOW - 9 * DAY),
            NOW,
            [],
            id="a backlog of 50 articles read at once is one read: 4 reads in all",
        ),
        pytest.param(
            every(6 * H, 8, NOW - 5 * DAY),
            NOW - 5 * DAY,
            [],
            id="a feed not due since (poll_minutes): silence runs to its last read",
        ),
        pytest.param(
            every(6 * H, 8, NOW - 5 * DAY),
            NOW - 4 * DAY,
            [],
            id="its last read a day after its last article: 24 h, not over",
        ),
        pytest.param(every(6 * H, 8, NOW - 5 * DAY), None, [], id="never read successfully: not silent"),
    ],
)
def test_silent_past_three_times_its_usual_gap_and_at_least_24_hours(arrivals, last_success, expected):
    assert states(facts(arrivals=arrivals, last_success=last_success)) == expected


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        pytest.param(every(6 * H, 5, NOW), 6 * H, id="regular"),
        pytest.param(
            (NOW, NOW - 1 * H, NOW - 3 * H, NOW - 30 * H, NOW - 31 * H),
            timedelta(minutes=90),
            id="the median of 1, 1, 2 and 27 h: a night without news does not count much",
        ),
        pytest.param(
            (NOW, NOW - timedelta(minutes=3), NOW - 6 * H, NOW - 12 * H, NOW - 18 * H, NOW - 24 * H),
            6 * H,
            id="two batches of one read, 3 min apart, are one read",
        ),
        pytest.param(every(6 * H, 4, NOW), None, id="4 reads: unknown"),
        pytest.param((NOW,) * 20, None, id="20 articles of one read: unknown"),
    ],
)
def test_the_usual_gap_is_the_median_between_reads(arrivals, expected):
    assert usual_gap(arrivals) == expected


def test_a_change_carries_the_figures_of_its_silence():
    (change,) = health_transitions([facts(arrivals=SILENT_5_DAYS)], NOW, 3)
    assert (change.usual_gap, change.silent_for, change.previous, change.at) == (6 * H, 5 * DAY, "ok", NOW)


def test_each_source_is_judged_on_its_own():
    sources = [facts(failures=3, name="feed:a"), facts(name="feed:b"), facts(told="failing", name="feed:c")]
    assert [(c.source, c.state) for c in health_transitions(sources, NOW, 3)] == [
        ("feed:a", "failing"),
        ("feed:c", "ok"),
    ]


# The message.


def change(state: str, **fields) -> HealthChange:
    source = facts(**fields)
    figures = {"usual_gap": 6 * H, "silent_for": 5 * DAY} if state == "silent" else {}
    return HealthChange(source, state, NOW, **figures)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "title"),
    [
        pytest.param(
            change("failing", failures=3, error="HTTP 503"),
            "Veille: source feed:x is failing (3 polls in a row)",
            id="failing",
        ),
        pytest.param(
            change("silent", arrivals=SILENT_5_DAYS),
            "Veille: source feed:x is silent for 5 days (usually a new article every 6 h)",
            id="silent",
        ),
        pytest.param(change("ok", told="failing", told_at=NOW - 2 * DAY), "Veille: source feed:x recovered", id="ok"),
    ],
)
def test_the_title_says_the_change(item, title):
    assert render_health_alert(item, 3).title == title


def test_a_failing_source_s_message_gives_its_error_its_last_read_and_where_to_look():
    body = render_health_alert(
        change("failing", failures=3, error="HTTP 503 Service Unavailable", last_success=NOW - 2 * DAY), 3
    ).body.split("\n")

    assert body[0] == "feed:x could not be read 3 polls in a row (you are told from 3: VEILLE_SOURCE_FAILURES_ALERT)."
    assert "Last error: HTTP 503 Service Unavailable" in body
    assert "Last successful read: 2026-11-20 08:00 UTC (2 days ago)." in body
    assert any("monitor-summary" in line and "veille run" in line for line in body)
    assert "flows.outbox" not in "\n".join(body), "the outbox lists deliveries, not sources"


def test_a_silent_source_s_message_says_since_when_and_what_is_usual():
    body = render_health_alert(change("silent", arrivals=SILENT_5_DAYS), 3).body.split("\n")
    assert body[:2] == [
        "feed:x answers, but has brought no new article for 5 days: its latest was first seen 2026-11-17 08:00 UTC; "
        "it usually brings one every 6 h.",
        "Last successful read: 2026-11-22 08:00 UTC (this run).",
    ]


@pytest.mark.parametrize(
    ("told", "fields", "line"),
    [
        pytest.param(
            "failing",
            {},
            "feed:x, reported failing on 2026-11-20 08:00 UTC (2 days ago), is read again.",
            id="from failing",
        ),
        pytest.param(
            "silent",
            {"arrivals": (NOW - H,)},
            "feed:x, reported silent on 2026-11-20 08:00 UTC (2 days ago), brings new articles again "
            "(the latest first seen 2026-11-22 07:00 UTC).",
            id="from silent",
        ),
    ],
)
def test_a_recovery_says_what_it_recovered_from_and_since_when(told, fields, line):
    item = change("ok", told=told, told_at=NOW - 2 * DAY, **fields)
    assert render_health_alert(item, 3).body.split("\n")[0] == line


HOSTILE_ERRORS = [
    pytest.param("HTTP 500: <script>alert(1)</script>", "<script>", id="markup"),
    pytest.param("HTTP 500 @channel @everyone", "@channel", id="a mention"),
    pytest.param("HTTP 500 [click here](https://evil.example/x)", "](https://", id="a Markdown link"),
    pytest.param("HTTP 500 see https://evil.example/x", "https://evil.example", id="a link"),
    pytest.param("HTTP 500\nVeille: source feed:y recovered", "\nVeille:", id="a forged line"),
    pytest.param("cannot read https://reader:s3cr3t-token@feeds.example.org/x", "s3cr3t-token", id="a password"),
    pytest.param("HTTP 500 \x1b[31mred\x00\u202e", "\x1b", id="controls"),
]


@pytest.mark.parametrize(("error", "forbidden"), HOSTILE_ERRORS)
def test_the_last_error_quotes_a_server_and_is_made_inert(error, forbidden):
    body = render_health_alert(change("failing", failures=3, error=error), 3).body
    assert forbidden not in body
    assert body.count("\n") == render_health_alert(change("failing", failures=3, error="x"), 3).body.count("\n")


def test_a_huge_error_is_cut():
    assert len(quoted_error("HTTP 500 " + "a:" * 100_000)) <= 300
    assert len(quoted_error("x" * 1_000_000)) <= 300


def test_a_missing_error_says_so():
    assert quoted_error(None) == "none recorded"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        pytest.param("feed:agence-a", "feed:agence-a", id="a feed"),
        pytest.param("folder:/srv/news/@team", "folder:/srv/news/\uff20team", id="a mention in a folder's path"),
        pytest.param("feed:lemonde.fr", "feed:lemonde[.]fr", id="a domain-like name"),
    ],
)
def test_the_source_s_name_keeps_its_kind_and_is_made_inert(name, label):
    assert source_label(name) == label


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(seconds=30), "30 s"),
        (timedelta(minutes=45), "45 min"),
        (6 * H, "6 h"),
        (DAY, "24 h"),
        (36 * H, "36 h"),
        (5 * DAY + 7 * H, "5 days"),
        (-H, "0 s"),
    ],
)
def test_durations_read_as_a_person_says_them(duration, words):
    assert span(duration) == words


# To whom.


def target(name: str, *tags: str, delivery: TargetDelivery | None = None) -> TargetProfile:
    return TargetProfile(TargetRef(name, name), frozenset(tags), delivery)


OPERATOR = target("operator", "operator")
UNTAGGED = target("untagged")
ALWAYS = target("always", "always")
ANALYSTS = target("analysts", "alerts", "weapon")


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        pytest.param([OPERATOR, UNTAGGED, ANALYSTS], ["operator"], id="an operator target: only it"),
        pytest.param([UNTAGGED, ANALYSTS], ["untagged"], id="no operator target: the untagged ones"),
        pytest.param([OPERATOR, ALWAYS, UNTAGGED], ["operator", "always"], id="always means always"),
        pytest.param([ALWAYS, UNTAGGED], ["always", "untagged"], id="no operator: always and untagged"),
        pytest.param([ANALYSTS], [], id="only news targets: no one"),
    ],
)
def test_health_messages_go_to_the_operator_and_to_untagged_targets_only_without_one(targets, expected):
    assert [t.ref.key for t in health_targets(targets)] == expected


def test_a_health_message_is_planned_for_the_operator_with_its_quiet_hours():
    quiet = TargetDelivery(tag="operator", quiet_hours=QuietHours(start="22:00", end="09:00"))
    targets = [target("operator", "operator", delivery=quiet), ANALYSTS, target("night-shift", "operator")]
    changes = health_transitions([facts(failures=3, error="HTTP 503")], NOW, 3)

    (planned,) = plan_health_alerts(changes, targets, {}, NOW, 3)

    assert planned.tags == ("operator",) and planned.severity == "high"
    assert planned.says == "failing (3 polls in a row)"
    assert [(d.target.key, d.status, d.due_at) for d in planned.deliveries] == [
        ("operator", "pending", NOW.replace(hour=9)),
        ("night-shift", "pending", NOW),
    ]
    assert planned.details["state"] == "failing" and planned.details["last_error"] == "HTTP 503"


def test_a_recovery_is_of_normal_severity():
    changes = health_transitions([facts(told="failing")], NOW, 3)
    (planned,) = plan_health_alerts(changes, [OPERATOR], {}, NOW, 3)
    assert (planned.severity, planned.says, planned.message.title) == (
        "normal",
        "recovered",
        "Veille: source feed:x recovered",
    )
