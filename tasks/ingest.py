"""Tasks that read sources and sort their articles into new, changed and unchanged."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from veille.decide.changes import classify_articles
from veille.ingest import read_all
from veille.ingest.feeds import FeedSource
from veille.ingest.fetch import Fetcher
from veille.ingest.polling import read_feeds
from veille.interfaces import Source, Store
from veille.records import Article, ArticleChanges, SourceBatch
from veille.sanitize import loggable

NETWORK_TASKS = ("fetch_feeds", "fetch_full_texts")


class _BoundedBlockingCalls(logging.Filter):
    """Drops Prefect's warning, at every run of a network task in a worker thread, that a timeout there
    waits for a blocking call to return: the fetch deadline bounds every such call at the socket."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            getattr(record, "task_name", None) in NETWORK_TASKS
            and str(record.msg).startswith(
                "Timeout of %s seconds configured for this task, but the task is running in a worker thread"
            )
        )


logging.getLogger("prefect.task_runs").addFilter(_BoundedBlockingCalls())


@task(name="read_folders", cache_policy=NO_CACHE)
def read_folders(sources: Sequence[Source]) -> list[SourceBatch]:
    """Read every folder; log each file that could not be read."""
    return _logged(read_all(sources))


@task(name="fetch_feeds", cache_policy=NO_CACHE, task_run_name="fetch_feeds-{part}")
def fetch_feeds(sources: Sequence[FeedSource], part: str, seconds: float, workers: int) -> list[SourceBatch]:
    """Fetch and parse a chunk of feeds side by side, all within `seconds`; a failure is its feed's only."""
    late = f"its fetch_feeds task took longer than its {seconds:g} s timeout (VEILLE_NETWORK_TASK_TIMEOUT_SECONDS)"
    return _logged(read_feeds(sources, time.monotonic() + seconds, late, workers))


def _logged(batches: list[SourceBatch]) -> list[SourceBatch]:
    # Names and errors come from files and servers: escaped, so that none can forge a log line.
    logger = get_run_logger()
    for batch in batches:
        if batch.failure:
            logger.error("cannot read %s: %s", loggable(batch.source), loggable(batch.failure))
        elif batch.warning:
            logger.warning(
                "%s: %s (its %d entries are kept)", loggable(batch.source), loggable(batch.warning), len(batch.articles)
            )
        for error in batch.errors:
            logger.error("cannot read %s: %s", loggable(error.item), loggable(error.problem))
    return batches


@task(name="record_source_health", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def record_source_health(store: Store, batches: Sequence[SourceBatch], now: datetime) -> None:
    """Keep each source's last success or error, and its validators for the next conditional GET."""
    store.record_source_reads(batches, now)


@task(name="find_changes", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def find_changes(store: Store, batches: Sequence[SourceBatch]) -> ArticleChanges:
    """Compare content hashes with the store."""
    articles = [article for batch in batches for article in batch.articles]
    # Only the sources that gave entries: 10,000 feeds answering 304 would read every stored hash for nothing.
    known = store.known_hashes(batch.source for batch in batches if batch.articles)
    return classify_articles(articles, known)


@task(name="fetch_full_texts", cache_policy=NO_CACHE)
def fetch_full_texts(articles: Sequence[Article], fetcher: Fetcher, budget_seconds: float) -> list[Article]:
    """Replace each article's feed text by its page's main text where richer, within the run's budget."""
    # Imported here: trafilatura, htmldate and courlan (~0.2 s) serve only the feeds with full_text.
    from veille.ingest.fulltext import BUDGET_SETTING, with_full_texts

    logger = get_run_logger()
    outcome = with_full_texts(articles, fetcher, budget_seconds)
    for location, problem in outcome.problems:
        logger.info("full text of %s kept from the feed: %s", loggable(location), loggable(problem))
    if outcome.untried:
        logger.warning(
            "full-text budget of %g s spent: %d of %d new entries keep their feed's text (%s)",
            budget_seconds,
            outcome.untried,
            len(articles),
            BUDGET_SETTING,
        )
    return outcome.articles
