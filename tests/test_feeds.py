"""Feeds fetched over real HTTP on 127.0.0.1 through Veille's own code."""

from __future__ import annotations

import gzip
import re
import resource
import time

import feedparser
import pytest

from tests.corpus import corpus_files, served_headers
from tests.feedserver import ALLOW_FEED_SERVER, Reply, rss
from veille.ingest import read_all
from veille.ingest.feeds import FeedSource, parse_feed
from veille.ingest.fetch import Fetcher, FetchError, FetchPolicy
from veille.ingest.html import html_to_text
from veille.records import SourceOutcome

FAST = FetchPolicy(
    timeout_seconds=2, max_bytes=10_000_000, attempts=2, backoff_seconds=0.01, allowed_networks=ALLOW_FEED_SERVER
)


@pytest.mark.parametrize("folder", ["wellformed", "illformed", "encoding", "json"])
def test_every_corpus_file_served_over_http_is_ingested_without_a_crash(folder, feed_server):
    files = corpus_files(folder)
    totals = {"files": 0, "entries": 0, "malformed": 0, "not a feed": 0}
    with Fetcher(FAST) as fetcher:
        for index, path in enumerate(files):
            data = path.read_bytes()
            headers = served_headers(path, data)
            feed_server.routes[f"/{index}"] = Reply(200, data, headers)
            url = feed_server.url(f"/{index}")
            (batch,) = read_all([FeedSource(path.name, url, fetcher)])

            expected = feedparser.parse(
                data, response_headers={**{k.lower(): v for k, v in headers.items()}, "content-location": url}
            )
            totals["files"] += 1
            if batch.failure:
                # Only a body feedparser itself finds no feed in may fail, and it says so.
                assert not expected.entries and not expected.get("version"), (path, batch.failure)
                assert batch.failure.startswith(("not a feed", "empty body")), (path, batch.failure)
                totals["not a feed"] += 1
                continue
            assert len(batch.articles) >= len(expected.entries), path
            assert len({a.key for a in batch.articles}) == len(batch.articles), path
            if expected.bozo and path.suffix != ".json":  # feedparser 6 cannot read JSON Feed; Veille can
                assert batch.warning and batch.warning.startswith("malformed feed"), path
                totals["malformed"] += 1
            totals["entries"] += len(batch.articles)
    print(f"\n{folder}: {totals}")
    assert totals["files"] == len(files)


def test_sanitize_corpus_leaves_no_markup_or_script_in_text(feed_server):
    files = corpus_files("wellformed/sanitize")
    with Fetcher(FAST) as fetcher:
        for index, path in enumerate(files):
            data = path.read_bytes()
            feed_server.routes[f"/{index}"] = Reply(200, data, served_headers(path, data))
            (batch,) = read_all([FeedSource(path.name, feed_server.url(f"/{index}"), fetcher)])
            for article in batch.articles:
                assert not re.search(r"<\s*/?\s*(script|style|iframe|object|embed|a|img)\b", article.text, re.I), (
                    path,
                    article.text,
                )
                assert "javascript:" not in article.text.lower() or "&lt;" in path.read_text(errors="ignore"), path


def test_entry_identity_text_and_dates(feed_server):
    feed = rss(
        (
            "guid-1",
            "Frappe à Hama",
            "<p>Des tirs de <b>mortier</b> &amp; des roquettes.</p><script>alert(1)</script><p>Second paragraphe.</p>",
        )
    )
    (article,) = parse_feed(feed, {"content-type": "application/rss+xml"}, "feed:t", "http://x/").articles
    assert article.key == "guid-1"
    assert article.title == "Frappe à Hama"
    assert article.text == "Frappe à Hama\n\nDes tirs de mortier & des roquettes.\n\nSecond paragraphe."
    assert article.location == "http://example.org/guid-1"
    assert article.published_at.isoformat() == "2017-11-08T09:00:00+00:00"


def test_identity_falls_back_to_link_then_to_content():
    no_guid = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>A</title><link>http://x/a</link></item>"
        b"<item><title>B</title><description>corps</description></item></channel></rss>"
    )
    by_link, by_hash = parse_feed(no_guid, {"content-type": "application/rss+xml"}, "f", "http://x/").articles
    assert by_link.key == "http://x/a"
    assert by_hash.key.startswith("sha256:")
    assert parse_feed(no_guid, {"content-type": "application/rss+xml"}, "f", "http://x/").articles[1].key == by_hash.key


def test_html_to_text_keeps_paragraphs_and_drops_everything_else():
    html = (
        '<div><h2>Titre</h2><p>Un &eacute;t&eacute; &#224; <a href="x">Alep</a></p><ul><li>un</li><li>deux</li>'
        '</ul><style>p{color:red}</style><iframe src="x">cadre</iframe>fin <a hre'
    )
    assert html_to_text(html) == "Titre\n\nUn été à Alep\n\nun\n\ndeux\n\nfin"


def test_conditional_get_round_trip(feed_server):
    body = rss(("1", "Hama", "Tirs à Hama."))

    def feed(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(
            200,
            body,
            {"Content-Type": "application/rss+xml", "ETag": '"v1"', "Last-Modified": "Wed, 08 Nov 2017 10:00:00 GMT"},
        )

    feed_server.routes["/feed"] = feed
    with Fetcher(FAST) as fetcher:
        first = FeedSource("t", feed_server.url("/feed"), fetcher).read()
        second = FeedSource("t", feed_server.url("/feed"), fetcher, first.validators).read()
    assert len(first.articles) == 1
    assert first.validators == {"etag": '"v1"', "last-modified": "Wed, 08 Nov 2017 10:00:00 GMT"}
    assert second.outcome is SourceOutcome.NOT_MODIFIED and second.articles == ()
    assert second.validators == first.validators
    assert feed_server.hits("/feed")[1].headers["if-modified-since"] == "Wed, 08 Nov 2017 10:00:00 GMT"


def test_a_timeout_is_retried_then_reported(feed_server):
    feed_server.routes["/slow"] = Reply(200, rss(), delay=1.0)
    policy = FetchPolicy(timeout_seconds=0.2, attempts=2, backoff_seconds=0.01, allowed_networks=ALLOW_FEED_SERVER)
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match=r"timed out after 0.2 s \(after 2 attempts\)"):
        fetcher.fetch(feed_server.url("/slow"))
    assert len(feed_server.hits("/slow")) == 2


def test_a_500_then_a_200_succeeds_and_a_404_is_not_retried(feed_server):
    replies = iter([Reply(500, b"oops"), Reply(200, rss(("1", "t", "d")), {"Content-Type": "application/rss+xml"})])
    feed_server.routes["/flaky"] = lambda request: next(replies)
    feed_server.routes["/gone"] = Reply(404, b"no")
    with Fetcher(FAST) as fetcher:
        assert len(FeedSource("t", feed_server.url("/flaky"), fetcher).read().articles) == 1
        with pytest.raises(FetchError, match="HTTP 404"):
            fetcher.fetch(feed_server.url("/gone"))
    assert len(feed_server.hits("/flaky")) == 2
    assert len(feed_server.hits("/gone")) == 1


def test_a_redirect_loop_is_stopped(feed_server):
    feed_server.routes["/a"] = Reply(302, headers={"Location": "/b"})
    feed_server.routes["/b"] = Reply(302, headers={"Location": "/a"})
    with Fetcher(FAST) as fetcher, pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher.fetch(feed_server.url("/a"))
    assert len(feed_server.requests) == 6


def test_a_redirect_is_followed(feed_server):
    feed_server.routes["/old"] = Reply(301, headers={"Location": "/new"})
    feed_server.routes["/new"] = Reply(200, rss(("1", "t", "d")), {"Content-Type": "application/rss+xml"})
    with Fetcher(FAST) as fetcher:
        assert len(FeedSource("t", feed_server.url("/old"), fetcher).read().articles) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_response_larger_than_the_cap_is_refused(feed_server, chunked):
    feed_server.routes["/big"] = Reply(200, b"<rss>" + b"x" * 300_000 + b"</rss>", chunked=chunked)
    policy = FetchPolicy(max_bytes=100_000, attempts=1, allowed_networks=ALLOW_FEED_SERVER)
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match="larger than the 100000-byte limit"):
        fetcher.fetch(feed_server.url("/big"))


def test_gzip_is_decoded_and_a_gzip_bomb_stopped_at_the_cap(feed_server):
    feed = rss(("1", "Hama", "Tirs à Hama."))
    feed_server.routes["/gz"] = Reply(
        200, gzip.compress(feed), {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
    )
    bomb = gzip.compress(b"<rss>" + b" " * 200_000_000)
    feed_server.routes["/bomb"] = Reply(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})
    with Fetcher(FetchPolicy(max_bytes=5_000_000, attempts=1, allowed_networks=ALLOW_FEED_SERVER)) as fetcher:
        (article,) = FeedSource("t", feed_server.url("/gz"), fetcher).read().articles
        assert "Tirs à Hama." in article.text
        assert "gzip" in feed_server.hits("/gz")[0].headers["accept-encoding"]
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(FetchError, match="larger than the 5000000-byte limit"):
            fetcher.fetch(feed_server.url("/bomb"))
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(bomb) < 300_000
    assert grown_mb < 100, f"a {len(bomb)}-byte gzip bomb grew memory by {grown_mb:.0f} MB"


def test_a_charset_given_only_in_the_header_is_used(feed_server):
    body = (
        '<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>Lattaquié</title>'
        "<description>Frappe près de Lattaquié</description></item></channel></rss>"
    ).encode("iso-8859-1")
    feed_server.routes["/latin"] = Reply(200, body, {"Content-Type": "application/rss+xml; charset=iso-8859-1"})
    with Fetcher(FAST) as fetcher:
        (article,) = FeedSource("t", feed_server.url("/latin"), fetcher).read().articles
    assert article.title == "Lattaquié"


def test_the_user_agent_is_honest(feed_server):
    feed_server.routes["/f"] = Reply(200, rss(), {"Content-Type": "application/rss+xml"})
    with Fetcher(FAST) as fetcher:
        fetcher.fetch(feed_server.url("/f"))
    assert feed_server.requests[0].headers["user-agent"].startswith("Veille/")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lollollollollollollollollollol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><guid>1</guid><title>&lol9;</title></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>x&secret;y</title></item></channel></rss>"""


def read_one(feed_server, body: bytes, content_type: str, policy: FetchPolicy = FAST):
    feed_server.routes["/f"] = Reply(200, body, {"Content-Type": content_type})
    with Fetcher(policy) as fetcher:
        (batch,) = read_all([FeedSource("bad", feed_server.url("/f"), fetcher)])
    return batch


def test_an_xml_entity_bomb_is_not_expanded(feed_server):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    batch = read_one(feed_server, BILLION_LAUGHS, "application/rss+xml")
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100 and elapsed < 10, (grown_mb, elapsed)
    assert all(len(article.text) < 10_000 for article in batch.articles)
    assert batch.failure or batch.warning


def test_an_external_entity_is_not_read(feed_server):
    batch = read_one(feed_server, EXTERNAL_ENTITY, "application/rss+xml")
    assert "root:" not in " ".join(a.text + a.title for a in batch.articles)


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (
            b"<!doctype html><html><head><title>Accueil</title></head><body><p>Bonjour</p></body></html>",
            "text/html; charset=utf-8",
            "not a feed (text/html)",
        ),
        (b"", "application/rss+xml", "empty body, not a feed"),
        (b"<rss version='2.0'><channel><title>t</title><item><guid>1</guid><title>cut", "application/rss+xml", None),
        (b'{"not": "a feed"}', "application/json", "not a feed: JSON without an 'items' list"),
    ],
    ids=["html-page", "empty-body", "truncated-xml", "json-not-a-feed"],
)
def test_bad_bodies_give_a_clear_error_on_that_source(feed_server, body, content_type, problem):
    batch = read_one(feed_server, body, content_type)
    if problem is None:  # truncated XML: the entries read are kept, the problem recorded
        assert batch.warning.startswith("malformed feed") and len(batch.articles) == 1
    else:
        assert batch.failure.startswith(problem), batch.failure


def test_a_20_mb_feed_is_refused_without_reading_it_all(feed_server):
    item = b"<item><guid>x</guid><title>Hama</title><description>" + b"y" * 1000 + b"</description></item>"
    body = b"<rss version='2.0'><channel><title>t</title>" + item * 20_000 + b"</channel></rss>"
    assert len(body) > 20_000_000
    batch = read_one(
        feed_server, body, "application/rss+xml", FetchPolicy(attempts=1, allowed_networks=ALLOW_FEED_SERVER)
    )
    assert re.fullmatch(r"response of \d+ bytes is larger than the 10000000-byte limit", batch.failure)


def test_tls_and_dns_errors_are_clear(feed_server):
    with Fetcher(FetchPolicy(timeout_seconds=5, attempts=1, allowed_networks=ALLOW_FEED_SERVER)) as fetcher:
        (tls,) = read_all([FeedSource("tls", f"https://127.0.0.1:{feed_server.port}/f", fetcher)])
        (dns,) = read_all([FeedSource("dns", "http://veille-test.invalid/feed", fetcher)])
    assert tls.failure.startswith("cannot connect: ") and "SSL" in tls.failure.upper()
    assert dns.failure.startswith("cannot connect: ")


def test_an_unexpected_error_in_one_source_does_not_stop_the_others(feed_server):
    class Broken:
        name = "feed:broken"

        def read(self):
            raise KeyError("a field nobody expected")

    feed_server.routes["/ok"] = Reply(200, rss(("1", "Hama", "Tirs à Hama.")), {"Content-Type": "application/rss+xml"})
    with Fetcher(FAST) as fetcher:
        broken, ok = read_all([Broken(), FeedSource("ok", feed_server.url("/ok"), fetcher)])
    assert broken.failure.startswith("unexpected KeyError") and broken.articles == ()
    assert len(ok.articles) == 1 and ok.failure is None
