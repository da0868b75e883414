"""Tasks around the language model.

spaCy and the model are imported only by a run that has text to read: a run with nothing new
starts its first task without them (about half a second of imports saved).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prefect import task
from prefect.cache_policies import NO_CACHE

from veille.records import Article, ArticleMentions
from veille.watchlist import WatchList

if TYPE_CHECKING:
    from spacy.language import Language

    from veille.extract.index_cache import IndexCache
    from veille.extract.pipeline import MatchOptions

# Pipelines kept by this process, newest last: a process that runs several flow runs (in-process runs,
# tests, a runner that reuses its process) loads the model once for the same watch list.
_LOADED: OrderedDict[tuple[str, str, MatchOptions | None], Language] = OrderedDict()
_KEPT = 2  # a pipeline holds ~100 MB: one for the watch list in use, one for the one it replaces
_LOADING = threading.Lock()
# How many times this process loaded a model (not taken from _LOADED): for the tests and the benchmark.
loads = 0


def pipeline_key(
    model_name: str, watchlist: WatchList, options: MatchOptions | None
) -> tuple[str, str, MatchOptions | None]:
    """What a loaded pipeline depends on: the model, the watch list's contents (not its object) and the options."""
    contents = hashlib.sha256(watchlist.model_dump_json().encode()).hexdigest()
    return (model_name, contents, options)


def cached_pipeline(
    model_name: str, watchlist: WatchList, options: MatchOptions | None = None, index_cache: IndexCache | None = None
) -> Language:
    """The spaCy pipeline with the watch matcher: loaded on the first call of this process for this key."""
    global loads
    from veille.extract.pipeline import MatchOptions, load_pipeline

    options = options or MatchOptions()  # None and the defaults are one pipeline
    key = pipeline_key(model_name, watchlist, options)
    with _LOADING:  # two runs of one process asking at once load it once
        nlp = _LOADED.get(key)
        if nlp is None:
            nlp = load_pipeline(model_name, watchlist, options, index_cache=index_cache)
            loads += 1
            _LOADED[key] = nlp
            while len(_LOADED) > _KEPT:
                _LOADED.popitem(last=False)
        _LOADED.move_to_end(key)
        return nlp


@task(name="load_language_model", cache_policy=NO_CACHE)
def load_language_model(
    model_name: str, watchlist: WatchList, options: MatchOptions | None = None, index_cache: IndexCache | None = None
) -> Language:
    """Load the spaCy pipeline with the watch matcher, once per process for the same watch list (its
    matcher's index from `index_cache` where kept)."""
    return cached_pipeline(model_name, watchlist, options, index_cache)


@task(name="extract_batch", cache_policy=NO_CACHE)
def extract_batch(
    nlp: Language, articles: Sequence[Article], batch_size: int, prefilter: bool = True, processes: int = 1
) -> list[ArticleMentions]:
    """Watched entries and places in a batch of articles; with `prefilter`, the model reads only those
    where a watched name could be, in up to `processes` processes."""
    from veille.extract.pipeline import extract_mentions

    return list(extract_mentions(nlp, articles, batch_size, prefilter, processes))
