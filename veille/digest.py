"""Digests, as notifications. Pure: records in, message out.

Two kinds: the daily summary of what the last hours brought (`render_digest`, to the targets tagged
"digest"), and a target's held alerts (`plan_queued_digest`: what a digest rule or the target's rate
limit queued for it). A target that gets both in one digest run gets one message: its held alerts,
then the summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from veille.clean import shorten
from veille.decide.deliveries import Route, TargetProfile, plan_deliveries
from veille.decide.render import link
from veille.records import (
    AlertLine,
    AlertMessage,
    HeldDoubtful,
    PeriodFigures,
    PlannedDelivery,
    PlannedDigest,
    QueuedAlert,
)
from veille.sanitize import neutralise_line
from veille.summary import RELEASE_COMMAND, doubtful_text, plural

DIGEST_TAG = "digest"
RATE_LIMIT_REASON = "over the rate limit"
_LISTED_ARTICLES = 30
_TITLE_CHARS = 80
_ERROR_CHARS = 150
_REASON_CHARS = 200
_DOUBTFUL_CHARS = 400


def render_digest(figures: PeriodFigures, since: datetime, until: datetime) -> AlertMessage:
    """Alerts by entry, then by article, the mentions held as doubtful, new articles by source, deliveries,
    failing sources."""
    hours = round((until - since).total_seconds() / 3600)
    alerts = figures.alerts
    title = f"Veille digest: {plural(len(alerts), 'alert')} in the last {hours} h"
    lines = [f"From {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M %Z}.", ""]
    if alerts:
        by_entry = alerts_by_entry(alerts)
        lines.append("Alerts by entry: " + ", ".join(f"{name} ×{count}" for name, count in by_entry.most_common()))
        by_article = alerts_by_article(alerts)
        for (article_title, source), same_article in list(by_article.items())[:_LISTED_ARTICLES]:
            shown = shorten(neutralise_line(article_title), _TITLE_CHARS)
            entries = (name for alert in same_article for name, _ in alert.named_entries)
            lines.append(f"- «{shown}» ({source}): {', '.join(entries)}")
        if len(by_article) > _LISTED_ARTICLES:
            lines.append(f"- … and {len(by_article) - _LISTED_ARTICLES} more articles")
    else:
        lines.append("No new alert.")
    if figures.doubtful:
        lines += ["", *doubtful_lines(figures.doubtful)]
    lines.append("")
    total = sum(figures.articles.values())
    per_source = ", ".join(f"{name} {count}" for name, count in figures.articles.most_common(10))
    lines.append(f"New articles: {total}" + (f" ({per_source})" if per_source else ""))
    if figures.deliveries:
        lines.append(
            "Deliveries of these alerts: "
            + ", ".join(f"{count} {status}" for status, count in sorted(figures.deliveries.items()))
        )
    for name, failures, error in figures.failing_sources:
        # A source's error quotes its server (a reason phrase, a Content-Type): as inert as an article.
        quoted = shorten(neutralise_line(error), _ERROR_CHARS)
        lines.append(f"Source failing: {name}, {plural(failures, 'time')} in a row ({quoted})")
    return AlertMessage(title=title, body="\n".join(lines))


def alerts_by_entry(alerts: Iterable[AlertLine]) -> Counter[str]:
    """How many alerts name each entry, as "name (kind)": every entry of a message counts."""
    return Counter(f"{name} ({kind})" for alert in alerts for name, kind in alert.named_entries)


def alerts_by_article(alerts: Iterable[AlertLine]) -> dict[tuple[str, str], list[AlertLine]]:
    """The alerts of each article, by (title, source), articles in the order of their first alert."""
    by_article: dict[tuple[str, str], list[AlertLine]] = {}
    for alert in alerts:
        by_article.setdefault((alert.article_title, alert.source), []).append(alert)
    return by_article


def doubtful_lines(held: Sequence[HeldDoubtful]) -> list[str]:
    """The section "Held as doubtful": each mention held, why, and how to release it (or what it became)."""
    waiting = sum(1 for item in held if item.released_at is None and item.alerted_since is None)
    lines = [
        f"Held as doubtful: {plural(len(held), 'mention')}, sent to no one unless released ({waiting} still to decide)"
    ]
    for item in held[:_LISTED_ARTICLES]:
        # Each part neutralised first, then cut: a cut leaves what it keeps as inert as it was.
        shown = shorten(doubtful_text(item, neutralise_line), _DOUBTFUL_CHARS)
        title = shorten(neutralise_line(item.article_title), _TITLE_CHARS)
        lines.append(f"- [{item.id}] {shown} in «{title}» ({item.source}, {link(item.location)}): {_release(item)}")
    if len(held) > _LISTED_ARTICLES:
        lines.append(f"- … and {len(held) - _LISTED_ARTICLES} more ({RELEASE_COMMAND} lists them)")
    return lines


def _release(item: HeldDoubtful) -> str:
    """How a mention held as doubtful is released, or why it need not be."""
    if item.released_at is not None:
        released = f" as alert {item.released_alert_id}" if item.released_alert_id is not None else ""
        return f"released{released}"
    if item.alerted_since is not None:
        return f"its story alerted {neutralise_line(item.entry_name)} since (alert {item.alerted_since})"
    return f"release with {RELEASE_COMMAND} {item.id}"


def plan_queued_digest(
    items: Sequence[QueuedAlert], until: datetime, target_label: str, summary: AlertMessage | None = None
) -> PlannedDigest:
    """One target's queued alerts as one message: why they waited ("4 alerts over the rate limit of 10 per
    1 h"), alerts by entry, then by article with the sources carrying it; `summary` (the daily summary,
    for a target that gets it too) follows, so that the target gets one message and not two."""
    since = min(item.queued_at for item in items) if items else until
    held = _counted(item.reason or "" for item in items)
    lines = [
        f"{plural(len(items), 'alert')} held from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M %Z}: "
        + "; ".join(_held_because(reason, count) for reason, count in held.items())
        + ".",
        "",
    ]
    by_entry = _counted(f"{name} ({kind})" for item in items for name, kind in item.entries)
    lines.append(
        "Alerts by entry: " + ", ".join(f"{neutralise_line(name)} ×{count}" for name, count in by_entry.items())
    )
    by_article: dict[tuple[str, str], list[QueuedAlert]] = {}
    for item in items:
        by_article.setdefault((item.title, item.source), []).append(item)
    for (title, source), alerts in list(by_article.items())[:_LISTED_ARTICLES]:
        lines.append(_article_line(title, source, alerts))
    if len(by_article) > _LISTED_ARTICLES:
        lines.append(f"- … and {len(by_article) - _LISTED_ARTICLES} more articles")
    title = f"Veille digest: {plural(len(items), 'held alert')}"
    if summary is not None:
        title = f"{summary.title}; {len(items)} held"
        lines += ["", summary.body]
    details: dict[str, object] = {
        "category": "digest",
        "target": target_label,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "alerts": [item.alert_id for item in items],
        "held": dict(held),
        "with_summary": summary is not None,
    }
    return PlannedDigest(AlertMessage(title=title, body="\n".join(lines)), details)


def digest_delivery(target: TargetProfile, now: datetime) -> PlannedDelivery:
    """The delivery of a target's digest: due now, or at the end of the target's quiet hours; never held by
    its rate limit (the digest is where the overflow goes)."""
    # The decision's own planning, so that quiet hours read the same for a digest as for an alert.
    route = Route(tuple(sorted(target.tags)), "immediate", DIGEST_TAG)
    [delivery] = plan_deliveries([route], "normal", [target], {}, now)
    return delivery


def _article_line(title: str, source: str, alerts: Sequence[QueuedAlert]) -> str:
    """One article of a held digest: its title, source, entries, and how many sources carry its story."""
    names = dict.fromkeys(name for alert in alerts for name, _ in alert.entries)
    carriers = max(alert.sources for alert in alerts)
    severities = {alert.severity for alert in alerts} & {"high", "critical"}
    level = f"[{'critical' if 'critical' in severities else 'high'}] " if severities else ""
    shown = shorten(neutralise_line(title), _TITLE_CHARS)
    carried = f"; carried by {carriers} sources" if carriers > 1 else ""
    return f"- {level}«{shown}» ({source}): {', '.join(neutralise_line(name) for name in names)}{carried}"


def _held_because(reason: str, count: int) -> str:
    """ "4 alerts over the rate limit of 10 per 1 h", "2 alerts from digest rule weekly"."""
    shown = shorten(neutralise_line(reason), _REASON_CHARS)
    if not shown:
        return f"{plural(count, 'alert')} queued"
    if reason.startswith(RATE_LIMIT_REASON):
        return f"{plural(count, 'alert')} {shown}"
    return f"{plural(count, 'alert')} from {shown}"


def _counted(values: Iterable[str]) -> dict[str, int]:
    """Each value with how many times it came, most frequent first, ties in order of first coming."""
    return dict(Counter(values).most_common())
