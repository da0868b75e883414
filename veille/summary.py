"""The one-screen summary a monitor run ends with."""

from __future__ import annotations

from dataclasses import dataclass, field

from veille.detect import ArticleChanges
from veille.notify.sender import DeliveryReport
from veille.records import ReadError, SourceBatch
from veille.store.sql import CreatedAlert

_LISTED_ALERTS = 15


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
    alerts: list[CreatedAlert] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    still_pending: int = 0

    def add_reads(self, batches: list[SourceBatch], changes: ArticleChanges) -> None:
        self.files_read += sum(len(batch.articles) for batch in batches)
        self.read_errors += [error for batch in batches for error in batch.errors]
        self.new, self.changed, self.unchanged = len(changes.new), len(changes.changed), len(changes.unchanged)

    def render(self) -> str:
        d = self.delivery
        lines = [
            "Veille monitor summary",
            f"  files read:    {self.files_read} ({len(self.read_errors)} unreadable)",
            f"  articles:      {self.new} new, {self.changed} changed, {self.unchanged} unchanged",
            f"  mentions:      {self.watched_mentions} of watched entries, {self.place_entities} places found by the model",
            f"  alerts:        {len(self.alerts)} created" + ("" if self.alerts else " (nothing new)"),
            f"  deliveries:    {d.sent} sent, {d.retrying + d.deferred} to retry, {d.failed} failed for good"
            + (f", {d.orphaned} for targets no longer configured" if d.orphaned else ""),
        ]
        if self.still_pending:
            lines.append(f"  outbox:        {self.still_pending} deliveries pending for a later run")
        for alert in self.alerts[:_LISTED_ALERTS]:
            written = "" if alert.variant == alert.entry_name else f" («{alert.variant}»)"
            lines.append(f"    + {alert.kind} {alert.entry_name}{written} in {alert.location}")
        if len(self.alerts) > _LISTED_ALERTS:
            lines.append(f"    + … and {len(self.alerts) - _LISTED_ALERTS} more")
        for error in self.read_errors:
            lines.append(f"    ! {error.item}: {error.problem}")
        for error in d.errors[:5]:
            lines.append(f"    ! delivery to {error}")
        return "\n".join(lines)
