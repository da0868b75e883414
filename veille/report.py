"""Run reports as Markdown, for the artifacts Prefect's UI shows on each run: pure functions over records.

Laid out to fit the UI's artifact pane (about 830 px in a 1280 px browser) without scrolling sideways:
each alert is a list item of two lines rather than a row of a wide table, and the tables left have
short cells (veille.markdown says how text from articles is kept inert and narrow).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from veille.decide.render import reasons_text
from veille.digest import alerts_by_article, alerts_by_entry
from veille.markdown import CODE_CHARS, article_link, cell, code, code_lines, source_label
from veille.records import (
    AlertLine,
    HeldDoubtful,
    PeriodFigures,
    PlannedAlert,
    SourceBatch,
    SourceHealth,
    SourceOutcome,
)
from veille.summary import (
    RELEASE_COMMAND,
    RunSummary,
    count_outcomes,
    failing_first,
    on_hold,
    plural,
    recorded_late,
    source_state,
    unrouted,
)

__all__ = [
    "alert_items",
    "cell",
    "delivery_status",
    "doubtful_items",
    "render_digest_report",
    "render_monitor_report",
    "render_replay_report",
    "source_table",
]

_SENTENCE_CHARS = 160
_ROWS = 200
# How a delivery held on purpose is said, by its status: waiting for quiet hours to end, or for a digest.
_HELD_AS = {"pending": "held", "queued": "queued for the digest"}
# The end of a list item's first line: a hard line break (CommonMark's backslash), the second line indented.
_BREAK = "\\\n  "


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


def alert_items(alerts: Sequence[AlertLine], statuses: Mapping[int, Counter[str]]) -> list[str]:
    """One list item per alert: its entries and delivery, then its sentence and article.

    - **Kalachnikov** (weapon) + Hama — sent
      «Des fusils Kalachnikov ont été saisis…» — [Title](https://…) (feed:afp)
    """
    lines = []
    for a in alerts[:_ROWS]:
        status = delivery_status(statuses.get(a.alert_id, Counter()))
        lines.append(
            f"- {_entry(a.entry_name, a.kind, a.variant)}{_others(a.entries)} — {status}{_BREAK}"
            f"{_sentence(a.sentence)} — {article_link(a.article_title, a.source, a.location)}"
        )
    return lines + _more(len(alerts))


def doubtful_items(held: Sequence[HeldDoubtful]) -> list[str]:
    """The mentions held as doubtful, one list item each: id (to release it), entry and spelling,
    confidence and why; then the sentence and the article."""
    lines = []
    for item in held[:_ROWS]:
        mention = item.mention
        released = f"; released as alert {item.released_alert_id}" if item.released_at is not None else ""
        lines.append(
            f"- **{item.id}**: {_entry(item.entry_name, item.kind, mention.text)}{released} — "
            f"{mention.confidence:.2f} ({cell(mention.matched_by)}): {cell(reasons_text(mention.reasons), 200)}"
            f"{_BREAK}{_sentence(mention.sentence)} — {article_link(item.article_title, item.source, item.location)}"
        )
    return lines + _more(len(held))


def _doubtful_section(held: Sequence[HeldDoubtful]) -> list[str]:
    if not held:
        return []
    return [
        "",
        f"## Held as doubtful ({len(held)})",
        "",
        f"Sent to no one; `{RELEASE_COMMAND} ID` sends one as an alert.",
        "",
        *doubtful_items(held),
    ]


def _entry(name: str, kind: str, variant: str) -> str:
    """The entry in bold with its kind, and its spelling when the article wrote it otherwise."""
    written = "" if variant == name else f", written «{cell(variant, 60)}»"
    return f"**{cell(name, 60)}** ({kind}){written}"


def _others(entries: Sequence[str]) -> str:
    """The entries of a message after its first."""
    return f" + {cell(', '.join(entries[1:]), 200)}" if len(entries) > 1 else ""


def _sentence(sentence: str) -> str:
    return f"«{cell(sentence, _SENTENCE_CHARS)}»"


def _more(count: int) -> list[str]:
    return [f"- … and {count - _ROWS} more"] if count > _ROWS else []


def map_line(map_file: str | None) -> list[str]:
    """The item that says where the run's map was written, when it was: its path whole, to be copied, in
    a code span when short, else in a code block under the item (which scrolls, where a span would
    widen the page)."""
    if not map_file:
        return []
    if len(map_file) <= CODE_CHARS:
        return [f"- **Map**: {code(map_file)} (open it in a browser)"]
    return ["- **Map** (open it in a browser):", *code_lines(map_file, indent="  ")]


def render_monitor_report(
    summary: RunSummary,
    alerts: Sequence[AlertLine],
    statuses: Mapping[int, Counter[str]],
    seconds: float,
    turned_away: Sequence[str] = (),
    map_file: str | None = None,
) -> str:
    """The monitor run's artifact: figures, the alerts created with their delivery, then each source.

    `turned_away`: the runs that came due while this one was processing, when it outlived its interval;
    `map_file`: where the map of the run's alerts was written, if it was.
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
        f"{plural(len(summary.read_errors), 'unreadable item')}",
        f"- **Mentions**: {summary.watched_mentions} of watched entries, "
        f"{plural(summary.place_entities, 'place')} found by the model{summary.prefilter_note()}",
        f"- **Deliveries**: {d.sent} sent, {d.retrying + d.deferred} to retry, {d.failed} failed for good, "
        f"{summary.still_pending} pending in the outbox" + recorded_late(d),
        *([f"- **On hold**: {on_hold(d, lambda text: cell(text, 200))}"] if d.held or d.released else []),
        *([f"- **Unrouted**: {unrouted(d)}"] if d.unrouted or d.routed_late else []),
        *map_line(map_file),
        "",
        f"## Alerts ({len(alerts)})",
        "",
    ]
    lines += alert_items(alerts, statuses) if alerts else ["Nothing new."]
    lines += _doubtful_section(summary.doubtful)
    lines += ["", "## Sources", "", *source_table(summary)]
    problems = [f"- {cell(e.item, 200)}: {cell(e.problem, 300)}" for e in summary.read_errors[:_ROWS]]
    problems += [f"- delivery to {cell(error, 300)}" for error in d.errors[:_ROWS]]
    if problems:
        lines += ["", "## Errors", "", *problems]
    return "\n".join(lines) + "\n"


def source_table(summary: RunSummary) -> list[str]:
    """Each source in a row of four short cells; what needs more words (a warning, an error) in a list
    under the table, one item per source that has one."""
    health = {h.name: h for h in summary.sources}
    lines = ["| Source | This run | New | Stored |", "|---|---|---|---|"]
    notes = []
    for batch in failing_first(summary.batches)[:_ROWS]:
        h = health.get(batch.source)
        name = source_label(batch.source)
        lines.append(
            f"| {name} | {_short_state(batch, h)} | {summary.new_by_source[batch.source]} | {h.entries if h else 0} |"
        )
        note = _source_note(batch, h)
        if note:
            notes.append(f"- **{name}**: {note}")
    if len(summary.batches) > _ROWS:
        lines.append(f"| … and {len(summary.batches) - _ROWS} more | | | |")
    return lines + (["", *notes] if notes else [])


def _short_state(batch: SourceBatch, health: SourceHealth | None) -> str:
    """This run's read of a source in a few words; the details are in its note."""
    if batch.outcome is SourceOutcome.NOT_DUE:
        return "not due"
    if batch.outcome is SourceOutcome.NOT_MODIFIED:
        return "not modified"
    if batch.outcome is SourceOutcome.FAILED:
        failures = health.consecutive_failures if health else 1
        return "FAILED" + (f" ({failures} in a row)" if failures > 1 else "")
    state = plural(batch.article_count, "entry", "entries")
    return state + (f", {len(batch.errors)} unreadable" if batch.errors else "")


def _source_note(batch: SourceBatch, health: SourceHealth | None) -> str:
    """What a source's row leaves out: why it failed, its warning, its last error; empty when nothing."""
    parts = []
    noted = (
        batch.outcome is SourceOutcome.FAILED
        or batch.problem
        or (batch.outcome is SourceOutcome.NOT_MODIFIED and health and health.last_warning)
    )
    if noted:
        parts.append(source_state(batch, health, lambda text: cell(text, 200)))
    last_error = health.last_error if health else None
    if last_error and not (batch.outcome is SourceOutcome.FAILED and batch.problem == last_error):
        parts.append(f"last error: {cell(last_error, 200)}")
    return "; ".join(parts)


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
    lines = [head, "", f"{plural(articles, 'stored article')} dated {span} read again.", ""]
    if not dry_run:
        return "\n".join(lines + (alert_items(created, statuses) if created else ["No new alert."])) + "\n"
    if not planned:
        return "\n".join([*lines, "No alert that does not already exist."]) + "\n"
    for p in planned[:_ROWS]:
        lead = p.hits[0]
        lines.append(
            f"- {_entry(lead.entry.name, lead.entry.kind, lead.mention.text)}"
            f"{_others([hit.entry.name for hit in p.hits])}{_BREAK}{_sentence(lead.mention.sentence)} — "
            f"{article_link(p.article.title, p.article.source, p.article.location)}"
        )
    return "\n".join(lines + _more(len(planned))) + "\n"


def render_digest_report(
    figures: PeriodFigures,
    statuses: Mapping[int, Counter[str]],
    since: datetime,
    until: datetime,
    delivered_to: Iterable[str],
    failed: Iterable[str],
    held: Sequence[tuple[str, str]] = (),
    map_file: str | None = None,
) -> str:
    """The digest run's artifact, its alerts grouped as the digest sent groups them (by entry, then by
    article); `held`: each target given its held alerts' digest, with that digest's delivery status
    (delivery_status); `map_file`: where the map of the period's alerts was written, if it was."""
    delivered_to, failed = list(delivered_to), list(failed)
    lines = [
        f"# Digest from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M %Z}",
        "",
        f"Sent to {plural(len(delivered_to), 'target')}" + (f"; failed for {len(failed)}" if failed else "") + ".",
        "",
    ]
    lines += [f"- {cell(label)}: sent" for label in delivered_to] + [f"- {cell(label)}: FAILED" for label in failed]
    lines += map_line(map_file)
    if held:
        lines += ["", f"## Held alerts' digests ({len(held)})", ""]
        lines += [f"- {cell(label)}: {status}" for label, status in held]
    lines += ["", f"## Alerts ({len(figures.alerts)})", ""]
    lines += _grouped_alerts(figures.alerts, statuses) if figures.alerts else ["None."]
    lines += _doubtful_section(figures.doubtful)
    lines += ["", "## New articles by source", "", "| Source | New articles |", "|---|---|"]
    lines += [f"| {source_label(name)} | {count} |" for name, count in figures.articles.most_common(_ROWS)]
    return "\n".join(lines) + "\n"


def _grouped_alerts(alerts: Sequence[AlertLine], statuses: Mapping[int, Counter[str]]) -> list[str]:
    """The period's alerts as the digest sent shows them: counted by entry, then listed by article, each
    article a list item with its alerts (entry, delivery, sentence) under it."""
    counted = ", ".join(f"{cell(name)} ×{count}" for name, count in alerts_by_entry(alerts).most_common(_ROWS))
    lines = [f"By entry: {counted}", ""]
    shown = 0
    for same_article in alerts_by_article(alerts).values():
        if shown >= _ROWS:
            break
        first = same_article[0]
        lines.append(f"- {article_link(first.article_title, first.source, first.location)}")
        for a in same_article[: _ROWS - shown]:
            status = delivery_status(statuses.get(a.alert_id, Counter()))
            lines.append(
                f"  - {_entry(a.entry_name, a.kind, a.variant)}{_others(a.entries)} — {status}: {_sentence(a.sentence)}"
            )
        shown += len(same_article)
    return lines + _more(len(alerts))


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""
