"""The daily digest: what the last hours brought, as one notification. Pure: figures in, message out."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from veille.clean import shorten
from veille.records import AlertMessage, PeriodFigures
from veille.sanitize import neutralise_line

DIGEST_TAG = "digest"
_LISTED_ARTICLES = 30
_TITLE_CHARS = 80
_ERROR_CHARS = 150


def render_digest(figures: PeriodFigures, since: datetime, until: datetime) -> AlertMessage:
    """Alerts by entry, then by article, new articles by source, deliveries, failing sources."""
    hours = round((until - since).total_seconds() / 3600)
    alerts = figures.alerts
    title = f"Veille digest: {len(alerts)} alerts in the last {hours} h"
    lines = [f"From {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M %Z}.", ""]
    if alerts:
        by_entry = Counter(f"{a.entry_name} ({a.kind})" for a in alerts)
        lines.append("Alerts by entry: " + ", ".join(f"{name} ×{count}" for name, count in by_entry.most_common()))
        by_article: dict[tuple[str, str], list[str]] = {}
        for alert in alerts:
            by_article.setdefault((alert.article_title, alert.source), []).append(alert.entry_name)
        for (article_title, source), entries in list(by_article.items())[:_LISTED_ARTICLES]:
            shown = shorten(neutralise_line(article_title), _TITLE_CHARS)
            lines.append(f"- «{shown}» ({source}): {', '.join(entries)}")
        if len(by_article) > _LISTED_ARTICLES:
            lines.append(f"- … and {len(by_article) - _LISTED_ARTICLES} more articles")
    else:
        lines.append("No new alert.")
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
        lines.append(f"Source failing: {name}, {failures} times in a row ({quoted})")
    return AlertMessage(title=title, body="\n".join(lines))
