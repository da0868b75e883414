"""The daily digest: what the last hours brought, as one notification. Pure: figures in, message out."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from veille.detect import AlertMessage
from veille.sanitize import neutralise
from veille.store.history import PeriodFigures

DIGEST_TAG = "digest"
_LISTED_ALERTS = 30


def render_digest(figures: PeriodFigures, since: datetime, until: datetime) -> AlertMessage:
    """Alerts by entry, then the alerts themselves, articles by source, deliveries, failing sources."""
    hours = round((until - since).total_seconds() / 3600)
    alerts = figures.alerts
    title = f"Veille digest: {len(alerts)} alerts in the last {hours} h"
    lines = [f"From {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M %Z}.", ""]
    if alerts:
        by_entry = Counter(f"{a.entry_name} ({a.kind})" for a in alerts)
        lines.append("Alerts by entry: " + ", ".join(f"{name} ×{count}" for name, count in by_entry.most_common()))
        for alert in alerts[:_LISTED_ALERTS]:
            lines.append(f"- {alert.entry_name}: «{neutralise(alert.article_title)[:90]}» ({alert.source})")
        if len(alerts) > _LISTED_ALERTS:
            lines.append(f"- … and {len(alerts) - _LISTED_ALERTS} more")
    else:
        lines.append("No new alert.")
    lines.append("")
    total = sum(figures.articles.values())
    per_source = ", ".join(f"{name} {count}" for name, count in figures.articles.most_common(10))
    lines.append(f"New articles: {total}" + (f" ({per_source})" if per_source else ""))
    if figures.deliveries:
        lines.append("Deliveries of these alerts: " + ", ".join(
            f"{count} {status}" for status, count in sorted(figures.deliveries.items())))
    for name, failures, error in figures.failing_sources:
        lines.append(f"Source failing: {name}, {failures} times in a row ({error[:150]})")
    return AlertMessage(title=title, body="\n".join(lines))
