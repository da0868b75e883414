"""Decide what is new: pure functions over records, no database, no network."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from veille.clean import shorten
from veille.records import AlertMessage, Article, ArticleChanges, ArticleMentions, Mention, PlannedAlert
from veille.sanitize import neutralise_line, neutralise_path, safe_link
from veille.watchlist import WatchList

_TITLE_LENGTH = 90


def classify_articles(articles: Iterable[Article], known_hashes: Mapping[tuple[str, str], str]) -> ArticleChanges:
    """New when (source, key) is unknown, changed when its content hash differs."""
    new, changed, unchanged = [], [], []
    for article in articles:
        known = known_hashes.get((article.source, article.key))
        if known is None:
            new.append(article)
        elif known != article.content_hash:
            changed.append(article)
        else:
            unchanged.append(article)
    return ArticleChanges(tuple(new), tuple(changed), tuple(unchanged))


def plan_alerts(
    story: Sequence[ArticleMentions], already_alerted: Iterable[str], watchlist: WatchList
) -> list[PlannedAlert]:
    """One alert per watched entry of a story's articles that has no alert yet, on its first mention."""
    skip = set(already_alerted)
    first: dict[str, tuple[Article, Mention]] = {}
    counts: dict[str, int] = {}
    for found in story:
        for mention in sorted(found.mentions, key=lambda m: m.start):
            if mention.entry_id is None or mention.entry_id in skip:
                continue
            first.setdefault(mention.entry_id, (found.article, mention))
            counts[mention.entry_id] = counts.get(mention.entry_id, 0) + 1
    source_tags = tuple(dict.fromkeys(tag for found in story for tag in found.article.tags))
    planned = []
    for entry_id, (article, mention) in first.items():
        entry = watchlist.get(entry_id)
        if entry is not None:
            planned.append(PlannedAlert(article, entry, mention, counts[entry_id], source_tags))
    return planned


def render_alert(alert: PlannedAlert, found_at: datetime, sources: Sequence[str] = ()) -> AlertMessage:
    """The notification a person reads: what, as written, in which sentence, where, when, how widely."""
    entry, mention, article = alert.entry, alert.mention, alert.article
    # Everything taken from the article is neutralised and kept on its own line; its link is made safe.
    title = neutralise_line(article.title)
    written = "" if mention.text == entry.name else f", written «{neutralise_line(mention.text)}»"
    times = f" ({alert.occurrences} mentions)" if alert.occurrences > 1 else ""
    lines = [
        f"{entry.kind.capitalize()}: {entry.name}{written}{times}",
        f"«{neutralise_line(mention.sentence)}»",
        f"Article: {title}",
        f"Source: {article.source} — {_link(article.location)}",
    ]
    if len(sources) > 1:
        lines.append(f"Carried by {len(sources)} sources: {', '.join(sources)}")
    if article.published_at is not None:
        lines.append(f"Published: {_when(article.published_at)}")
    lines.append(f"Found: {_when(found_at)}")
    headline = shorten(title, _TITLE_LENGTH)
    return AlertMessage(title=f"Veille: {entry.name} ({entry.kind}) in «{headline}»", body="\n".join(lines))


def _link(location: str) -> str:
    """The article's link, clickable on purpose but able to add nothing; a file path or anything else is text."""
    return safe_link(location) or neutralise_path(location)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
