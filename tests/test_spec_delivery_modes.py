"""Specification of what carries out the delivery modes, in the pure layer: the held alerts' digest
(veille.digest.plan_queued_digest, digest_delivery) and how reports say a delivery is held
(veille.report.delivery_status, veille.summary.on_hold). No database, no Prefect, no model.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from veille.decide.deliveries import TargetProfile
from veille.digest import digest_delivery, plan_queued_digest
from veille.records import AlertMessage, DeliveryReport, HeldCount, QueuedAlert, TargetRef
from veille.report import delivery_status
from veille.rules.config import QuietHours, RateLimit, TargetDelivery
from veille.sanitize import loggable
from veille.summary import on_hold

UNTIL = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
RATE = "over the rate limit of 10 per 1 h"
RULE = "digest rule weekly"
TARGET = TargetRef("k" * 32, "json://127.0.0.1/****")


def queued(
    alert_id: int,
    *entries: tuple[str, str],
    title: str = "Tirs à Hama",
    source: str = "feed:wire",
    sources: int = 1,
    severity: str = "normal",
    reason: str | None = RATE,
    minutes_before: int = 60,
) -> QueuedAlert:
    return QueuedAlert(
        alert_id,
        entries or (("Hama", "place"),),
        title,
        source,
        sources,
        severity,
        reason,
        UNTIL - timedelta(minutes=minutes_before),
    )


def body_lines(*items: QueuedAlert, summary: AlertMessage | None = None) -> list[str]:
    return plan_queued_digest(list(items), UNTIL, TARGET.label, summary).message.body.split("\n")


# --- plan_queued_digest ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasons", "first_line_ends"),
    [
        pytest.param([RATE] * 4, ": 4 alerts over the rate limit of 10 per 1 h.", id="rate limit overflow"),
        pytest.param([RULE], ": 1 alert from digest rule weekly.", id="a digest rule"),
        pytest.param(
            [RULE, RATE, RATE],
            ": 2 alerts over the rate limit of 10 per 1 h; 1 alert from digest rule weekly.",
            id="both, the most frequent first",
        ),
        pytest.param([None], ": 1 alert queued.", id="no reason recorded"),
    ],
)
def test_the_digest_says_why_its_alerts_waited(reasons, first_line_ends):
    items = [queued(n, reason=reason) for n, reason in enumerate(reasons)]

    first = body_lines(*items)[0]

    assert first.startswith(f"{len(items)} alert")
    assert " held from 2026-12-02 07:00 to 2026-12-02 08:00 UTC" in first
    assert first.endswith(first_line_ends), first


def test_the_period_starts_at_the_oldest_queued_alert():
    lines = body_lines(queued(1, minutes_before=30), queued(2, minutes_before=300))

    assert lines[0].startswith("2 alerts held from 2026-12-02 03:00 to 2026-12-02 08:00 UTC")


def test_alerts_are_grouped_by_entry_then_by_article_with_their_sources():
    lines = body_lines(
        queued(1, ("Deir ez-Zor", "place"), ("mortier", "weapon"), title="Tirs sur Deir ez-Zor", sources=3),
        queued(2, ("Deir ez-Zor", "place"), title="Siège de Deir ez-Zor", source="feed:other"),
        # The same article again (an edit brought a new entry): one line, its entries together.
        queued(3, ("Kalibr", "weapon"), title="Tirs sur Deir ez-Zor"),
    )

    assert lines[2] == "Alerts by entry: Deir ez-Zor (place) ×2, mortier (weapon) ×1, Kalibr (weapon) ×1"
    assert lines[3:] == [
        "- «Tirs sur Deir ez-Zor» (feed:wire): Deir ez-Zor, mortier, Kalibr; carried by 3 sources",
        "- «Siège de Deir ez-Zor» (feed:other): Deir ez-Zor",
    ]


def test_a_high_alert_is_marked_and_a_long_list_is_cut():
    items = [queued(n, title=f"Article {n}", severity="high" if n == 0 else "normal") for n in range(32)]

    lines = body_lines(*items)

    assert lines[3] == "- [high] «Article 0» (feed:wire): Hama"
    assert lines[-1] == "- … and 2 more articles"
    assert len([line for line in lines if line.startswith("- «")]) == 29


def test_an_article_title_can_add_no_line_link_or_mention_to_the_digest():
    hostile = "Hama\n- forged line @everyone [x](https://evil.example.com)"

    lines = body_lines(queued(1, title=hostile))

    assert len(lines) == 4
    assert "@everyone" not in lines[3] and "https://" not in lines[3] and "](" not in lines[3]


@pytest.mark.parametrize(
    ("summary", "title"),
    [
        pytest.param(None, "Veille digest: 2 held alerts", id="alone"),
        pytest.param(
            AlertMessage("Veille digest: 5 alerts in the last 24 h", "From ….\n\nNew articles: 3"),
            "Veille digest: 5 alerts in the last 24 h; 2 held",
            id="with the daily summary",
        ),
    ],
)
def test_a_target_tagged_digest_gets_the_summary_inside_its_held_digest(summary, title):
    planned = plan_queued_digest([queued(1), queued(2)], UNTIL, TARGET.label, summary)

    assert planned.message.title == title
    assert planned.message.body.endswith("\n\nFrom ….\n\nNew articles: 3") is (summary is not None)
    assert planned.details == {
        "category": "digest",
        "target": TARGET.label,
        "since": "2026-12-02T07:00:00+00:00",
        "until": "2026-12-02T08:00:00+00:00",
        "alerts": [1, 2],
        "held": {RATE: 2},
        "with_summary": summary is not None,
    }


# --- digest_delivery ---------------------------------------------------------------------------------

NIGHT = QuietHours(start="22:00", end="07:00", timezone="Europe/Paris")


@pytest.mark.parametrize(
    ("delivery", "now", "due", "reason"),
    [
        pytest.param(None, UNTIL, UNTIL, None, id="no settings: now"),
        pytest.param(
            TargetDelivery(tag="night", quiet_hours=NIGHT),
            datetime(2026, 12, 2, 5, 0, tzinfo=UTC),  # 06:00 in Paris
            datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
            "quiet hours until 07:00 Europe/Paris",
            id="in quiet hours: at their end",
        ),
        pytest.param(TargetDelivery(tag="night", quiet_hours=NIGHT), UNTIL, UNTIL, None, id="after them: now"),
        pytest.param(
            TargetDelivery(tag="night", rate_limit=RateLimit(count=1, hours=1)),
            UNTIL,
            UNTIL,
            None,
            id="a rate limit never holds the digest",
        ),
    ],
)
def test_a_digest_goes_out_now_or_when_the_targets_quiet_hours_end(delivery, now, due, reason):
    planned = digest_delivery(TargetProfile(TARGET, frozenset({"night"}), delivery), now)

    assert (planned.target, planned.status, planned.due_at, planned.reason) == (TARGET, "pending", due, reason)


# --- delivery_status and on_hold --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        pytest.param(
            Counter({"pending: quiet hours until 07:00 Europe/Paris": 1}),
            "sent 0 of 1; 1 held (quiet hours until 07:00 Europe/Paris)",
            id="held by quiet hours",
        ),
        pytest.param(
            Counter({"sent": 1, f"queued: {RATE}": 1}),
            "sent 1 of 2; 1 queued for the digest (over the rate limit of 10 per 1 h)",
            id="over the rate limit",
        ),
        pytest.param(
            Counter({"queued: digest rule weekly_news": 1}),
            "sent 0 of 1; 1 queued for the digest (digest rule weekly\\_news)",
            id="a digest rule, its id inert in Markdown",
        ),
        pytest.param(Counter(digested=2), "sent 0 of 2; 2 in a digest", id="gone out in a digest"),
        pytest.param(Counter(queued=1), "sent 0 of 1; 1 queued for the digest", id="queued, no reason"),
    ],
)
def test_delivery_status_says_why_a_delivery_waits(counts, expected):
    assert delivery_status(counts) == expected


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        pytest.param(DeliveryReport(), "", id="nothing held"),
        pytest.param(
            DeliveryReport(
                released=2,
                held=[
                    HeldCount("pending", "quiet hours until 07:00 Europe/Paris", 3),
                    HeldCount("queued", RATE, 1),
                ],
            ),
            "2 sent now that their quiet hours are over; 3 held (quiet hours until 07:00 Europe/Paris); "
            "1 queued for the digest (over the rate limit of 10 per 1 h)",
            id="released, held and queued",
        ),
        pytest.param(
            DeliveryReport(held=[HeldCount("queued", "digest rule x\n    ! forged", 1)]),
            "1 queued for the digest (digest rule x\\n    ! forged)",
            id="a reason cannot forge a log line",
        ),
    ],
)
def test_the_summary_says_what_the_outbox_holds_and_released(report, expected):
    assert on_hold(report, loggable) == expected
