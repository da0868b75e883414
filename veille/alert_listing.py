"""The latest alerts as `veille alerts` shows them: a terminal table or records for JSON. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from veille.clean import shorten
from veille.listing import shown, table, when
from veille.records import AlertLine
from veille.report import delivery_status
from veille.sanitize import safe_link

HEADER = ("WHEN (UTC)", "DELIVERY", "ARTICLE")


def alert_table(alerts: Sequence[AlertLine], statuses: Mapping[int, Counter[str]], width: int) -> list[str]:
    """One row per alert: when, how its deliveries went, and its article's title; under it, indented, its
    entries with their kind, then the article's source and link. At most `width` characters a line:
    an alert may name a dozen entries, which a column would make as wide as all of them."""
    rows = [
        (
            when(a.created_at),
            shown(delivery_status(statuses.get(a.alert_id, Counter()))),
            shown(a.article_title) or "(no title)",
        )
        for a in alerts
    ]
    lines = table(HEADER, rows, width, stretch=2)
    indent = " " * (len(rows[0][0]) + 2) if rows else ""
    room = max(width - len(indent), 20)
    head, body = lines[0], lines[1:]
    out = [head]
    for line, alert in zip(body, alerts, strict=True):
        out.append(line)
        out.append(indent + shorten(shown(entries_text(alert)), room))
        out.append(indent + shorten(f"{shown(alert.source)}: {where(alert.location)}", room))
    return out


def entries_text(alert: AlertLine) -> str:
    return ", ".join(f"{name} ({kind})" for name, kind in alert.named_entries)


def where(location: str) -> str:
    """An article's link as a browser may follow it, else its file path, as inert text."""
    link = safe_link(location)
    return link if link is not None else shown(location)


def alert_records(alerts: Sequence[AlertLine], statuses: Mapping[int, Counter[str]]) -> list[dict[str, object]]:
    """The alerts for `--json`: the stored text as it is (JSON escapes what a terminal would obey)."""
    return [
        {
            "id": a.alert_id,
            "created_at": a.created_at.isoformat(),
            "entries": [{"name": name, "kind": kind} for name, kind in a.named_entries],
            "severity": a.severity,
            "variant": a.variant,
            "sentence": a.sentence,
            "title": a.article_title,
            "source": a.source,
            "location": a.location,
            "link": safe_link(a.location),
            "delivery": delivery_status(statuses.get(a.alert_id, Counter())),
            "deliveries": dict(sorted(statuses.get(a.alert_id, Counter()).items())),
        }
        for a in alerts
    ]
