"""Tasks around the language model."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE
from spacy.language import Language

from veille.extract.index_cache import IndexCache
from veille.extract.pipeline import extract_mentions, load_pipeline
from veille.records import Article, ArticleMentions
from veille.watchlist import WatchList


@task(name="load_language_model", cache_policy=NO_CACHE)
def load_language_model(model_name: str, watchlist: WatchList, index_cache: IndexCache | None = None) -> Language:
    """Load the spaCy pipeline with the watch matcher, once per run (its index from `index_cache` if kept)."""
    return load_pipeline(model_name, watchlist, index_cache=index_cache)


@task(name="extract_batch", cache_policy=NO_CACHE)
def extract_batch(nlp: Language, articles: Sequence[Article], batch_size: int) -> list[ArticleMentions]:
    """Watched entries and places in a batch of articles."""
    return list(extract_mentions(nlp, articles, batch_size))
