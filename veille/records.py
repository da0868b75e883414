"""The records that flow through the pipeline: plain, frozen, free of any library type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from veille.clean import LOCATION_CHARS, SOURCE_CHARS, TEXT_CHARS, TITLE_CHARS, bounded_key, clean_line, clean_text


@dataclass(frozen=True)
class Article:
    """One article as a source gives it: `key` is stable for that source, `text` is clean text.

    `content_hash` is the hash of what the source gave (by default the text), so that replacing
    the text later (a feed entry's full text fetched from its page) does not make it "changed".

    Whatever a source gives, an Article's strings are clean and bounded (veille.clean): no NUL,
    control character or lone surrogate, a one-line title, a key within the database's limit.
    """

    source: str
    key: str
    title: str
    location: str
    text: str
    published_at: datetime | None = None
    content_hash: str = ""
    # Routing tags of the source (a feed's `tags` in config/sources.yaml).
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every source builds Articles, so the guarantee holds here rather than in each of them.
        object.__setattr__(self, "source", clean_line(self.source, SOURCE_CHARS))
        object.__setattr__(self, "key", bounded_key(self.key))
        object.__setattr__(self, "title", clean_line(self.title, TITLE_CHARS))
        object.__setattr__(self, "location", clean_line(self.location, LOCATION_CHARS))
        object.__setattr__(self, "text", clean_text(self.text)[:TEXT_CHARS])
        object.__setattr__(self, "tags", tuple(clean_line(tag, SOURCE_CHARS) for tag in self.tags))
        if not self.content_hash:
            object.__setattr__(self, "content_hash", text_hash(self.text))


def text_hash(*parts: str) -> str:
    """SHA-256 of `parts`, separated so that ("ab", "c") and ("a", "bc") differ."""
    # surrogatepass: a hash must never be what fails on a lone surrogate a source let through.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ReadError:
    """An item a source could not read, and why; the item is read again next run."""

    source: str
    item: str
    problem: str


class SourceOutcome(Enum):
    """What one read of a source came to."""

    READ = "read"
    NOT_MODIFIED = "not modified"  # a feed that answered 304 to its validators
    NOT_DUE = "not due"  # a feed whose poll interval has not passed: not fetched
    FAILED = "failed"


@dataclass(frozen=True)
class SourceBatch:
    """What one source gave in one read: its outcome, and when read, its articles and the items it could not read.

    `problem` is why the source failed (FAILED), or what was wrong with it though it was read (READ: a
    malformed feed whose entries were kept). Build one with `read`, `failed`, `not_modified` or `not_due`.
    """

    source: str
    outcome: SourceOutcome
    articles: tuple[Article, ...] = ()
    errors: tuple[ReadError, ...] = ()
    items_seen: int = 0
    problem: str | None = None
    validators: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, source: str, articles: tuple[Article, ...], errors: tuple[ReadError, ...] = (),
             items_seen: int = 0, warning: str | None = None,
             validators: dict[str, str] | None = None) -> SourceBatch:
        return cls(source, SourceOutcome.READ, articles, errors, items_seen, warning, validators or {})

    @classmethod
    def failed(cls, source: str, problem: str) -> SourceBatch:
        return cls(source, SourceOutcome.FAILED, problem=problem)

    @classmethod
    def not_modified(cls, source: str, validators: dict[str, str]) -> SourceBatch:
        return cls(source, SourceOutcome.NOT_MODIFIED, validators=validators)

    @classmethod
    def not_due(cls, source: str) -> SourceBatch:
        return cls(source, SourceOutcome.NOT_DUE)

    @property
    def failure(self) -> str | None:
        """Why the source could not be read at all; None when it was."""
        return self.problem if self.outcome is SourceOutcome.FAILED else None

    @property
    def warning(self) -> str | None:
        """What was wrong with a source read all the same."""
        return self.problem if self.outcome is SourceOutcome.READ else None


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
