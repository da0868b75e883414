"""One-line builders of the records tests need, with defaults that make a test say only what matters.

A builder returns the project's own record, built the way the pipeline builds it (an Article through
its constructor, so it is clean and hashed; a Mention at the offsets where its words are written):
a test that uses them tests Veille, not a hand-made look-alike.

    found("Des tirs à Hama.", "Hama")                     # an article and its watched mention
    placed(found("Hama.", "Hama"), story=7)                # ... in stored story 7 (default: a new story)
    decide([placed(...)], decision(watched, rule("m")))    # the decision step's BatchPlan
    planned_alert("Des mortiers à Hama.", weapon("mortier", "mortier"), written="mortiers")
    outbox(url, notifier)                                  # a store with the deliveries of one alert
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veille.decide import DecisionConfig, decide_batch
from veille.decide.deliveries import TargetProfile
from veille.records import (
    AlertLine,
    Article,
    ArticleMentions,
    BatchPlan,
    CreatedAlert,
    DecisionContext,
    HeldDoubtful,
    Mention,
    PeriodFigures,
    PlacedArticle,
    PlannedAlert,
    ReadError,
    Router,
    SourceBatch,
    SourceHealth,
    StoredArticle,
    StoryRef,
    TargetRef,
)
from veille.rules.config import QuietHours, RateLimit, Rule, RulesConfig, TargetDelivery
from veille.store.sql import SqlStore
from veille.stories import StoryIndex
from veille.watchlist import WatchEntry, WatchList

if TYPE_CHECKING:
    from veille.notify.targets import AppriseNotifier

# One fixed moment for every test that needs "now": golden files and messages stay the same run after run.
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
HAMA_TEXT = "Des tirs à Hama."


class Clock:
    """A clock that stands still at NOW until a test moves it (`clock.now += timedelta(...)`)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- Watch lists ----------------------------------------------------------------------------------


def place(entry_id: str, name: str | None = None, **fields: Any) -> WatchEntry:
    """A watched place; its name defaults to the id capitalised ("hama" -> "Hama")."""
    return WatchEntry(id=entry_id, kind="place", name=name or entry_id.capitalize(), **fields)


def weapon(entry_id: str, name: str | None = None, **fields: Any) -> WatchEntry:
    """A watched weapon; its name defaults to the id capitalised ("kalibr" -> "Kalibr")."""
    return WatchEntry(id=entry_id, kind="weapon", name=name or entry_id.capitalize(), **fields)


def watch_list(*entries: WatchEntry | str) -> WatchList:
    """A validated watch list; a bare string is a place: watch_list("hama", weapon("kalibr"))."""
    return WatchList(entries=tuple(place(entry) if isinstance(entry, str) else entry for entry in entries))


# --- Articles and mentions ------------------------------------------------------------------------


def article(
    text: str = HAMA_TEXT,
    key: str = "a.txt",
    source: str = "folder:test",
    title: str = "Tirs",
    location: str | None = None,
    **fields: Any,
) -> Article:
    """An article of a test folder; its location defaults to test/KEY."""
    return Article(source=source, key=key, title=title, location=location or f"test/{key}", text=text, **fields)


def mention(
    text: str, written: str, entry_id: str | None = None, *, nth: int = 0, sentence: str | None = None
) -> Mention:
    """The watched mention of `written` at its `nth` occurrence in `text`; the entry id defaults to it in lower case."""
    start = _offset(text, written, nth)
    return Mention(
        entry_id or written.lower(),
        "watched",
        written,
        start,
        start + len(written),
        text if sentence is None else sentence,
    )


def model_place(text: str, written: str, *, nth: int = 0) -> Mention:
    """A place the model found (LOC) that no watched entry names."""
    start = _offset(text, written, nth)
    return Mention(None, "LOC", written, start, start + len(written), text)


def found(item: Article | str = HAMA_TEXT, *mentions: Mention | str, **article_fields: Any) -> ArticleMentions:
    """An article (or the text of one) with its mentions; a bare string is a watched mention of those words."""
    found_in = item if isinstance(item, Article) else article(item, **article_fields)
    return ArticleMentions(found_in, tuple(mention(found_in.text, m) if isinstance(m, str) else m for m in mentions))


def _offset(text: str, written: str, nth: int) -> int:
    start = -1
    for _ in range(nth + 1):
        start = text.index(written, start + 1)
    return start


# --- The decision step ---------------------------------------------------------------------------


def placed(
    item: ArticleMentions | Article | str, story: StoryRef | int | None = None, read_at: datetime = NOW
) -> PlacedArticle:
    """An article (with its mentions) in its story: a stored story by id, or by default a new one it opens."""
    found_in = item if isinstance(item, ArticleMentions) else found(item)
    if story is None:
        story = StoryRef(opened_by=(found_in.article.source, found_in.article.key))
    elif isinstance(story, int):
        story = StoryRef(id=story)
    return PlacedArticle(found_in, story, read_at)


def rule(rule_id: str = "mention", kind: str = "mention", **fields: Any) -> Rule:
    """A validated rule of config/rules.yaml; `entries` and `with_entries` may be given as dicts."""
    return Rule.model_validate({"id": rule_id, "kind": kind, **fields})


def target(
    key: str,
    *tags: str,
    quiet_hours: tuple[str, str, str] | None = None,
    rate_limit: tuple[int, float] | None = None,
) -> TargetProfile:
    """A notification target as the decision sees it: tags, and optional quiet hours (start, end, zone)
    and rate limit (count, hours), as config/rules.yaml would give them for its first tag."""
    delivery = None
    if quiet_hours is not None or rate_limit is not None:
        delivery = TargetDelivery(
            tag=tags[0] if tags else "always",
            quiet_hours=QuietHours(start=quiet_hours[0], end=quiet_hours[1], timezone=quiet_hours[2])
            if quiet_hours
            else None,
            rate_limit=RateLimit(count=rate_limit[0], hours=rate_limit[1]) if rate_limit else None,
        )
    return TargetProfile(TargetRef(key, f"json://{key}"), frozenset(tags), delivery)


def decision(watchlist: WatchList, *rules: Rule, targets: Sequence[TargetProfile] = ()) -> DecisionConfig:
    """What the decision reads: the watch list, `rules` (default: one mention rule) and `targets`."""
    return DecisionConfig(watchlist, RulesConfig(rules=rules or (rule(),)), tuple(targets))


def decide(
    items: Sequence[PlacedArticle | ArticleMentions], config: DecisionConfig, now: datetime = NOW, **context: Any
) -> BatchPlan:
    """decide_batch over `items` (an ArticleMentions is placed in a new story), with a context of
    `now` and `context`'s fields (alerted, history, baseline_sources, sent_recently...)."""
    batch_items = [item if isinstance(item, PlacedArticle) else placed(item) for item in items]
    return decide_batch(batch_items, DecisionContext(now=now, **context), config)


# --- Alerts, figures, stored articles -------------------------------------------------------------


def planned_alert(
    text: str = HAMA_TEXT,
    entry: WatchEntry | None = None,
    written: str | None = None,
    **article_fields: Any,
) -> PlannedAlert:
    """The message the decision makes for an article of `text` naming `entry` (default Hama) as `written`
    (default its name), at every place it is written, under the default rule."""
    entry = entry or place("hama")
    written = written or entry.name
    item = article(text, **article_fields)
    mentions = tuple(mention(text, written, entry.id, nth=n) for n in range(text.count(written)))
    (alert,) = decide([ArticleMentions(item, mentions)], decision(watch_list(entry))).alerts
    return alert


def alert_line(
    alert_id: int = 1,
    entry_name: str = "Hama",
    kind: str = "place",
    variant: str | None = None,
    sentence: str = HAMA_TEXT,
    article_title: str = "Tirs",
    location: str = "test/a.txt",
    source: str = "folder:test",
    created_at: datetime = NOW,
    entry_id: str | None = None,
) -> AlertLine:
    """A stored alert as reports and digests read it; the variant defaults to the entry's name."""
    return AlertLine(
        alert_id,
        entry_id or entry_name.lower(),
        entry_name,
        kind,
        variant or entry_name,
        sentence,
        article_title,
        location,
        source,
        created_at,
    )


def period_figures(
    alerts: Iterable[AlertLine] = (),
    articles: Mapping[str, int] | None = None,
    deliveries: Mapping[str, int] | None = None,
    failing_sources: Iterable[tuple[str, int, str]] = (),
    doubtful: Iterable[HeldDoubtful] = (),
) -> PeriodFigures:
    """A period's figures: new articles by source, alerts, deliveries by status, failing sources, mentions
    held as doubtful."""
    return PeriodFigures(
        Counter(articles or {}), list(alerts), Counter(deliveries or {}), list(failing_sources), list(doubtful)
    )


def stored(story_id: int, item: Article | ArticleMentions, row_id: int | None = None) -> StoredArticle:
    """An article as the store gives it back for replay: its row id (default the story's) and story id."""
    stored_article = item.article if isinstance(item, ArticleMentions) else item
    return StoredArticle(row_id if row_id is not None else story_id, story_id, stored_article)


def held_doubtful(
    doubtful_id: int = 1,
    entry_name: str = "Alep",
    variant: str = "Alep",
    confidence: float = 0.31,
    reasons: tuple[str, ...] = ("inside a street's name",),
    sentence: str = "La rue d'Alep est fermée.",
    kind: str = "place",
    matched_by: str = "alias",
    article_title: str = "Rue fermée",
    location: str = "test/a.txt",
    source: str = "folder:test",
    **fields: Any,
) -> HeldDoubtful:
    """A mention held as doubtful as the store gives it back (released or not, per `fields`), found at NOW."""
    start = max(sentence.find(variant), 0)
    found_as = Mention(
        entry_name.lower(), "watched", variant, start, start + len(variant), sentence, matched_by, confidence, reasons
    )
    return HeldDoubtful(
        doubtful_id,
        NOW,
        entry_name.lower(),
        entry_name,
        kind,
        found_as,
        article_title,
        location,
        source,
        fields.pop("article_id", doubtful_id),
        fields.pop("story_id", doubtful_id),
        **fields,
    )


# --- Sources and a run's results -----------------------------------------------------------------


def batch(
    source: str,
    *articles: Article,
    failure: str | None = None,
    not_modified: bool = False,
    not_due: bool = False,
    warning: str | None = None,
    errors: tuple[ReadError, ...] = (),
    validators: dict[str, str] | None = None,
) -> SourceBatch:
    """What one source gave in one read: `articles` (with a `warning`, `errors`), or another outcome."""
    if failure is not None:
        return SourceBatch.failed(source, failure)
    if not_modified:
        return SourceBatch.not_modified(source, validators or {})
    if not_due:
        return SourceBatch.not_due(source)
    return SourceBatch.read(source, articles, errors, len(articles), warning, validators)


def source_health(
    name: str,
    entries: int = 0,
    consecutive_failures: int = 0,
    last_error: str | None = None,
    last_warning: str | None = None,
) -> SourceHealth:
    """A source's health as the store keeps it; a failing one last failed, a healthy one last read, at NOW."""
    return SourceHealth(
        name,
        None if consecutive_failures else NOW,
        last_error,
        NOW if last_error else None,
        consecutive_failures,
        last_warning,
        entries,
    )


def created_alert(
    alert_id: int = 1,
    entry_name: str = "Hama",
    kind: str = "place",
    variant: str | None = None,
    location: str = "test/a.txt",
    deliveries: int = 1,
    sources: int = 1,
) -> CreatedAlert:
    """An alert a monitor run created, as its summary lists it; the variant defaults to the entry's name."""
    return CreatedAlert(alert_id, location, entry_name, kind, variant or entry_name, deliveries, sources)


# --- A store with an outbox -----------------------------------------------------------------------


def route_to(*targets: TargetRef) -> Router:
    """A router sending every alert, whatever its tags, to `targets` (default the built-in file target)."""
    chosen = list(targets) or [TargetRef("k1", "veille://")]
    return lambda tags: chosen


def sqlite_url(folder: Path) -> str:
    """A SQLite database file in `folder` (a pytest tmp_path)."""
    return f"sqlite:///{folder / 'veille.db'}"


def outbox(
    database_url: str,
    notifier: AppriseNotifier,
    *items: ArticleMentions,
    watchlist: WatchList | None = None,
    now: datetime = NOW,
) -> SqlStore:
    """An open store whose outbox holds the deliveries of `items` (default one article on Hama) to the
    notifier's targets, decided and recorded as a monitor run does.

    The caller closes it. The watch list defaults to Hama alone, so a default item makes one alert.
    """
    # tasks.store imports Prefect (its tasks); plan_batch itself is the plain function a run calls.
    from tasks.store import BatchSettings, plan_batch

    store = SqlStore.open(database_url)
    targets = [TargetProfile(item.ref, item.tags) for item in notifier.targets]
    config = decision(watchlist or watch_list("hama"), targets=targets)
    plan = plan_batch(store, list(items) or [found(HAMA_TEXT, "Hama")], config, StoryIndex(), now, BatchSettings())
    store.record_plan(plan, now)
    return store
