"""The one-screen summary a monitor run ends with.

Everything in it taken from an article, a file name or a source goes through `loggable`: it is
logged, and a line break or an escape sequence in a title or an error must not forge a line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from veille.decide.render import reasons_text
from veille.names import FOLDER_PREFIX
from veille.records import (
    ArticleChanges,
    ArticleMentions,
    CreatedAlert,
    DeliveryReport,
    HealthNotice,
    HeldDoubtful,
    HeldEntry,
    ReadError,
    RecordedBatch,
    SourceBatch,
    SourceHealth,
    SourceOutcome,
)
from veille.sanitize import loggable

_LISTED_ALERTS = 15
_LISTED_SOURCES = 20
# How a mention held as doubtful is sent after all, as every listing of them says.
RELEASE_COMMAND = "veille release"


@dataclass
class RunSummary:
    """Counts of one monitor run, returned by the flow and logged at its end."""

    files_read: int = 0
    read_errors: list[ReadError] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    watched_mentions: int = 0
    place_entities: int = 0
    # Articles the pre-filter kept from the model: no watched name could be in them.
    skipped_by_prefilter: int = 0
    read_by_model: int = 0
    alerts: list[CreatedAlert] = field(default_factory=list)
    held: list[HeldEntry] = field(default_factory=list)
    # Alerts of earlier runs whose story is now carried by more sources: (first entry, sources).
    grown: dict[int, tuple[str, int]] = field(default_factory=dict)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    still_pending: int = 0
    batches: list[SourceBatch] = field(default_factory=list)
    new_by_source: Counter[str] = field(default_factory=Counter)
    sources: list[SourceHealth] = field(default_factory=list)
    health: list[HealthNotice] = field(default_factory=list)
    # Mentions held as doubtful this run: shown, sent to no one until released.
    doubtful: list[HeldDoubtful] = field(default_factory=list)

    def add_reads(self, batches: list[SourceBatch], changes: ArticleChanges) -> None:
        self.batches = list(batches)
        self.files_read += sum(batch.article_count for batch in batches)
        self.read_errors += [error for batch in batches for error in batch.errors]
        self.new, self.changed, self.unchanged = len(changes.new), len(changes.changed), len(changes.unchanged)
        self.new_by_source = Counter(article.source for article in changes.new)

    def add_recorded(self, recorded: RecordedBatch) -> None:
        """A batch's alerts, and its articles the database refused (unreadable items of this run)."""
        self.alerts += recorded.alerts
        self.held += recorded.held
        self.doubtful += recorded.doubtful
        self.grown.update(recorded.grown)
        self.read_errors += recorded.rejected

    def add_mentions(self, found: Sequence[ArticleMentions]) -> None:
        self.watched_mentions += sum(1 for f in found for m in f.mentions if m.entry_id)
        self.place_entities += sum(1 for f in found for m in f.mentions if not m.entry_id)
        self.skipped_by_prefilter += sum(1 for f in found if not f.read_by_model)
        self.read_by_model += sum(1 for f in found if f.read_by_model)

    def prefilter_note(self) -> str:
        """ " in 12 articles (30 with no watched name skipped)", or nothing when the model read every article."""
        if not self.skipped_by_prefilter:
            return ""
        return f" in {plural(self.read_by_model, 'article')} ({self.skipped_by_prefilter} with no watched name skipped)"

    def headline(self) -> str:
        """The run in one line, honest about what is not done: "11 alerts, 10 sent, 1 to retry; 1 source failed"."""
        d = self.delivery
        parts = [plural(len(self.alerts), "alert"), f"{d.sent} sent"]
        if d.retrying + d.deferred:
            parts.append(f"{d.retrying + d.deferred} to retry")
        if d.failed:
            parts.append(f"{d.failed} failed for good")
        problems = []
        failed = count_outcomes(self.batches)[SourceOutcome.FAILED]
        if failed:
            problems.append(f"{plural(failed, 'source')} failed")
        if self.read_errors:
            problems.append(f"{plural(len(self.read_errors), 'item')} unreadable")
        if self.held:
            problems.append(f"{plural(len(self.held), 'mention')} held ({self.held[0].reason.split(':')[0]})")
        if self.doubtful:
            problems.append(f"{plural(len(self.doubtful), 'mention')} held as doubtful")
        waiting = sum(a.held_deliveries for a in self.alerts)
        if waiting:
            problems.append(f"{plural(waiting, 'delivery', 'deliveries')} held (quiet hours, digest or rate limit)")
        return ", ".join(parts) + "".join(f"; {problem}" for problem in problems)

    def render(self) -> str:
        d = self.delivery
        outcomes = count_outcomes(self.batches)
        lines = [
            f"Veille monitor: {self.headline()}",
            f"  sources:       {len(self.batches)} ({outcomes[SourceOutcome.NOT_MODIFIED]} not modified, "
            f"{outcomes[SourceOutcome.NOT_DUE]} not due, {outcomes[SourceOutcome.FAILED]} failed)",
            f"  items read:    {self.files_read} ({len(self.read_errors)} unreadable)",
            f"  articles:      {self.new} new, {self.changed} changed, {self.unchanged} unchanged",
            f"  mentions:      {self.watched_mentions} of watched entries, "
            f"{plural(self.place_entities, 'place')} found by the model{self.prefilter_note()}",
            f"  alerts:        {len(self.alerts)} created"
            + ("" if self.alerts else " (nothing new)")
            + (
                f", {plural(sum(len(a.entries) for a in self.alerts), 'entry', 'entries')} in them"
                if self.alerts
                else ""
            ),
            f"  deliveries:    {d.sent} sent, {d.retrying + d.deferred} to retry, {d.failed} failed for good"
            + (f", {d.orphaned} for targets no longer configured (veille outbox list)" if d.orphaned else "")
            + recorded_late(d),
        ]
        if d.held or d.released:
            lines.append(f"  on hold:       {on_hold(d, loggable)}")
        if d.unrouted or d.routed_late:
            lines.append(f"  unrouted:      {unrouted(d)}")
        if self.still_pending:
            lines.append(
                f"  outbox:        {plural(self.still_pending, 'delivery', 'deliveries')} pending for a later run"
            )
        if self.health:
            told = "; ".join(
                f"{loggable(n.source)} {loggable(n.says)}" + ("" if n.deliveries else " (reaches no target)")
                for n in self.health
            )
            lines.append(f"  health:        {plural(len(self.health), 'message')} to the operator: {told}")
        if self.held:
            lines.append(
                f"  held:          {plural(len(self.held), 'mention')} recorded without notifying "
                f"({loggable(self.held[0].reason)})"
            )
        if self.doubtful:
            lines.append(
                f"  doubtful:      {plural(len(self.doubtful), 'mention')} held as doubtful, sent to no one "
                f"({RELEASE_COMMAND} ID sends one)"
            )
        for alert in self.alerts[:_LISTED_ALERTS]:
            carried = f", carried by {alert.sources} sources" if alert.sources > 1 else ""
            lines.append(f"    + {_entries(alert)} in {loggable(alert.location)}{carried}")
        if len(self.alerts) > _LISTED_ALERTS:
            lines.append(f"    + … and {len(self.alerts) - _LISTED_ALERTS} more")
        for held in self.doubtful[:_LISTED_ALERTS]:
            article = f"«{loggable(held.article_title)}» ({loggable(held.source)}, {loggable(held.location)})"
            lines.append(f"    ? [{held.id}] {doubtful_text(held, loggable)} in {article}")
        if len(self.doubtful) > _LISTED_ALERTS:
            lines.append(f"    ? … and {len(self.doubtful) - _LISTED_ALERTS} more")
        for entry_name, sources in list(self.grown.values())[:_LISTED_ALERTS]:
            lines.append(f"    ~ the story of an earlier {entry_name} alert is now carried by {sources} sources")
        lines += self._source_lines()
        for error in self.read_errors:
            lines.append(f"    ! {loggable(error.item)}: {loggable(error.problem)}")
        for failed_delivery in d.errors[:5]:
            lines.append(f"    ! delivery to {loggable(failed_delivery)}")
        return "\n".join(lines)

    def _source_lines(self) -> list[str]:
        """One line per feed and per failing source: what this run got, and the source's health."""
        health = {h.name: h for h in self.sources}
        lines = []
        for batch in failing_first(self.batches):
            if batch.source.startswith(FOLDER_PREFIX) and batch.outcome is not SourceOutcome.FAILED:
                continue
            h = health.get(batch.source)
            state = source_state(batch, h, loggable, new=self.new_by_source[batch.source])
            if batch.outcome is SourceOutcome.FAILED and h and h.consecutive_failures > 1:
                state += f", {h.consecutive_failures} failures in a row"
            total = f"; {h.entries} stored" if h else ""
            lines.append(f"    {loggable(batch.source)}: {state}{total}")
        if len(lines) > _LISTED_SOURCES:
            lines = [*lines[:_LISTED_SOURCES], f"    … and {plural(len(lines) - _LISTED_SOURCES, 'more source')}"]
        return lines


def _entries(alert: CreatedAlert) -> str:
    """Every entry of an alert with the variant as written, the rule that matched it and its confidence."""
    if not alert.matches:  # an alert recorded without them: its first entry's variant, the other names
        written = "" if alert.variant == alert.entry_name else f" («{loggable(alert.variant)}»)"
        others = f" + {', '.join(alert.entries[1:])}" if len(alert.entries) > 1 else ""
        return f"{alert.kind} {alert.entry_name}{written}{others}"
    return " + ".join(
        f"{m.kind} {m.name}, written «{loggable(m.variant)}» ({loggable(m.matched_by)}, confidence {m.confidence:.2f})"
        for m in alert.matches
    )


def doubtful_text(held: HeldDoubtful, quote: Callable[[str], str]) -> str:
    """A mention held as doubtful in words, what the article and the matcher wrote through `quote`:
    "place Alep, written «rue d'Alep» (fold, confidence 0.31: inside a street's name)"; its article apart."""
    mention = held.mention
    return (
        f"{held.kind} {quote(held.entry_name)}, written «{quote(mention.text)}» ({quote(mention.matched_by)}, "
        f"confidence {mention.confidence:.2f}: {quote(reasons_text(mention.reasons))})"
    )


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 alert", "2 alerts": the count with its noun, singular or plural."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def source_state(
    batch: SourceBatch, health: SourceHealth | None, quote: Callable[[str], str], new: int | None = None
) -> str:
    """This run's read of a source in words: what it gave, or why not; text from the source through `quote`."""
    if batch.outcome is SourceOutcome.NOT_DUE:
        return "not due (poll interval)"
    if batch.outcome is SourceOutcome.FAILED:
        return f"FAILED: {quote(batch.problem or 'no reason given')}"
    if batch.outcome is SourceOutcome.NOT_MODIFIED:
        # A 304 says nothing new of the body: the warning of its last read still stands.
        last = health.last_warning if health else None
        return "not modified" + (f" (last warning: {quote(last)})" if last else "")
    state = plural(batch.article_count, "entry", "entries") + (f", {new} new" if new is not None else "")
    if batch.errors:
        state += f", {len(batch.errors)} unreadable"
    return state + (f" (warning: {quote(batch.problem)})" if batch.problem else "")


def failing_first(batches: Sequence[SourceBatch]) -> list[SourceBatch]:
    """The failed sources first, each part in its order: a list cut short (10,000 feeds) still shows them."""
    return sorted(batches, key=lambda batch: batch.outcome is not SourceOutcome.FAILED)


def count_outcomes(batches: Sequence[SourceBatch]) -> Counter[SourceOutcome]:
    """How many sources came to each outcome."""
    return Counter(batch.outcome for batch in batches)


def recorded_late(delivery: DeliveryReport) -> str:
    """What the delivery journal gave back to the database this run, as a clause; empty when nothing."""
    count = delivery.recorded_from_journal
    return f"; {count} sent by an earlier run recorded now" if count else ""


def unrouted(delivery: DeliveryReport) -> str:
    """Alerts that reached no target, and those of them that reached one this run; empty when none."""
    parts = []
    if delivery.unrouted:
        parts.append(
            f"{plural(delivery.unrouted, 'alert')} reached no target (no target has one of their tags); each is "
            "sent when a target with one of them is configured"
        )
    if delivery.routed_late:
        parts.append(f"{delivery.routed_late} that had reached no target sent to a target configured since")
    return "; ".join(parts)


def on_hold(delivery: DeliveryReport, quote: Callable[[str], str]) -> str:
    """Deliveries the outbox holds on purpose, by reason, and those it released this run; reasons through
    `quote`: "2 held (quiet hours until 07:00 Europe/Paris); 1 queued for the digest (over the rate limit
    of 10 per 1 h)"."""
    parts = [f"{delivery.released} sent now that their quiet hours are over"] if delivery.released else []
    for held in delivery.held:
        waiting = "held" if held.status == "pending" else "queued for the digest"
        parts.append(f"{held.count} {waiting} ({quote(held.reason)})")
    return "; ".join(parts)
