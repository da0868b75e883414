"""Goal 5 of issue #14: 10,000 feeds in one monitor run, served locally.

    .venv/bin/python -m bench --only feeds_scale [--quick]

10,000 feeds (quick: 1,000) of 20 entries each, served by bench/feed_farm.py (asyncio, a subprocess)
on 8 loopback addresses, as 8 hosts. A fresh data folder is primed by one poll through Veille's fetch
stage, its validators recorded by the store's own record_source_reads and its 20 entries a feed written
as stored articles (running the model over a 200,000-entry backlog is another benchmark's business).
Then the real monitor flow, on one throw-away Prefect server, polls them all, A B A B: A where no feed
changed (all 304), B after 1% of the feeds got a new entry (200 for those, 304 for the rest). Timed:
the whole flow call (read, find_changes, extraction of the new entries, health recorded and alerted on,
delivery, report). Counted: the flow run's fetch_feeds task runs, through the Prefect API.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from bench.figures import Figure, alternate, median, spread

ROOT = Path(__file__).resolve().parents[1]
HOSTS = [f"127.0.0.{n}" for n in range(1, 9)]
ITEMS = 20
CHANGED_SHARE = 0.01
GOAL = "5. 10,000 feeds in one run"


def measure(quick: bool) -> list[Figure]:
    feeds = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as scratch, _farm(feeds) as farm:
        workdir = Path(scratch)
        urls = [farm.feed_url(n) for n in range(feeds)]
        with _settings(workdir, urls):
            primed = _prime()
            return _poll(feeds, farm, primed)


def _poll(feeds: int, farm: _Farm, primed: float) -> list[Figure]:
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from flows.monitor import FEEDS_PER_TASK, monitor
    from veille.records import SourceOutcome

    changed = max(1, round(feeds * CHANGED_SHARE))
    task_runs: list[int] = []
    server_cpu: dict[str, list[float]] = {"unchanged": [], "changed": []}

    def poll(kind: str, expected_read: int) -> float:
        cpu = farm.cpu()
        started = time.perf_counter()
        state = monitor(return_state=True)
        seconds = time.perf_counter() - started
        server_cpu[kind].append(farm.cpu() - cpu)
        if not state.is_completed():
            raise RuntimeError(f"monitor run ended {state.type}: {state.message}")
        summary = state.result()
        outcomes = [batch.outcome for batch in summary.batches]
        read = outcomes.count(SourceOutcome.READ)
        if read != expected_read or outcomes.count(SourceOutcome.NOT_MODIFIED) != feeds - expected_read:
            counts = {str(outcome): outcomes.count(outcome) for outcome in set(outcomes)}
            raise RuntimeError(f"expected {expected_read} feeds read and the rest 304; got {counts}")
        if len(summary.sources) != feeds:
            raise RuntimeError(f"health of {len(summary.sources)} feeds reported, not {feeds}")
        task_runs.append(_fetch_task_runs(PREFECT_API_URL.value(), state.state_details.flow_run_id))
        return seconds

    def unchanged() -> float:
        return poll("unchanged", 0)

    def one_percent_changed() -> float:
        farm.bump(changed)
        return poll("changed", changed)

    with prefect_test_harness(server_startup_timeout=120):
        samples = alternate({"unchanged": unchanged, "changed": one_percent_changed}, rounds=2)
    bound = math.ceil(feeds / FEEDS_PER_TASK)
    where = (
        f"{feeds} feeds of {ITEMS} entries on {len(HOSTS)} loopback hosts (bench/feed_farm.py, asyncio, a subprocess "
        f"sharing the 2 cores), whole monitor flow run on a throw-away Prefect server; primed in {primed:.0f} s"
    )
    return [
        Figure(
            GOAL,
            f"no-change poll of {feeds} feeds (all 304)",
            median(samples["unchanged"]),
            "s",
            "< 60",
            median(samples["unchanged"]) < 60,
            f"{where}; {spread(samples['unchanged'])}; feed server CPU {spread(server_cpu['unchanged'])}",
            samples,
        ),
        Figure(
            GOAL,
            f"1%-changed poll of {feeds} feeds ({changed} with a new entry, the rest 304)",
            median(samples["changed"]),
            "s",
            "< 120",
            median(samples["changed"]) < 120,
            f"{where}; {spread(samples['changed'])}; feed server CPU {spread(server_cpu['changed'])}",
            samples,
        ),
        Figure(
            GOAL,
            f"fetch task runs per poll of {feeds} feeds",
            max(task_runs),
            "task runs",
            f"bounded: <= ceil({feeds}/{FEEDS_PER_TASK}) = {bound}",
            max(task_runs) <= bound,
            f"fetch_feeds task runs counted through the Prefect API, per run: {task_runs}",
        ),
    ]


def _prime() -> float:
    """One poll through Veille's fetch stage; its validators and entries stored. Its seconds."""
    from sqlalchemy import insert, select

    from flows.common import load_configuration, open_store
    from flows.monitor import FetchPolicy
    from veille.ingest.feeds import FeedSource
    from veille.ingest.fetch import Fetcher
    from veille.ingest.polling import read_feeds
    from veille.records import SourceOutcome
    from veille.store.models import ArticleRow, SourceRow, StoryRow

    started = time.perf_counter()
    config = load_configuration(with_blocks=False)
    settings = config.settings
    policy = FetchPolicy(allowed_networks=settings.fetch_allowed_networks_value, per_host=settings.fetch_per_host)
    with Fetcher(policy) as fetcher:
        sources = [FeedSource(feed.name, feed.url, fetcher) for feed in config.sources.feeds]
        batches = read_feeds(sources, time.monotonic() + 600, "too slow", settings.fetch_concurrency)
    failed = [batch for batch in batches if batch.outcome is not SourceOutcome.READ]
    if failed:
        raise RuntimeError(f"priming: {len(failed)} feeds not read, e.g. {failed[0].source}: {failed[0].problem}")
    now = datetime.now(UTC)
    store = open_store(settings)
    try:
        store.record_source_reads(batches, now)
        engine = store.engine  # type: ignore[attr-defined]
        with engine.begin() as connection:
            ids = dict(connection.execute(select(SourceRow.name, SourceRow.id)).tuples().all())
            story = connection.execute(insert(StoryRow).values(title="primed", created_at=now)).inserted_primary_key[0]
            rows = [
                {
                    "source_id": ids[batch.source],
                    "story_id": story,
                    "key": article.key,
                    "title": article.title,
                    "location": article.location,
                    "text": article.text,
                    "content_hash": article.content_hash,
                    "published_at": article.published_at,
                    "first_seen_at": now,
                    "changed_at": now,
                }
                for batch in batches
                for article in batch.articles
            ]
            connection.execute(insert(ArticleRow), rows)
    finally:
        store.close()
    return time.perf_counter() - started


def _fetch_task_runs(api_url: str, flow_run_id: object) -> int:
    query = {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}, "task_runs": {"name": {"like_": "fetch_feeds"}}}
    with httpx.Client(base_url=api_url.rstrip("/"), timeout=30) as client:
        return int(client.post("/task_runs/count", json=query).raise_for_status().json())


class _Farm:
    def __init__(self, process: subprocess.Popen[str], ports: list[int], feeds: int) -> None:
        self.process = process
        self.ports = ports
        self.feeds = feeds
        self._client = httpx.Client(base_url=f"http://{HOSTS[0]}:{ports[0]}", timeout=30)

    def feed_url(self, feed: int) -> str:
        host = feed % len(HOSTS)
        return f"http://{HOSTS[host]}:{self.ports[host]}/feed/{feed}"

    def bump(self, count: int) -> None:
        self._client.get(f"/bump/{count}").raise_for_status()

    def cpu(self) -> float:
        return float(self._client.get("/cpu").raise_for_status().text)

    def close(self) -> None:
        self._client.close()
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def _farm(feeds: int) -> Iterator[_Farm]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "feed_farm.py"), str(feeds), str(ITEMS), *HOSTS],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    farm = _Farm(process, [int(process.stdout.readline()) for _ in HOSTS], feeds)
    try:
        yield farm
    finally:
        farm.close()


@contextmanager
def _settings(workdir: Path, urls: list[str]) -> Iterator[None]:
    """VEILLE_* pointing into `workdir`, with its sources.yaml of these feeds; as they were afterwards."""
    shutil.copytree(ROOT / "config", workdir / "config")
    sources = workdir / "config" / "sources.yaml"
    sources.write_text(
        yaml.safe_dump({"folders": [], "feeds": [{"name": f"f{n}", "url": url} for n, url in enumerate(urls)]}),
        encoding="utf-8",
    )
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("VEILLE_")]:
        del os.environ[name]
    os.environ.update(
        {
            "VEILLE_DATA_DIR": str(workdir / "data"),
            "VEILLE_SOURCES_FILE": str(sources),
            "VEILLE_WATCHLIST_FILE": str(workdir / "config" / "watchlist.yaml"),
            "VEILLE_TARGETS_FILE": str(workdir / "config" / "targets.yaml"),
            "VEILLE_RULES_FILE": str(workdir / "config" / "rules.yaml"),
            "VEILLE_FETCH_ALLOWED_NETWORKS": "127.0.0.0/24",
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
