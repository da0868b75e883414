"""An article's full text, from the page its feed entry links to."""

from __future__ import annotations

import logging
from dataclasses import replace

import trafilatura

from veille.errors import IngestError
from veille.ingest.fetch import Fetcher
from veille.records import Article

logger = logging.getLogger(__name__)


def with_full_text(article: Article, fetcher: Fetcher) -> tuple[Article, str | None]:
    """The article with its page's main text, or unchanged and why, on any failure."""
    if not article.location.startswith(("http://", "https://")):
        return article, "no link to fetch"
    try:
        page = fetcher.fetch(article.location, accept="text/html,application/xhtml+xml")
        # No deduplicate: trafilatura's cache is process-wide and drops a page whose text it has seen three
        # times, so the 4th outlet running a wire story word for word would lose its text and alert again.
        # Sameness across pages is Veille's to judge (veille/stories.py), each page is extracted alone.
        main = trafilatura.extract(page.content, url=page.url, favor_precision=True, include_comments=False,
                                   include_tables=False, deduplicate=False)
    except IngestError as exc:
        return article, f"page not fetched: {exc}"
    except Exception as exc:  # a crash inside the extractor must cost this article its full text, nothing more
        return article, f"extraction failed: {type(exc).__name__}"
    if not main or len(main) <= len(article.text):
        return article, "page text no richer than the feed's"
    text = main if main.startswith(article.title) else f"{article.title}\n\n{main}"
    return replace(article, text=text), None
