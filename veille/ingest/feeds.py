"""RSS, Atom and JSON feeds: feedparser's loose dicts turned into Articles at once."""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import feedparser

from veille.clean import LOCATION_CHARS, clean_line, clean_text, with_suffix
from veille.errors import IngestError
from veille.ingest.fetch import Fetcher
from veille.ingest.html import html_to_text
from veille.ingest.text import title_of
from veille.names import feed_source_name
from veille.records import Article, SourceBatch, text_hash

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class FeedError(IngestError):
    """The body is not a feed at all (an HTML page, an empty body)."""


@dataclass(frozen=True)
class ParsedFeed:
    articles: tuple[Article, ...]
    problem: str | None = None


def parse_feed(
    content: bytes, headers: Mapping[str, str], source: str, url: str, tags: tuple[str, ...] = ()
) -> ParsedFeed:
    """Every entry feedparser reads, as an Article; a malformed feed keeps its entries and names its problem."""
    if not content.strip():
        raise FeedError("empty body, not a feed")
    if _looks_like_json(content, headers):
        return parse_json_feed(content, source, url, tags)
    try:
        # Bytes, never a str: given a str, feedparser would open it as a URL or a file name.
        parsed = feedparser.parse(
            bytes(content),
            response_headers={**headers, "content-location": url},
            sanitize_html=True,
            resolve_relative_uris=True,
        )
    except Exception as exc:  # feedparser is meant not to raise; if it does, this source fails, not the run
        raise FeedError(f"feedparser failed: {type(exc).__name__}: {_first_line(exc)}") from exc
    problem = None
    if parsed.get("bozo"):
        error = parsed.get("bozo_exception")
        problem = f"malformed feed: {type(error).__name__}: {_first_line(error)}" if error else "malformed feed"
    if not parsed.entries and not parsed.get("version"):
        kind = headers.get("content-type", "unknown type").split(";")[0]
        raise FeedError(f"not a feed ({kind}){': ' + problem if problem else ''}")
    return ParsedFeed(_articles(parsed.entries, source, url, tags), problem)


def _looks_like_json(content: bytes, headers: Mapping[str, str]) -> bool:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return kind.endswith("json") or content.lstrip()[:1] == b"{"


def parse_json_feed(content: bytes, source: str, url: str, tags: tuple[str, ...] = ()) -> ParsedFeed:
    """A JSON Feed (jsonfeed.org, versions 1 and 1.1), which feedparser 6 does not read."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"not a feed: invalid JSON ({_first_line(exc)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("not a feed: JSON without an 'items' list")
    entries = []
    for item in document["items"]:
        if not isinstance(item, dict):
            continue
        # JSON Feed fields have one type each; anything else is ignored, never stored as its repr.
        contents = [
            {"value": _string(item, "content_html"), "type": "text/html"},
            {"value": _string(item, "content_text"), "type": "text/plain"},
        ]
        entries.append(
            {
                "id": _string(item, "id", numbers=True),
                "link": _string(item, "url") or _string(item, "external_url"),
                "title": _string(item, "title"),
                "content": [c for c in contents if c["value"]],
                "summary": _string(item, "summary"),
                "published_parsed": _json_time(item.get("date_published")),
                "updated_parsed": _json_time(item.get("date_modified")),
            }
        )
    problem = (
        None
        if str(document.get("version", "")).startswith("https://jsonfeed.org/version/")
        else ("malformed feed: JSON Feed without a jsonfeed.org version")
    )
    return ParsedFeed(_articles(entries, source, url, tags), problem)


def _string(item: Mapping[str, Any], name: str, numbers: bool = False) -> str:
    """A JSON Feed string field; an id may be a number (common, though the spec says string)."""
    value = item.get(name)
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _json_time(value: object) -> time.struct_time | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).utctimetuple()
    except ValueError:
        return None


def _articles(
    entries: Iterable[Mapping[str, Any]], source: str, url: str, tags: tuple[str, ...]
) -> tuple[Article, ...]:
    articles: list[Article] = []
    used_keys: set[str] = set()
    for entry in entries:
        article = entry_to_article(entry, source, url, tags)
        if article.key in used_keys:
            # Some feeds repeat a guid for different items: keep both, told apart by content.
            article = replace(article, key=with_suffix(article.key, f"#{article.content_hash[:12]}"))
        used_keys.add(article.key)
        articles.append(article)
    return tuple(articles)


def entry_to_article(entry: Mapping[str, Any], source: str, feed_url: str, tags: tuple[str, ...] = ()) -> Article:
    """One feed entry: identity guid, else link, else a hash of title and content; the richest text."""
    # Clean before hashing: a lone surrogate or a NUL would fail the hash or the database.
    title = clean_text(html_to_text(str(entry.get("title") or "")))
    body = clean_text(richest_text(entry))
    link = clean_line(str(entry.get("link") or ""), LOCATION_CHARS)
    text = body if not title or body.startswith(title) else f"{title}\n\n{body}" if body else title
    digest = text_hash(title, body, link)
    key = str(entry.get("id") or "").strip() or link.strip() or f"sha256:{digest}"
    return Article(
        source=source,
        key=key,
        title=title or title_of(body) or link or key,
        location=link or feed_url,
        text=text,
        published_at=entry_time(entry),
        content_hash=digest,
        tags=tags,
    )


def richest_text(entry: Mapping[str, Any]) -> str:
    """The longest of the entry's contents and summary, as clean text."""
    candidates = [*(entry.get("content") or []), entry.get("summary_detail") or {"value": entry.get("summary")}]
    texts = []
    for candidate in candidates:
        value = str((candidate or {}).get("value") or "")
        kind = str((candidate or {}).get("type") or "text/html")
        texts.append(html_to_text(value) if kind in _HTML_TYPES or "<" in value else " ".join(value.split()))
    return max(texts, key=len, default="")


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """Published, else updated, as an aware UTC datetime (feedparser gives UTC struct_time)."""
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(name)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


@dataclass(frozen=True)
class FeedSource:
    """A feed URL, fetched with the validators of the last poll so that an unchanged feed costs a 304."""

    feed_name: str
    url: str
    fetcher: Fetcher
    validators: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return feed_source_name(self.feed_name)

    def read(self, until: float | None = None) -> SourceBatch:
        """The feed's entries, or a 304's; its fetch ends by `until` (a time.monotonic() instant) if given."""
        fetched = self.fetcher.fetch(self.url, self.validators, accept=FEED_ACCEPT, until=until)
        if fetched.not_modified:
            return SourceBatch.not_modified(self.name, self.validators)
        parsed = parse_feed(fetched.content, fetched.headers, self.name, fetched.url, self.tags)
        return SourceBatch.read(
            self.name,
            parsed.articles,
            items_seen=len(parsed.articles),
            warning=parsed.problem,
            validators=fetched.validators,
        )


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
