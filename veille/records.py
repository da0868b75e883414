"""The records that flow through the pipeline, from a source's read to a delivery: plain, and free of any
library type. Every datetime in them is aware and in UTC."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Literal

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
    # How many articles the read gave, kept when `without_articles` lets them go.
    articles_read: int | None = None

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
    def article_count(self) -> int:
        """How many articles the read gave (with or without them)."""
        return len(self.articles) if self.articles_read is None else self.articles_read

    def without_articles(self) -> SourceBatch:
        """The read without its articles: what a run keeps of it once their changes are found, so that
        their texts go as soon as the articles are recorded."""
        return replace(self, articles=(), articles_read=self.article_count)

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
    """A name found in an article: a watched entry (entry_id set) or a place the model found.

    For a watched entry, `matched_by` says how the text was recognised (veille.extract.matcher: "alias",
    "fold", "thesaurus", "gazetteer", "fuzzy"), and `confidence` (0 to 1) with its `reasons` how sure
    Veille is that the text means the entry (veille.extract.confidence); under the watch list's
    threshold the mention is held as doubtful instead of alerting.
    """

    entry_id: str | None
    label: str
    text: str
    start: int
    end: int
    sentence: str
    matched_by: str = "alias"
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleMentions:
    article: Article
    mentions: tuple[Mention, ...]
    # False: the pre-filter (veille.extract.prefilter) found no watched name could be in it, and the model
    # did not read it (so no places either).
    read_by_model: bool = True
    # True: `signature` is the text's MinHash (veille.stories.signature), computed where the model read it
    # (a model process); False: the story step computes it.
    signed: bool = False
    signature: object | None = None


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
class StoryRef:
    """The story of an article: one the database holds (`id`), or one this batch opens, named by the
    (source, key) of its first article (`opened_by`)."""

    id: int | None = None
    opened_by: tuple[str, str] | None = None


@dataclass(frozen=True)
class PlacedArticle:
    """An article with its mentions, in its story: what the story step gives the decision.

    `signature` is its MinHash (veille.stories), None for a text too short to have one; `read_at` is
    when Veille read it (now, or the day it was first stored, for a replay).
    """

    found: ArticleMentions
    story: StoryRef
    read_at: datetime
    signature: object | None = None

    @property
    def article(self) -> Article:
        return self.found.article


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired on an entry, and why in words ("back in the news after 94 days")."""

    rule_id: str
    kind: str
    severity: str
    why: str


@dataclass(frozen=True)
class Hit:
    """One watched entry of an article that rules fired on: the first mention, and how many there were."""

    entry: WatchEntry
    mention: Mention
    occurrences: int
    rules: tuple[FiredRule, ...]


@dataclass(frozen=True)
class PlannedDelivery:
    """One target to receive an alert: at `due_at` ("pending"), or in its next digest ("queued")."""

    target: TargetRef
    status: str
    due_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class PlannedAlert:
    """One message to create: an article and every entry of it that rules fired on, with its routing,
    text and deliveries. `held` (such as a new feed's baseline) records the entries and notifies no one."""

    article: Article
    story: StoryRef
    hits: tuple[Hit, ...]
    tags: tuple[str, ...]
    severity: str
    message: AlertMessage
    details: dict[str, object]
    deliveries: tuple[PlannedDelivery, ...] = ()
    held: str | None = None
    # The article's own date for the rules (veille.decide.evaluate.article_moment); None: unknown.
    happened_at: datetime | None = None

    @property
    def entry_ids(self) -> tuple[str, ...]:
        return tuple(hit.entry.id for hit in self.hits)


@dataclass(frozen=True)
class DoubtfulMention:
    """An entry an article names only under its confidence threshold, not alerted in its story and released
    by no rule: held as doubtful (recorded, shown in the run summary and the digest, sent to no one) until
    released by hand (flows.release). `mention` is its most confident mention in the article."""

    article: Article
    story: StoryRef
    entry: WatchEntry
    mention: Mention


@dataclass(frozen=True)
class EntryHistory:
    """What the store knows of an entry's past, for first_seen and spike rules.

    `last_seen_at`: the latest article date mentioning it; `stories_by_day`: stories mentioning it per
    day over the baseline period (UTC dates); `recent`: each story's date within the longest spike
    window, by story; `last_spike_at`: when a spike rule last fired on it.
    """

    last_seen_at: datetime | None = None
    stories_by_day: Mapping[date, int] = field(default_factory=dict)
    recent: Mapping[int | tuple[str, str], datetime] = field(default_factory=dict)
    last_spike_at: datetime | None = None


@dataclass(frozen=True)
class DecisionContext:
    """What the store says, as plain records, for deciding one batch: the decision reads nothing else.

    `alerted`: entries each story already has (alerted or held); `story_sources`: the sources that
    carry each story; `history`: the past of each entry mentioned; `baseline_sources`: sources whose
    articles are stored without notifying (a new feed's backlog); `sent_recently`: deliveries made
    at once to each target within its rate-limit window; `languages`: each source's language;
    `doubtful`: entries each story already holds as doubtful (not held again).
    """

    now: datetime
    alerted: Mapping[int, frozenset[str]] = field(default_factory=dict)
    story_sources: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    history: Mapping[str, EntryHistory] = field(default_factory=dict)
    baseline_sources: frozenset[str] = frozenset()
    sent_recently: Mapping[str, int] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)
    doubtful: Mapping[int, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchPlan:
    """The decision for one batch: articles to store in their stories, alerts to create (and hold), and
    mentions to hold as doubtful.

    `alerted`, `history` and `held_doubtful` are the context's, with this batch's decisions added: a dry
    run carries them to its next batch, as the store would. `released`: ids of stored doubtful mentions
    this plan releases by hand (flows.release), each marked with the alert that carries its entry.
    """

    articles: tuple[PlacedArticle, ...]
    alerts: tuple[PlannedAlert, ...]
    alerted: Mapping[StoryRef, frozenset[str]] = field(default_factory=dict)
    history: Mapping[str, EntryHistory] = field(default_factory=dict)
    doubtful: tuple[DoubtfulMention, ...] = ()
    held_doubtful: Mapping[StoryRef, frozenset[str]] = field(default_factory=dict)
    released: tuple[int, ...] = ()

    @property
    def notified(self) -> tuple[PlannedAlert, ...]:
        return tuple(alert for alert in self.alerts if alert.held is None)

    @property
    def held(self) -> tuple[PlannedAlert, ...]:
        return tuple(alert for alert in self.alerts if alert.held is not None)


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
class EntryMatch:
    """How one entry of a message was found: the variant as written, the rule that matched it
    (Mention.matched_by) and its confidence."""

    name: str
    kind: str
    variant: str
    matched_by: str
    confidence: float


@dataclass(frozen=True)
class CreatedAlert:
    """One message recorded: its first entry (name, kind, variant), every entry's name and how it was
    found (`matches`, in the same order), its deliveries."""

    alert_id: int
    location: str
    entry_name: str
    kind: str
    variant: str
    deliveries: int
    sources: int = 1
    entries: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    held_deliveries: int = 0
    matches: tuple[EntryMatch, ...] = ()


@dataclass(frozen=True)
class HeldEntry:
    """An entry recorded without notifying anyone, and why (a new feed's baseline)."""

    entry_name: str
    location: str
    reason: str


@dataclass(frozen=True)
class HeldDoubtful:
    """A mention held as doubtful, as the store keeps it (`id`, to release it by hand): its entry, the
    mention (variant as written, sentence, offsets, matched_by, confidence, reasons) and its article.
    `released_alert_id`: the alert it became when released; `alerted_since`: an alert of its story that
    carries its entry meanwhile (a later, sure mention), which makes releasing it pointless."""

    id: int
    created_at: datetime
    entry_id: str
    entry_name: str
    kind: str
    mention: Mention
    article_title: str
    location: str
    source: str
    article_id: int
    story_id: int
    released_at: datetime | None = None
    released_alert_id: int | None = None
    alerted_since: int | None = None


@dataclass(frozen=True)
class RecordedBatch:
    """What recording a batch did: the alerts it created, the entries it held, the mentions it held as
    doubtful, the articles the database refused, and where each stored article went ((source, key) to
    (article id, story id)); `released`: the doubtful mentions released by hand, each with its alert."""

    alerts: list[CreatedAlert]
    rejected: list[ReadError] = field(default_factory=list)
    held: list[HeldEntry] = field(default_factory=list)
    stored: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    # Alerts of earlier runs whose story a copy from another source joined: (first entry, sources now).
    grown: dict[int, tuple[str, int]] = field(default_factory=dict)
    doubtful: list[HeldDoubtful] = field(default_factory=list)
    released: dict[int, int] = field(default_factory=dict)


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


# A source's health as the operator hears of it (veille.decide.health).
HealthState = Literal["failing", "silent", "ok"]


@dataclass(frozen=True)
class SourceHealthFacts:
    """What the store knows of a source for its health alerts (veille.decide.health).

    `arrivals`: when Veille first saw its latest new articles (one moment per recorded batch, any
    order); `health_state`: what the operator was last told of it ("failing", "silent", "ok"; None:
    nothing yet), since `health_changed_at`.
    """

    name: str
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    last_error: str | None = None
    arrivals: tuple[datetime, ...] = ()
    health_state: str | None = None
    health_changed_at: datetime | None = None


@dataclass(frozen=True)
class HealthChange:
    """A source whose health is no longer what the operator was told: it went bad ("failing",
    "silent") or recovered ("ok"). `usual_gap` and `silent_for` are its silence's figures, when known."""

    facts: SourceHealthFacts
    state: HealthState
    at: datetime
    usual_gap: timedelta | None = None
    silent_for: timedelta | None = None

    @property
    def source(self) -> str:
        return self.facts.name

    @property
    def previous(self) -> str:
        return self.facts.health_state or "ok"


@dataclass(frozen=True)
class PlannedHealthAlert:
    """One health message to create with its routing and deliveries; the source's health_state changes with it."""

    change: HealthChange
    severity: str
    says: str  # the new state in a few words: "failing (3 polls in a row)", "recovered"
    message: AlertMessage
    details: dict[str, object]
    tags: tuple[str, ...]
    deliveries: tuple[PlannedDelivery, ...] = ()


@dataclass(frozen=True)
class HealthNotice:
    """A health message recorded: its source, the new state in a few words, how many targets it goes to."""

    alert_id: int
    source: str
    state: str
    says: str
    deliveries: int


# Reads over history: replay, digests and reports.


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with its row and story ids."""

    id: int
    story_id: int
    article: Article
    first_seen_at: datetime | None = None


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
    # Every entry of the message, the first included; how many sources carry its story now.
    entries: tuple[str, ...] = ()
    sources: int = 1
    severity: str = "normal"
    # The kind of each of `entries`, in the same order.
    kinds: tuple[str, ...] = ()

    @property
    def named_entries(self) -> tuple[tuple[str, str], ...]:
        """(name, kind) of every entry of the message; its first alone for a line built without them."""
        if self.entries and len(self.kinds) == len(self.entries):
            return tuple(zip(self.entries, self.kinds, strict=True))
        return ((self.entry_name, self.kind),)


@dataclass(frozen=True)
class MentionedArticle:
    """An article that names a watched entry, with how many times: what the map places."""

    entry_id: str
    article_id: int
    title: str
    location: str
    source: str
    # Its published date, else the day Veille first saw it.
    dated_at: datetime
    mentions: int


@dataclass
class PeriodFigures:
    """What happened between two moments: for the daily digest."""

    articles: Counter[str] = field(default_factory=Counter)  # new articles by source
    alerts: list[AlertLine] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)  # status of the period's alerts' deliveries
    failing_sources: list[tuple[str, int, str]] = field(default_factory=list)  # name, failures in a row, error
    doubtful: list[HeldDoubtful] = field(default_factory=list)  # mentions held as doubtful in the period


# The outbox.


@dataclass(frozen=True)
class DueDelivery:
    """A delivery to make now, with its alert's text and, for an alert of an article, its fields
    (veille.decide.render.alert_details; None for a message without them, such as a digest);
    `hold_reason` says why it waited, such as quiet hours that have ended."""

    id: int
    target_key: str
    target_label: str
    title: str
    body: str
    attempts: int
    alert_id: int = 0
    details: Mapping[str, object] | None = None
    hold_reason: str | None = None


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
    """A target's deliveries not sent: how many wait, how many failed for good, since when, and how many are
    queued for its next digest."""

    key: str
    label: str
    waiting: int
    failed: int
    oldest: datetime
    queued: int = 0


@dataclass(frozen=True)
class HeldCount:
    """Deliveries held on purpose, by reason: "pending" until quiet hours end, or "queued" for a digest."""

    status: str
    reason: str
    count: int


@dataclass(frozen=True)
class QueuedAlert:
    """An alert queued for a target's digest, as the digest lists it: every entry (name, kind), its
    article (or, for a message with none, its own title), the sources carrying its story, why it waited."""

    alert_id: int
    entries: tuple[tuple[str, str], ...]
    title: str
    source: str
    sources: int
    severity: str
    reason: str | None
    queued_at: datetime


@dataclass(frozen=True)
class PlannedDigest:
    """The message that carries a target's queued alerts: its text and its fields."""

    message: AlertMessage
    details: dict[str, object]


@dataclass(frozen=True)
class RecordedDigest:
    """A digest recorded for a target: its message (an alert row of category "digest"), how many alerts it
    carries, and when its delivery is due (later than now in the target's quiet hours)."""

    alert_id: int
    target: TargetRef
    alerts: int
    due_at: datetime


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
    # Sent in this pass after waiting on purpose (quiet hours that ended); still held after it, by reason.
    released: int = 0
    held: list[HeldCount] = field(default_factory=list)

    def followed_by(self, later: DeliveryReport) -> DeliveryReport:
        """This pass and a later one of the same run as one report: what each did, added up; what is left
        after both (still unrouted, still held), as the later one found it."""
        # Every count but unrouted is added up: a count added to the report is never dropped here.
        added = {
            item.name: getattr(self, item.name) + getattr(later, item.name)
            for item in fields(self)
            if item.name not in ("unrouted", "errors", "held")
        }
        return replace(later, **added, errors=self.errors + later.errors)


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
