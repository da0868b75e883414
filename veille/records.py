"""The records that flow through the pipeline, from a source's read to a delivery: plain, and free of any
library type. Every datetime in them is aware and in UTC."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from veille.clean import LOCATION_CHARS, SOURCE_CHARS, TEXT_CHARS, TITLE_CHARS, bounded_key, clean_line, clean_text

if TYPE_CHECKING:
    from veille.watchlist import WatchEntry


@dataclass(frozen=True)
class Article:
    """One article as a source gives it: `key` is stable for that source, `text` is clean text.

    `content_hash` is the hash of what the source gave (by default the text), so that replacing
    the text later (a feed entry's full text fetched from its page) does not make it "changed".

    Whatever a source gives, an Article's strings are clean and bounded (veille.clean): no NUL,
    control character or lone surrogate, a one-line title, a key within the database's limit.
    """

    source: str
    key: str
    title: str
    location: str
    text: str
    published_at: datetime | None = None
    content_hash: str = ""
    # Routing tags of the source (a feed's `tags` in config/sources.yaml).
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every source builds Articles, so the guarantee holds here rather than in each of them.
        object.__setattr__(self, "source", clean_line(self.source, SOURCE_CHARS))
        object.__setattr__(self, "key", bounded_key(self.key))
        object.__setattr__(self, "title", clean_line(self.title, TITLE_CHARS))
        object.__setattr__(self, "location", clean_line(self.location, LOCATION_CHARS))
        object.__setattr__(self, "text", clean_text(self.text)[:TEXT_CHARS])
        object.__setattr__(self, "tags", tuple(clean_line(tag, SOURCE_CHARS) for tag in self.tags))
        if not self.content_hash:
            object.__setattr__(self, "content_hash", text_hash(self.text))


def text_hash(*parts: str) -> str:
    """SHA-256 of `parts`, separated so that ("ab", "c") and ("a", "bc") differ."""
    # surrogatepass: a hash must never be what fails on a lone surrogate a source let through.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ReadError:
    """An item a source could not read, and why; the item is read again next run."""

    source: str
    item: str
    problem: str


class SourceOutcome(Enum):
    """What one read of a source came to."""

    READ = "read"
    NOT_MODIFIED = "not modified"  # a feed that answered 304 to its validators
    NOT_DUE = "not due"  # a feed whose poll interval has not passed: not fetched
    FAILED = "failed"


@dataclass(frozen=True)
class SourceBatch:
    """What one source gave in one read: its outcome, and when read, its articles and the items it could not read.

    `problem` is why the source failed (FAILED), or what was wrong with it though it was read (READ: a
    malformed feed whose entries were kept). Build one with `read`, `failed`, `not_modified` or `not_due`.
    """

    source: str
    outcome: SourceOutcome
    articles: tuple[Article, ...] = ()
    errors: tuple[ReadError, ...] = ()
    items_seen: int = 0
    problem: str | None = None
    validators: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        source: str,
        articles: tuple[Article, ...],
        errors: tuple[ReadError, ...] = (),
        items_seen: int = 0,
        warning: str | None = None,
        validators: dict[str, str] | None = None,
    ) -> SourceBatch:
        return cls(source, SourceOutcome.READ, articles, errors, items_seen, warning, validators or {})

    @classmethod
    def failed(cls, source: str, problem: str) -> SourceBatch:
        return cls(source, SourceOutcome.FAILED, problem=problem)

    @classmethod
    def not_modified(cls, source: str, validators: dict[str, str]) -> SourceBatch:
        return cls(source, SourceOutcome.NOT_MODIFIED, validators=validators)

    @classmethod
    def not_due(cls, source: str) -> SourceBatch:
        return cls(source, SourceOutcome.NOT_DUE)

    @property
    def failure(self) -> str | None:
        """Why the source could not be read at all; None when it was."""
        return self.problem if self.outcome is SourceOutcome.FAILED else None

    @property
    def warning(self) -> str | None:
        """What was wrong with a source read all the same."""
        return self.problem if self.outcome is SourceOutcome.READ else None


@dataclass(frozen=True)
class Mention:
    """A name found in an article: a watched entry (entry_id set) or a place the model found."""

    entry_id: str | None
    label: str
    text: str
    start: int
    end: int
    sentence: str


@dataclass(frozen=True)
class ArticleMentions:
    article: Article
    mentions: tuple[Mention, ...]


# What is new, and what it alerts on.


@dataclass(frozen=True)
class ArticleChanges:
    """Articles sorted by what happened to them since the last run."""

    new: tuple[Article, ...]
    changed: tuple[Article, ...]
    unchanged: tuple[Article, ...]

    @property
    def to_extract(self) -> tuple[Article, ...]:
        return self.new + self.changed


@dataclass(frozen=True)
class PlannedAlert:
    """One alert to create: a watched entry a story mentions and was never alerted for."""

    article: Article
    entry: WatchEntry
    mention: Mention
    occurrences: int
    source_tags: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """Routing tags: targets tagged with any of these receive the alert."""
        return ("alerts", self.entry.kind, self.entry.id, *self.entry.tags, *self.source_tags)


@dataclass(frozen=True)
class AlertMessage:
    title: str
    body: str


# Where alerts go, and what recording them created.


@dataclass(frozen=True)
class TargetRef:
    """A notification target as the store knows it: a key that hides the URL, and a safe label."""

    key: str
    label: str


Router = Callable[[Sequence[str]], Sequence[TargetRef]]


@dataclass(frozen=True)
class CreatedAlert:
    alert_id: int
    location: str
    entry_name: str
    kind: str
    variant: str
    deliveries: int
    sources: int = 1


@dataclass(frozen=True)
class RecordedBatch:
    """What recording a batch did: the alerts it created, and the articles the database refused."""

    alerts: list[CreatedAlert]
    rejected: list[ReadError] = field(default_factory=list)


# Sources as the store knows them.


@dataclass(frozen=True)
class SourceState:
    validators: dict[str, str]
    last_fetched_at: datetime | None
    consecutive_failures: int


@dataclass(frozen=True)
class SourceHealth:
    name: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    last_warning: str | None
    entries: int


# Reads over history: replay, digests and reports.


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with its row and story ids."""

    id: int
    story_id: int
    article: Article


@dataclass(frozen=True)
class AlertLine:
    """One alert as a report shows it."""

    alert_id: int
    entry_id: str
    entry_name: str
    kind: str
    variant: str
    sentence: str
    article_title: str
    location: str
    source: str
    created_at: datetime


@dataclass
class PeriodFigures:
    """What happened between two moments: for the daily digest."""

    articles: Counter[str] = field(default_factory=Counter)  # new articles by source
    alerts: list[AlertLine] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)  # status of the period's alerts' deliveries
    failing_sources: list[tuple[str, int, str]] = field(default_factory=list)  # name, failures in a row, error


# The outbox.


@dataclass(frozen=True)
class DueDelivery:
    id: int
    target_key: str
    target_label: str
    title: str
    body: str
    attempts: int
    alert_id: int = 0


@dataclass(frozen=True)
class StoredDelivery:
    """A delivery as the database holds it, with its alert's text: what a journal entry is checked against."""

    id: int
    alert_id: int
    target_key: str
    status: str
    title: str
    body: str


@dataclass(frozen=True)
class TargetBacklog:
    """A target's deliveries not sent: how many wait, how many failed for good, since when."""

    key: str
    label: str
    waiting: int
    failed: int
    oldest: datetime


@dataclass(frozen=True)
class Retargeted:
    moved: int
    # Deliveries left with the old target: the new one already has their alert.
    kept: int


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    orphaned: int = 0
    taken_by_another_run: int = 0
    recorded_from_journal: int = 0
    # Alerts that had reached no target and reached one now; alerts that still reach none.
    routed_late: int = 0
    unrouted: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JournalEntry:
    """One send a target accepted, named so that it can only ever mark that one delivery as sent.

    Delivery ids are the database's own and start again in a fresh or restored database: an entry
    names its database (the random id of `veille_meta`), the delivery's alert and target, and a
    digest of the alert's text. `database` None: a line of an earlier version, which named the
    delivery alone.
    """

    delivery: int
    sent_at: datetime
    database: str | None = None
    alert: int | None = None
    target: str | None = None
    digest: str | None = None
