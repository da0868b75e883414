"""An article's full text, from the page its feed entry links to."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import trafilatura

from veille.errors import IngestError
from veille.ingest.fetch import Fetcher
from veille.records import Article

logger = logging.getLogger(__name__)
BUDGET_SETTING = "VEILLE_FULL_TEXT_BUDGET_SECONDS"


@dataclass(frozen=True)
class FullTexts:
    """The articles, each with its page's text or its feed's; why each page tried was not used; how
    many pages were not tried at all because the budget was spent."""

    articles: list[Article]
    problems: list[tuple[str, str]]
    untried: int


def with_full_texts(articles: Sequence[Article], fetcher: Fetcher, budget_seconds: float) -> FullTexts:
    """Each article with its page's main text where richer, for at most `budget_seconds` in all.

    Pages are fetched one after the other, each within its own deadline and what is left of the
    budget; once it is spent, the remaining articles keep their feed's text.
    """
    budget_ends = time.monotonic() + budget_seconds
    enriched: list[Article] = []
    problems: list[tuple[str, str]] = []
    untried = 0
    for article in articles:
        if time.monotonic() >= budget_ends:
            enriched.append(article)
            untried += 1
            continue
        article, problem = with_full_text(article, fetcher, until=budget_ends)
        if problem is not None and problem.startswith("page not fetched") and time.monotonic() >= budget_ends:
            problem = f"page not fetched: the run's full-text budget ran out ({BUDGET_SETTING})"
        if problem is not None:
            problems.append((article.location, problem))
        enriched.append(article)
    return FullTexts(enriched, problems, untried)


def with_full_text(article: Article, fetcher: Fetcher, until: float | None = None) -> tuple[Article, str | None]:
    """The article with its page's main text, or unchanged and why, on any failure.

    `until`: a time.monotonic() instant the fetch must end by, when sooner than its own deadline.
    """
    if not article.location.startswith(("http://", "https://")):
        return article, "no link to fetch"
    try:
        page = fetcher.fetch(article.location, accept="text/html,application/xhtml+xml", until=until)
        # No deduplicate: trafilatura's cache is process-wide and drops a page whose text it has seen three
        # times, so the 4th outlet running a wire story word for word would lose its text and alert again.
        # Sameness across pages is Veille's to judge (veille/stories.py), each page is extracted alone.
        main = trafilatura.extract(
            page.content,
            url=page.url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            deduplicate=False,
        )
    except IngestError as exc:
        return article, f"page not fetched: {exc}"
    except Exception as exc:  # a crash inside the extractor must cost this article its full text, nothing more
        return article, f"extraction failed: {type(exc).__name__}"
    if not main or len(main) <= len(article.text):
        return article, "page text no richer than the feed's"
    text = main if main.startswith(article.title) else f"{article.title}\n\n{main}"
    return replace(article, text=text), None
