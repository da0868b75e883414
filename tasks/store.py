"""Tasks that decide on a batch and write the decision to the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from veille.decide import DecisionConfig, decide_batch
from veille.decide.stories import index_stored, place_articles
from veille.errors import WriteConflict
from veille.interfaces import Store
from veille.records import ArticleMentions, BatchPlan, DecisionContext, RecordedBatch
from veille.sanitize import loggable
from veille.stories import StoryIndex


@dataclass(frozen=True)
class BatchSettings:
    """What a monitor run decides with, beyond the configuration: sources to baseline, their languages."""

    baseline_sources: frozenset[str] = frozenset()
    languages: Mapping[str, str] | None = None
    # Where the run's story index starts: articles first seen since then that other runs stored (shards
    # side by side) join it before each batch decides. None: this run's index is complete.
    stories_since: datetime | None = None


# How many times a batch decides when other runs keep writing first what it would write.
_DECISIONS = 4


@task(name="load_story_index", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def load_story_index(store: Store, window_days: float, threshold: float, now: datetime) -> StoryIndex:
    """Signatures of recent articles, to group new copies of a story with it."""
    return store.load_story_index(now - timedelta(days=window_days), threshold)


def plan_batch(
    store: Store,
    found: Sequence[ArticleMentions],
    decision: DecisionConfig,
    stories: StoryIndex,
    now: datetime,
    batch: BatchSettings,
) -> BatchPlan:
    """Place the batch's articles in their stories, read what the store knows of them, and decide."""
    stored = store.stored_stories((item.article.source, item.article.key) for item in found)
    placed = place_articles(found, stored, stories, now)
    story_ids = [item.story.id for item in placed if item.story.id is not None]
    alerted, carriers = store.story_context(story_ids)
    entries = {m.entry_id for item in found for m in item.mentions if m.entry_id is not None}
    context = DecisionContext(
        now=now,
        alerted=alerted,
        story_sources=carriers,
        history=store.entry_history(entries, now, history_days(decision), thresholds(decision, entries)),
        baseline_sources=batch.baseline_sources,
        sent_recently=store.sent_recently(rate_windows(decision), now),
        languages=batch.languages or {},
        doubtful=store.held_as_doubtful(story_ids),
    )
    return decide_batch(placed, context, decision)


@task(name="record_batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def record_batch(
    store: Store,
    found: Sequence[ArticleMentions],
    decision: DecisionConfig,
    stories: StoryIndex,
    batch: BatchSettings,
    now: datetime,
) -> RecordedBatch:
    """Decide on a batch and store it: articles with their mentions and stories, alerts with their deliveries.

    Decided inside the task, from a fresh read of the store, one batch at a time across the runs that
    share the database (Store.recording): shards side by side each see the stories and alerts the others
    wrote, so a story that crosses shards alerts once. Should a unique constraint still refuse the plan
    (a writer that does not take that lock), the batch reads its context and decides again, a few times.
    An article the database refuses is logged by name and left out; the rest of the batch is stored.
    """
    logger = get_run_logger()
    for attempt in range(1, _DECISIONS + 1):
        with store.recording():
            if batch.stories_since is not None:
                store.add_new_stories(stories, batch.stories_since)
            plan = plan_batch(store, found, decision, stories, now, batch)
            try:
                recorded = store.record_plan(plan, now)
                break
            except WriteConflict as exc:
                if attempt == _DECISIONS:
                    raise
                logger.info("deciding again on a batch (%s)", loggable(str(exc)))
    index_stored(stories, plan.articles, recorded.stored)
    for item in recorded.rejected:
        logger.error("cannot store %s %s: %s", loggable(item.source), loggable(item.item), loggable(item.problem))
    return recorded


def history_days(decision: DecisionConfig) -> int:
    """How far back the rules look at an entry's past: the longest spike baseline and window, at least 31 days."""
    spans = [
        rule.spike_baseline_days + int(rule.spike_window_hours // 24) + 1
        for rule in decision.rules.rules
        if rule.kind == "spike"
    ]
    return max([31, *spans])


def thresholds(decision: DecisionConfig, entry_ids: Iterable[str]) -> dict[str, float]:
    """The confidence under which a mention of each of these entries is doubtful, by entry id."""
    watchlist = decision.watchlist
    return {entry.id: watchlist.threshold(entry) for entry_id in entry_ids if (entry := watchlist.get(entry_id))}


def rate_windows(decision: DecisionConfig) -> dict[str, float]:
    """The rate-limit window of every target that has one, by target key."""
    return {
        target.ref.key: target.delivery.rate_limit.hours
        for target in decision.targets
        if target.delivery is not None and target.delivery.rate_limit is not None
    }
