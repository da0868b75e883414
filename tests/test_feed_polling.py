"""Many feeds fetched side by side (veille.ingest.polling): per-host and global limits, one instant for all."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.feedserver import RSS, FeedServer, Reply, rss
from veille.ingest.feeds import FeedSource
from veille.ingest.fetch import Fetcher, FetchPolicy
from veille.ingest.guard import parse_networks
from veille.ingest.polling import read_feeds
from veille.records import SourceOutcome

LOOPBACK = parse_networks("127.0.0.0/24")
LATE = "not read in time"
FEED = rss(("a1", "Titre", "Un texte."))


@pytest.fixture
def servers() -> Iterator[list[FeedServer]]:
    """Two feed servers on two loopback addresses: two hosts to Veille."""
    started = [FeedServer("127.0.0.1"), FeedServer("127.0.0.2")]
    yield started
    for server in started:
        server.close()


def feeds_on(server: FeedServer, fetcher: Fetcher, count: int, reply: Reply, prefix: str = "f") -> list[FeedSource]:
    for n in range(count):
        server.routes[f"/{prefix}{n}"] = reply
    return [FeedSource(f"{server.host}-{prefix}{n}", server.url(f"/{prefix}{n}"), fetcher) for n in range(count)]


def policy(**overrides: float) -> FetchPolicy:
    return FetchPolicy(**{"attempts": 1, "allowed_networks": LOOPBACK, **overrides})  # type: ignore[arg-type]


def test_fetches_to_one_host_never_outnumber_its_per_host_limit(servers):
    with Fetcher(policy(per_host=3, concurrency=32)) as fetcher:
        feeds = [feed for server in servers for feed in feeds_on(server, fetcher, 15, Reply(200, FEED, RSS, 0.1))]
        batches = read_feeds(feeds, time.monotonic() + 30, LATE, workers=32)

    assert [batch.source for batch in batches] == [feed.name for feed in feeds], "in the order given"
    assert {batch.outcome for batch in batches} == {SourceOutcome.READ}
    assert [server.most_in_flight for server in servers] == [3, 3], "each host at its limit, never above"


def test_the_global_limit_bounds_the_fetches_of_every_host_together(servers):
    with Fetcher(policy(per_host=10, concurrency=2)) as fetcher:
        feeds = feeds_on(servers[0], fetcher, 12, Reply(200, FEED, RSS, 0.1))
        batches = read_feeds(feeds, time.monotonic() + 30, LATE, workers=32)

    assert {batch.outcome for batch in batches} == {SourceOutcome.READ}
    assert servers[0].most_in_flight == 2


def test_a_hanging_feed_fails_by_the_instant_given_and_only_itself(servers):
    with Fetcher(policy(deadline_seconds=30, per_host=4)) as fetcher:
        feeds = feeds_on(servers[0], fetcher, 8, Reply(200, FEED, RSS))
        feeds[3:3] = feeds_on(servers[0], fetcher, 1, Reply(200, FEED, RSS, delay=10), prefix="hang")
        started = time.monotonic()
        batches = read_feeds(feeds, started + 1.0, LATE, workers=8)
        elapsed = time.monotonic() - started

    failed = [(batch.source, batch.problem) for batch in batches if batch.outcome is SourceOutcome.FAILED]
    assert failed == [("feed:127.0.0.1-hang0", LATE)]
    assert sum(batch.outcome is SourceOutcome.READ for batch in batches) == 8
    assert elapsed < 3, "the hanging feed was cut at the instant, not at its 30 s deadline"


def test_waiting_for_a_busy_host_does_not_count_against_a_fetch_s_deadline(servers):
    # One at a time, 0.4 s each: the third waits 0.8 s for its turn, more than its 0.6 s deadline.
    with Fetcher(policy(deadline_seconds=0.6, per_host=1)) as fetcher:
        feeds = feeds_on(servers[0], fetcher, 3, Reply(200, FEED, RSS, delay=0.4))
        batches = read_feeds(feeds, time.monotonic() + 30, LATE, workers=3)

    assert [batch.outcome for batch in batches] == [SourceOutcome.READ] * 3, [batch.problem for batch in batches]
    assert servers[0].most_in_flight == 1


def test_feeds_still_waiting_for_their_host_at_the_instant_fail_late(servers):
    with Fetcher(policy(per_host=1)) as fetcher:
        feeds = feeds_on(servers[0], fetcher, 4, Reply(200, FEED, RSS, delay=0.5))
        batches = read_feeds(feeds, time.monotonic() + 0.8, LATE, workers=4)

    assert [batch.outcome for batch in batches].count(SourceOutcome.READ) == 1
    assert [batch.problem for batch in batches if batch.outcome is SourceOutcome.FAILED] == [LATE] * 3
