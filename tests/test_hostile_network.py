"""Hostile network input: wire copies in many outlets, internal addresses, servers that trickle."""

from __future__ import annotations

import pytest

from tests.feedserver import Reply
from tests.test_monitor_feeds import RSS, configure, run
from tests.wire import WIRE
from veille.ingest.fetch import Fetcher, FetchPolicy
from veille.ingest.fulltext import with_full_text
from veille.records import Article

HTML = {"Content-Type": "text/html; charset=utf-8"}
FAST = FetchPolicy(timeout_seconds=5, attempts=1)
TEASER = WIRE.split(". ")[0] + "."
OUTLETS = 10


def wire_page(outlet: int) -> bytes:
    """One outlet's page for the wire story: its own frame around the same dispatch, word for word."""
    return (f"<html><head><title>Journal {outlet}</title></head><body><nav>Journal {outlet}: Accueil Monde</nav>"
            f"<article><h1>Frappes russes en Syrie</h1><p>{WIRE}</p></article>"
            f"<footer>Journal {outlet}, tous droits réservés</footer></body></html>").encode()


def teaser(outlet: int, url: str) -> Article:
    return Article(source=f"feed:journal{outlet}", key=f"j{outlet}", title="Frappes russes en Syrie", location=url,
                   text=f"Frappes russes en Syrie\n\n{TEASER}", published_at=None, content_hash=f"h{outlet}")


# Item 7: trafilatura's deduplicate=True counts paragraphs across calls, process-wide.

def test_ten_outlets_carrying_one_wire_story_each_get_their_page_s_full_text(feed_server):
    for outlet in range(OUTLETS):
        feed_server.routes[f"/journal{outlet}/frappes"] = Reply(200, wire_page(outlet), HTML)
    with Fetcher(FAST) as fetcher:
        results = [with_full_text(teaser(n, feed_server.url(f"/journal{n}/frappes")), fetcher)
                   for n in range(OUTLETS)]
    with_page_text = [n for n, (article, problem) in enumerate(results) if problem is None and WIRE in article.text]
    assert with_page_text == list(range(OUTLETS)), [problem for _, problem in results]


@pytest.mark.usefixtures("prefect_harness")
def test_ten_outlets_carrying_one_wire_story_make_one_alert_per_watched_entry(workdir, feed_server):
    feeds = []
    for outlet in range(OUTLETS):
        page = feed_server.url(f"/journal{outlet}/frappes")
        feed_server.routes[f"/journal{outlet}/frappes"] = Reply(200, wire_page(outlet), HTML)
        feed_server.routes[f"/journal{outlet}/rss"] = Reply(200, rss_with_links(
            (f"j{outlet}-1", "Frappes russes en Syrie", TEASER, page)), RSS)
        feeds.append({"name": f"journal{outlet}", "url": feed_server.url(f"/journal{outlet}/rss"), "full_text": "true"})
    configure(workdir, feeds)

    summary = run()

    assert summary.new == OUTLETS
    by_entry: dict[str, list[int]] = {}
    for alert in summary.alerts:
        by_entry.setdefault(alert.entry_name, []).append(alert.sources)
    assert {"Tu-22M3", "Deir ez-Zor", "Kalibr"} <= set(by_entry), "Kalibr is only in the pages' text"
    assert by_entry == {name: [OUTLETS] for name in by_entry}, "one story carried by ten sources, one alert each"


def rss_with_links(*items: tuple[str, str, str, str]) -> bytes:
    """An RSS 2.0 document of (guid, title, description, link) items."""
    body = "".join(f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title><link>{link}</link>'
                   f"<description><![CDATA[{description}]]></description></item>"
                   for guid, title, description, link in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>http://example.org/</link><description>test</description>{body}</channel></rss>").encode()
