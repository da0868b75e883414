"""What is new: a source's articles sorted against what the store holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from veille.records import Article, ArticleChanges


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
