"""The story step: each article of a batch in its story, before anything is decided about it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from veille.minhash import Signature
from veille.records import ArticleMentions, PlacedArticle, StoryRef
from veille.stories import StoryIndex, is_signature, signature


def place_articles(
    found: Sequence[ArticleMentions],
    stored_stories: Mapping[tuple[str, str], int],
    index: StoryIndex,
    read_at: datetime | Mapping[tuple[str, str], datetime],
) -> list[PlacedArticle]:
    """Each article in its story: a stored article keeps its own (an edit is not a new story); a new one
    joins the story of a near-copy in `index` or earlier in the batch, else opens a story of its own.

    `index` is only read: the caller adds the signatures once the batch is stored (`index_stored`).
    `read_at`: when the articles were read, one moment or one per (source, key).
    """
    batch = StoryIndex(index.threshold)
    # The stories this batch opens, by their placeholder id in `batch`: negative, so never a database's.
    opened: dict[int, StoryRef] = {}
    placeholders: dict[StoryRef, int] = {}
    placed = []
    for item in found:
        key = (item.article.source, item.article.key)
        moment = read_at if isinstance(read_at, datetime) else read_at[key]
        minhash = _signature_of(item)
        story = _story_of(key, minhash, stored_stories, index, batch, opened)
        if story.id is None and story not in placeholders:
            placeholders[story] = -1 - len(opened)
            opened[placeholders[story]] = story
        if minhash is not None and story.id is None:
            batch.add(f"{key[0]}\0{key[1]}", placeholders[story], minhash)
        placed.append(PlacedArticle(item, story, moment, minhash))
    return placed


def _signature_of(item: ArticleMentions) -> Signature | None:
    """The article's MinHash: as the model's process computed it, else computed now."""
    if item.signed and (item.signature is None or is_signature(item.signature)):
        return item.signature
    return signature(item.article.text)


def _story_of(
    key: tuple[str, str],
    minhash: Signature | None,
    stored_stories: Mapping[tuple[str, str], int],
    index: StoryIndex,
    batch: StoryIndex,
    opened: dict[int, StoryRef],
) -> StoryRef:
    if key in stored_stories:
        return StoryRef(id=stored_stories[key])
    if minhash is not None:
        match = index.find(minhash)
        if match is not None:
            return StoryRef(id=match[0])
        match = batch.find(minhash)
        if match is not None:
            return opened[match[0]]
    return StoryRef(opened_by=key)


def index_stored(
    index: StoryIndex, placed: Sequence[PlacedArticle], stored: Mapping[tuple[str, str], tuple[int, int]]
) -> None:
    """Add the signatures of the batch's stored articles to `index`, under their article and story ids."""
    for item in placed:
        where = stored.get((item.article.source, item.article.key))
        if where is not None and is_signature(item.signature):
            index.add(str(where[0]), where[1], item.signature)
