"""Tasks around the language model."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE
from spacy.language import Language

from veille.extract.pipeline import extract_mentions, load_pipeline
from veille.records import Article, ArticleMentions
from veille.watchlist import WatchList


@task(name="load_language_model", cache_policy=NO_CACHE)
def load_language_model(model_name: str, watchlist: WatchList) -> Language:
    """Load the spaCy pipeline with the watch matcher, once per run."""
    return load_pipeline(model_name, watchlist)


@task(name="extract_batch", cache_policy=NO_CACHE)
def extract_batch(
    nlp: Language, articles: Sequence[Article], batch_size: int, prefilter: bool = True, processes: int = 1
) -> list[ArticleMentions]:
    """Watched entries and places in a batch of articles; with `prefilter`, the model reads only those
    where a watched name could be, in up to `processes` processes."""
    return list(extract_mentions(nlp, articles, batch_size, prefilter, processes))
