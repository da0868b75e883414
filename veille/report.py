"""Run reports as Markdown, for the artifacts Prefect's UI shows on each run: pure functions over records.

Everything taken from an article is neutralised (as in alerts) and escaped for a Markdown table:
the UI renders Markdown, and an article must not add a link, an image or a column to a report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from veille.clean import shorten
from veille.decide.render import reasons_text
from veille.records import AlertLine, HeldDoubtful, PeriodFigures, PlannedAlert, SourceOutcome
from veille.sanitize import neutralise_line
from veille.summary import (
    RELEASE_COMMAND,
    RunSummary,
    count_outcomes,
    on_hold,
    plural,
    recorded_late,
    source_state,
    unrouted,
)

_SENTENCE_CHARS = 140
_ROWS = 200
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
# How a delivery held on purpose is said, by its status: waiting for quiet hours to end, or for a digest.
_HELD_AS = {"pending": "held", "queued": "queued for the digest"}


def cell(text: object, limit: int | None = None) -> str:
    """`text` as one inert Markdown table cell."""
    value = neutralise_line(str(text))
    if limit is not None:
        value = shorten(value, limit)
    return _MARKDOWN.sub(r"\\\1", value)


def delivery_status(counts: Counter[str]) -> str:
    """'sent' when every target accepted it, else what is left: 'sent 1 of 2; 1 to retry', '1 held (quiet
    hours until 07:00 Europe/Paris)', '1 queued for the digest (over the rate limit of 10 per 1 h)'.

    `counts` are Store.delivery_statuses': by status, and "STATUS: REASON" for one held on purpose.
    """
    total = sum(counts.values())
    if total == 0:
        return "no target"
    sent = counts.get("sent", 0)
    if sent == total:
        return "sent" if total == 1 else f"sent ({total} targets)"
    parts = [f"sent {sent} of {total}"]
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    if waiting:
        parts.append(f"{waiting} to retry")
    if counts.get("failed"):
        parts.append(f"{counts['failed']} failed for good")
    if counts.get("digested"):
        parts.append(f"{counts['digested']} in a digest")
    if counts.get("queued"):
        parts.append(f"{counts['queued']} queued for the digest")
    for key, count in sorted(counts.items()):
        status, _, reason = key.partition(": ")
        if reason and status in _HELD_AS:
            parts.append(f"{count} {_HELD_AS[status]} ({cell(reason, 200)})")
    return "; ".join(parts)


def alert_table(alerts: Sequence[AlertLine], statuses: Mapping[int, Counter[str]]) -> list[str]:
    # Narrow columns first: the UI scrolls a wide table sideways and the last ones go unseen.
    lines = ["| Entry | Delivery | Sentence | Article |", "|---|---|---|---|"]
    for a in alerts[:_ROWS]:
        entry, sentence, article = _alert_cells(
            a.entry_name, a.kind, a.variant, a.sentence, a.article_title, a.source, a.location
        )
        status = delivery_status(statuses.get(a.alert_id, Counter()))
        lines.append(f"| {entry}{_others(a.entries)} | {status} | {sentence} | {article} |")
    if len(alerts) > _ROWS:
        lines.append(f"| … and {len(alerts) - _ROWS} more | | | |")
    return lines


def doubtful_table(held: Sequence[HeldDoubtful]) -> list[str]:
    """The mentions held as doubtful: id (to release it), entry and variant, confidence, why, article."""
    lines = ["| Id | Entry | Confidence | Why | Article |", "|---|---|---|---|---|"]
    for item in held[:_ROWS]:
        mention = item.mention
        entry, _, article = _alert_cells(
            item.entry_name, item.kind, mention.text, mention.sentence, item.article_title, item.source, item.location
        )
        if item.released_at is not None:
            entry += f"; released as alert {item.released_alert_id}"
        how = f"{mention.confidence:.2f} ({cell(mention.matched_by)})"
        lines.append(f"| {item.id} | {entry} | {how} | {cell(reasons_text(mention.reasons), 200)} | {article} |")
    if len(held) > _ROWS:
        lines.append(f"| … and {len(held) - _ROWS} more | | | | |")
    return lines


def _doubtful_section(held: Sequence[HeldDoubtful]) -> list[str]:
    if not held:
        return []
    return [
        "",
        f"## Held as doubtful ({len(held)})",
        "",
        f"Sent to no one; `{RELEASE_COMMAND} ID` sends one as an alert.",
        "",
        *doubtful_table(held),
    ]


def _others(entries: Sequence[str]) -> str:
    """The entries of a message after its first, as the rest of its Entry cell."""
    return f" + {cell(', '.join(entries[1:]))}" if len(entries) > 1 else ""


def _alert_cells(
    entry_name: str, kind: str, variant: str, sentence: str, title: str, source: str, location: str
) -> tuple[str, str, str]:
    """The entry (with its spelling when it differs), the sentence and the article of one alert, as cells."""
    written = "" if variant == entry_name else f", written «{cell(variant)}»"
    return (
        f"{cell(entry_name)} ({kind}){written}",
        f"«{cell(sentence, _SENTENCE_CHARS)}»",
        f"{cell(title, 60)} ({cell(source)}: {cell(location, 60)})",
    )


def render_monitor_report(
    summary: RunSummary,
    alerts: Sequence[AlertLine],
    statuses: Mapping[int, Counter[str]],
    seconds: float,
    turned_away: Sequence[str] = (),
) -> str:
    """The monitor run's artifact: figures, the alerts created with their delivery, then each source.

    `turned_away`: the runs that came due while this one was processing, when it outlived its interval.
    """
    d = summary.delivery
    batches = summary.batches
    outcomes = count_outcomes(batches)
    lines = [
        f"# Monitor run: {cell(summary.headline())}",
        "",
        f"- **Duration**: {seconds:.1f} s"
        + (
            f", longer than its schedule's interval: {plural(len(turned_away), 'scheduled run')} came due meanwhile "
            f"and waited for it ({cell(', '.join(turned_away), 200)})"
            if turned_away
            else ""
        ),
        f"- **Sources**: {len(batches)} read: {outcomes[SourceOutcome.NOT_MODIFIED]} not modified, "
        f"{outcomes[SourceOutcome.NOT_DUE]} not due, {outcomes[SourceOutcome.FAILED]} failed",
        f"- **Articles**: {summary.new} new, {summary.changed} changed, {summary.unchanged} unchanged, "
        f"{len(summary.read_errors)} unreadable items",
        f"- **Mentions**: {summary.watched_mentions} of watched entries, "
        f"{summary.place_entities} places found by the model",
        f"- **Deliveries**: {d.sent} sent, {d.retrying + d.deferred} to retry, {d.failed} failed for good, "
        f"{summary.still_pending} pending in the outbox" + recorded_late(d),
        *([f"- **On hold**: {on_hold(d, lambda text: cell(text, 200))}"] if d.held or d.released else []),
        *([f"- **Unrouted**: {unrouted(d)}"] if d.unrouted or d.routed_late else []),
        "",
        f"## Alerts ({len(alerts)})",
        "",
    ]
    lines += alert_table(alerts, statuses) if alerts else ["Nothing new."]
    lines += _doubtful_section(summary.doubtful)
    lines += ["", "## Sources", "", *source_table(summary)]
    problems = [f"- {cell(e.item, 200)}: {cell(e.problem, 300)}" for e in summary.read_errors[:_ROWS]]
    problems += [f"- delivery to {cell(error, 300)}" for error in d.errors[:_ROWS]]
    if problems:
        lines += ["", "## Errors", "", *problems]
    return "\n".join(lines) + "\n"


def source_table(summary: RunSummary) -> list[str]:
    health = {h.name: h for h in summary.sources}
    lines = ["| Source | This run | New | Stored | Failures in a row | Last error |", "|---|---|---|---|---|---|"]
    for batch in summary.batches[:_ROWS]:
        h = health.get(batch.source)
        state = source_state(batch, h, lambda text: cell(text, 200))
        lines.append(
            f"| {cell(batch.source)} | {state} | {summary.new_by_source[batch.source]} | {h.entries if h else 0} | "
            f"{h.consecutive_failures if h else 0} | {cell(h.last_error, 200) if h and h.last_error else ''} |"
        )
    return lines


def render_replay_report(
    planned: Sequence[PlannedAlert],
    created: Sequence[AlertLine],
    statuses: Mapping[int, Counter[str]],
    dry_run: bool,
    articles: int,
    sent: int,
    since: datetime | None,
    until: datetime | None,
) -> str:
    """The replay run's artifact: what it would send (dry run), or what it created and how each was delivered."""
    span = f"{_day(since) or 'the first article'} to {_day(until) or 'now'}"
    if dry_run:
        head = f"# Replay (dry run): {plural(len(planned), 'alert')} would be sent, none was"
    else:
        head = f"# Replay: {plural(len(created), 'alert')} created, {plural(sent, 'delivery', 'deliveries')} sent"
    lines = [head, "", f"{articles} stored articles dated {span} read again.", ""]
    if not dry_run:
        return "\n".join(lines + (alert_table(created, statuses) if created else ["No new alert."])) + "\n"
    if not planned:
        return "\n".join([*lines, "No alert that does not already exist."]) + "\n"
    lines += ["| Entry | Sentence | Article |", "|---|---|---|"]
    for p in planned[:_ROWS]:
        lead = p.hits[0]
        entry, sentence, article = _alert_cells(
            lead.entry.name,
            lead.entry.kind,
            lead.mention.text,
            lead.mention.sentence,
            p.article.title,
            p.article.source,
            p.article.location,
        )
        lines.append(f"| {entry}{_others([hit.entry.name for hit in p.hits])} | {sentence} | {article} |")
    if len(planned) > _ROWS:
        lines.append(f"| … and {len(planned) - _ROWS} more | | |")
    return "\n".join(lines) + "\n"


def render_digest_report(
    figures: PeriodFigures,
    statuses: Mapping[int, Counter[str]],
    since: datetime,
    until: datetime,
    delivered_to: Iterable[str],
    failed: Iterable[str],
    held: Sequence[tuple[str, str]] = (),
) -> str:
    """The digest run's artifact; `held`: each target given its held alerts' digest, with that digest's
    delivery status (delivery_status)."""
    delivered_to, failed = list(delivered_to), list(failed)
    lines = [
        f"# Digest from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M %Z}",
        "",
        f"Sent to {len(delivered_to)} target(s)" + (f"; failed for {len(failed)}" if failed else "") + ".",
        "",
    ]
    lines += [f"- {cell(label)}: sent" for label in delivered_to] + [f"- {cell(label)}: FAILED" for label in failed]
    if held:
        lines += ["", f"## Held alerts' digests ({len(held)})", ""]
        lines += [f"- {cell(label)}: {status}" for label, status in held]
    lines += ["", f"## Alerts ({len(figures.alerts)})", ""]
    lines += alert_table(figures.alerts, statuses) if figures.alerts else ["None."]
    lines += _doubtful_section(figures.doubtful)
    lines += ["", "## New articles by source", "", "| Source | New articles |", "|---|---|"]
    lines += [f"| {cell(name)} | {count} |" for name, count in figures.articles.most_common(_ROWS)]
    return "\n".join(lines) + "\n"


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""
