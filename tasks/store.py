"""Tasks that write detections to the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from veille.interfaces import Notifier, Store
from veille.records import ArticleMentions, RecordedBatch
from veille.sanitize import loggable
from veille.stories import StoryIndex
from veille.watchlist import WatchList


@task(name="load_story_index", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def load_story_index(store: Store, window_days: float, threshold: float) -> StoryIndex:
    """Signatures of recent articles, to group new copies of a story with it."""
    return store.load_story_index(datetime.now(UTC) - timedelta(days=window_days), threshold)


@task(name="record_batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def record_batch(
    store: Store, found: Sequence[ArticleMentions], watchlist: WatchList, notifier: Notifier, stories: StoryIndex
) -> RecordedBatch:
    """Store a batch of articles with their mentions and stories, and its new alerts with their deliveries.

    An article the database refuses is logged by name and left out; the rest of the batch is stored.
    """
    recorded = store.record_detections(found, watchlist, notifier.targets_for, datetime.now(UTC), stories)
    logger = get_run_logger()
    for item in recorded.rejected:
        logger.error("cannot store %s %s: %s", loggable(item.source), loggable(item.item), loggable(item.problem))
    return recorded
