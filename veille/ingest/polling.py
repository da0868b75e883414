"""Many feeds read side by side in one call: a thread each from a bounded pool, all by one instant."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from veille.ingest import read_all
from veille.ingest.feeds import FeedSource
from veille.records import SourceBatch, SourceOutcome


def read_feeds(feeds: Sequence[FeedSource], until: float, late: str, workers: int) -> list[SourceBatch]:
    """Every feed's batch, in the order given; each fetch ends by `until` (a time.monotonic() instant).

    A feed still unread at `until` fails with `late` as its problem: the feeds before it keep theirs.
    The Fetcher's slots bound how many fetches run at once to a host and in all; `workers` only bounds
    the threads waiting for them.
    """
    if not feeds:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(feeds))), thread_name_prefix="fetch") as pool:
        return list(pool.map(partial(_read_one, until=until, late=late), feeds))


def _read_one(feed: FeedSource, until: float, late: str) -> SourceBatch:
    if time.monotonic() >= until:
        return SourceBatch.failed(feed.name, late)
    batch = read_all([_ByInstant(feed, until)])[0]
    if batch.outcome is SourceOutcome.FAILED and time.monotonic() >= until:
        return SourceBatch.failed(feed.name, late)
    return batch


class _ByInstant:
    """A feed read as a Source (veille.interfaces) whose fetch ends by `until`."""

    def __init__(self, feed: FeedSource, until: float) -> None:
        self._feed = feed
        self._until = until

    @property
    def name(self) -> str:
        return self._feed.name

    def read(self) -> SourceBatch:
        return self._feed.read(self._until)
