"""Tasks that read sources and sort their articles into new, changed and unchanged."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from veille.detect import ArticleChanges, classify_articles
from veille.ingest import Source, read_all
from veille.records import SourceBatch
from veille.store import Store


@task(name="read_sources", cache_policy=NO_CACHE)
def read_sources(sources: Sequence[Source]) -> list[SourceBatch]:
    """Read every source; log each item that could not be read."""
    logger = get_run_logger()
    batches = read_all(sources)
    for batch in batches:
        for error in batch.errors:
            logger.error("cannot read %s: %s", error.item, error.problem)
    return batches


@task(name="find_changes", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def find_changes(store: Store, batches: Sequence[SourceBatch]) -> ArticleChanges:
    """Compare content hashes with the store."""
    articles = [article for batch in batches for article in batch.articles]
    known = store.known_hashes(batch.source for batch in batches)
    return classify_articles(articles, known)
