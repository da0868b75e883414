"""The records that flow through the pipeline: plain, frozen, free of any library type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Article:
    """One article as a source gives it: `key` is stable for that source, `text` is clean text."""

    source: str
    key: str
    title: str
    location: str
    text: str
    published_at: datetime | None = None
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "content_hash", hashlib.sha256(self.text.encode("utf-8")).hexdigest())


@dataclass(frozen=True)
class ReadError:
    """An item a source could not read, and why; the item is read again next run."""

    source: str
    item: str
    problem: str


@dataclass(frozen=True)
class SourceBatch:
    """What one source gave in one read."""

    source: str
    articles: tuple[Article, ...]
    errors: tuple[ReadError, ...] = ()
    items_seen: int = 0


@dataclass(frozen=True)
class Mention:
    """A name found in an article: a watched entry (entry_id set) or a place the model found."""

    entry_id: str | None
    label: str
    text: str
    start: int
    end: int
    sentence: str


@dataclass(frozen=True)
class ArticleMentions:
    article: Article
    mentions: tuple[Mention, ...]
