"""The interfaces the pipeline is written against: sources, the store, notifiers and the journal of sends.

Each has one implementation today (FolderSource and FeedSource, SqlStore, AppriseNotifier,
FileSentJournal); flows, tasks and the sender know only these protocols, so a test or another
backend can stand in. The contract, for every one of them:

- every datetime given or returned is aware and in UTC;
- records are those of veille.records;
- errors are Veille's own (veille.errors): a Source raises IngestError for a source it cannot read
  at all, the Store and the journal StoreError for anything the database or the disk refuses
  (with a message that never holds a secret), and a Notifier never raises for a target that refuses:
  it says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections import Counter

    from veille.records import (
        AlertLine,
        BatchPlan,
        DueDelivery,
        EntryHistory,
        HealthNotice,
        HeldCount,
        HeldDoubtful,
        JournalEntry,
        MentionedArticle,
        PeriodFigures,
        PlannedDelivery,
        PlannedDigest,
        PlannedHealthAlert,
        QueuedAlert,
        RecordedBatch,
        RecordedDigest,
        Retargeted,
        Router,
        SourceBatch,
        SourceHealth,
        SourceHealthFacts,
        SourceState,
        StoredArticle,
        StoredDelivery,
        TargetBacklog,
        TargetRef,
    )
    from veille.store.lock import RunLock
    from veille.stories import StoryIndex


class Source(Protocol):
    """Something Veille reads articles from: a folder of files, a feed."""

    @property
    def name(self) -> str:
        """The source's name (veille.names): its identity in the database."""
        ...

    def read(self) -> SourceBatch:
        """Every article the source holds now; items it cannot read come back as errors of the batch.

        Raises IngestError when the source as a whole cannot be read.
        """
        ...


class Notifier(Protocol):
    """Where alerts go: which targets an alert's tags reach, and sending to one of them."""

    def targets_for(self, tags: Sequence[str]) -> list[TargetRef]:
        """The targets an alert carrying `tags` goes to (an untagged or `always` target takes all)."""
        ...

    def has_target(self, key: str) -> bool:
        """Whether the target of this key is configured now."""
        ...

    def legacy_keys(self) -> Mapping[str, TargetRef]:
        """Keys the targets had under an earlier keying scheme, to the target each now is."""
        ...

    def send(self, key: str, title: str, body: str, fields: Mapping[str, object] | None = None) -> str | None:
        """Deliver to one target, fitted to its limits; None when it was accepted, else why not (masked).

        `fields` (an alert's details) go to the targets that write data, the built-in file; the others
        take the title and body alone."""
        ...


class SentJournal(Protocol):
    """Sends a target accepted while the database could not record them, kept on disk until it can."""

    def write(self, entry: JournalEntry) -> None:
        """Keep, durably (fsynced), that a target accepted this delivery. Raises StoreError."""
        ...

    def entries(self) -> list[JournalEntry]:
        """What the journal holds; unreadable lines are skipped with a warning. Raises StoreError."""
        ...

    def forget(self, entries: Iterable[JournalEntry]) -> None:
        """Drop entries the database now holds, or that can never be its own. Raises StoreError."""
        ...


class Store(Protocol):
    """Articles, mentions, stories, alerts and their deliveries: what flows, tasks and the sender need of a
    database. Every method is one short transaction and raises StoreError when the database fails it."""

    def close(self) -> None: ...

    def run_lock(self, name: str, holder: str, shared: bool = False) -> AbstractContextManager[RunLock]:
        """Held while a run of kind `name` processes; `acquired` False at once when another run holds it
        (or, `shared`, holds it alone)."""
        ...

    def recording(self) -> AbstractContextManager[None]:
        """Held while a batch reads its context, decides and writes: the runs side by side on one database
        (shards) decide one batch at a time, each on what the others wrote."""
        ...

    # Articles and stories.

    def known_hashes(self, sources: Iterable[str]) -> dict[tuple[str, str], str]:
        """Content hash of every stored article of `sources`, by (source, key)."""
        ...

    def stored_stories(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The story of each of these (source, key) articles that is stored already."""
        ...

    def story_context(self, story_ids: Iterable[int]) -> tuple[dict[int, frozenset[str]], dict[int, tuple[str, ...]]]:
        """For each story: the entries it already has (alerted or held), and the sources that carry it."""
        ...

    def entry_history(
        self, entry_ids: Iterable[str], now: datetime, days: int, thresholds: Mapping[str, float] | None = None
    ) -> dict[str, EntryHistory]:
        """Each entry's past over the last `days` days, for first_seen and spike rules; with `thresholds`
        (by entry id), only its mentions of at least that confidence (or stored without one) count."""
        ...

    def held_as_doubtful(self, story_ids: Iterable[int]) -> dict[int, frozenset[str]]:
        """The entries each of these stories holds as doubtful already."""
        ...

    def sources_never_read(self, names: Iterable[str]) -> frozenset[str]:
        """Of these sources, those never read successfully and holding no article."""
        ...

    def sent_recently(self, windows: Mapping[str, float], now: datetime) -> dict[str, int]:
        """For each target key, its deliveries made at once in the last `windows[key]` hours."""
        ...

    def record_plan(self, plan: BatchPlan, now: datetime) -> RecordedBatch:
        """Write a decision (veille.decide) in one transaction: articles, mentions and stories, alerts with
        their entries and deliveries; an article the database refuses is left out and named in `rejected`."""
        ...

    def load_story_index(self, since: datetime, threshold: float) -> StoryIndex:
        """Signatures of the articles first seen since `since`, to find the story of a new one."""
        ...

    def add_new_stories(self, index: StoryIndex, since: datetime) -> int:
        """Add to `index` the articles first seen since `since` that it lacks (other runs stored them); how many."""
        ...

    # Sources.

    def rename_source(self, old: str, new: str) -> bool:
        """Give source `old` the name `new`, with its articles, unless `new` exists; whether it did."""
        ...

    def source_states(self, names: Iterable[str]) -> dict[str, SourceState]:
        """What the last reads of these sources left: validators for a conditional GET, last fetch."""
        ...

    def record_source_reads(self, batches: Iterable[SourceBatch], now: datetime) -> None:
        """Health of each source after a read: success or failure, validators, warnings."""
        ...

    def source_health(self, names: Iterable[str]) -> list[SourceHealth]:
        """Each source's last success and error, failures in a row, and articles stored."""
        ...

    def source_health_facts(self, names: Iterable[str]) -> list[SourceHealthFacts]:
        """What deciding these sources' health alerts needs: failures in a row, last success and error,
        when their latest new articles came, and what the operator was last told."""
        ...

    def record_health(self, planned: Sequence[PlannedHealthAlert], now: datetime) -> list[HealthNotice]:
        """Each source's new health state with its message and deliveries, in one transaction; a source
        whose state changed meanwhile is left out."""
        ...

    # The outbox.

    def database_id(self) -> str:
        """The random id the database was given at creation: what a journal entry names."""
        ...

    def rename_targets(self, renames: Mapping[str, TargetRef]) -> int:
        """Deliveries keyed by an old key of a target, given its current key; how many."""
        ...

    def route_unrouted(self, route: Router, now: datetime) -> tuple[int, int]:
        """Deliveries for alerts that reached no target, to the targets that take them now:
        (alerts routed now, alerts that still reach none)."""
        ...

    def due_deliveries(self, now: datetime, lease_seconds: float) -> list[DueDelivery]:
        """Pending deliveries whose time has come, and those a dead run claimed and never recorded."""
        ...

    def claim_delivery(
        self, delivery_id: int, now: datetime, lease_seconds: float, target_key: str | None = None
    ) -> bool:
        """Take a due delivery for this run; False when another run has it, it is no longer due, or (with
        `target_key`) it no longer goes to that target."""
        ...

    def mark_sent(self, delivery_id: int, now: datetime) -> None: ...

    def mark_failed_attempt(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Pending again until `retry_at`, or failed for good when it is None."""
        ...

    def stored_delivery(self, delivery_id: int) -> StoredDelivery | None:
        """The delivery of this id with its alert's text, to check a journal entry against."""
        ...

    def delivery_counts(self) -> dict[str, int]:
        """Deliveries by status."""
        ...

    def backlog(self) -> list[TargetBacklog]:
        """Deliveries not sent, by target key."""
        ...

    def target_keys(self) -> dict[str, str]:
        """Every target key the outbox holds, with its label."""
        ...

    def movable_counts(self, key: str) -> dict[str, int]:
        """Pending and failed deliveries of a target, by status."""
        ...

    def retarget(self, old_key: str, new_key: str, new_label: str, now: datetime) -> Retargeted:
        """Move the pending and failed deliveries of one target to another, never to one that has the alert."""
        ...

    def drop_deliveries(self, key: str) -> int:
        """Delete the pending and failed deliveries of a target; how many."""
        ...

    def retry_failed(self, key: str, now: datetime) -> int:
        """The deliveries of a target that failed for good made due again, attempts reset; how many."""
        ...

    def unrouted_count(self) -> int:
        """Alerts that reached no target."""
        ...

    def held_counts(self, now: datetime) -> list[HeldCount]:
        """Deliveries held on purpose, by reason: pending until quiet hours end, queued for a digest."""
        ...

    # Digests of queued deliveries.

    def queued_targets(self, until: datetime) -> list[TargetRef]:
        """The targets with deliveries queued for their digest up to `until`."""
        ...

    def record_digest(
        self,
        delivery: PlannedDelivery,
        until: datetime,
        now: datetime,
        plan: Callable[[Sequence[QueuedAlert]], PlannedDigest],
    ) -> RecordedDigest | None:
        """Take the deliveries queued for `delivery.target` up to `until` into one digest message (text from
        `plan`) with `delivery`, in one transaction: each queued delivery in exactly one digest, also when
        two digest runs overlap. None when none was queued."""
        ...

    # History: replay, digests and reports.

    def articles_between(
        self, since: datetime | None, until: datetime | None, after_id: int = 0, limit: int = 100
    ) -> list[StoredArticle]:
        """Stored articles dated in [since, until) (published, else first seen), by id after `after_id`."""
        ...

    def count_articles_between(self, since: datetime | None, until: datetime | None) -> int: ...

    def delivery_statuses(self, alert_ids: Iterable[int]) -> dict[int, Counter[str]]:
        """For each alert, how many of its deliveries are pending, sending, sent or failed."""
        ...

    def alert_lines(self, alert_ids: Iterable[int]) -> list[AlertLine]:
        """These alerts with their article and source, as reports show them."""
        ...

    def period_figures(self, since: datetime, until: datetime) -> PeriodFigures:
        """New articles by source, alerts created, their deliveries' status, failing sources, and the
        mentions held as doubtful."""
        ...

    def stored_articles(self, article_ids: Iterable[int]) -> dict[int, StoredArticle]:
        """These stored articles, by id; an id the database does not hold is left out."""
        ...

    # The operator's commands: `veille alerts` and `veille map`.

    def recent_alerts(
        self,
        *,
        entry_ids: Iterable[str] | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> list[AlertLine]:
        """Alerts on articles created in [since, until), newest first, at most `limit`; with `entry_ids`, those
        carrying one of them (any of their entries), with `source`, those of that source's articles."""
        ...

    def mentioned_articles(
        self, entry_ids: Iterable[str], since: datetime, until: datetime, thresholds: Mapping[str, float] | None = None
    ) -> list[MentionedArticle]:
        """Articles dated in [since, until) naming one of `entry_ids`, with their count of mentions; with
        `thresholds` (by entry id), only mentions of at least that confidence (or stored without one) count."""
        ...

    # Mentions held as doubtful.

    def doubtful_mentions(
        self,
        ids: Iterable[int] | None = None,
        *,
        released: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HeldDoubtful]:
        """Doubtful mentions (of `ids`, released or not, created in [since, until)), by id, each with its
        article and the alert of its story that carries its entry, if any."""
        ...
