"""Polling 50 local feeds: all unchanged (304) against all changed, through Veille's fetch stage.

    .venv/bin/python bench/feeds_poll.py [--feeds 50] [--items 20] [--rounds 3] [--no-prefect]

Feeds are served by a local HTTP server on 127.0.0.1, which the Fetcher is told to allow (Veille
refuses loopback addresses by default). Each figure is the best of `rounds`, measured
in the same run (read the ratios: these machines are shared and noisy):
  - sequential: FeedSource.read() one feed after the other;
  - threads: the same in 8 threads, as Prefect's thread pool runs the flow's fetch_feed tasks;
  - prefect: the flow's own fetch_feed tasks, submitted in a flow on a throw-away Prefect server.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.environment import offline_defaults  # noqa: E402
from tests.feedserver import ALLOW_FEED_SERVER, FeedServer, Reply, rss  # noqa: E402
from veille.ingest.feeds import FeedSource  # noqa: E402
from veille.ingest.fetch import Fetcher, FetchPolicy  # noqa: E402
from veille.records import SourceOutcome  # noqa: E402

PARAGRAPH = (
    "Les combats se poursuivent près de Deir ez-Zor, où l'armée syrienne avance vers al-Boukamal, "
    "selon des sources locales jointes par téléphone. "
) * 6


def serve(count: int, items: int) -> tuple[FeedServer, list[str], dict[str, bool]]:
    server = FeedServer()
    mode = {"changed": False}
    bodies = {}
    for n in range(count):
        bodies[n] = rss(*((f"f{n}-{i}", f"Dépêche {i} du flux {n}", PARAGRAPH) for i in range(items)))

        def route(request, n=n):
            if not mode["changed"] and request.headers.get("if-none-match") == f'"feed-{n}"':
                return Reply(304, headers={"ETag": f'"feed-{n}"'})
            return Reply(200, bodies[n], {"Content-Type": "application/rss+xml", "ETag": f'"feed-{n}"'})

        server.routes[f"/feed/{n}"] = route
    return server, [server.url(f"/feed/{n}") for n in range(count)], mode


def poll_sequential(sources: list[FeedSource]) -> list:
    return [source.read() for source in sources]


def poll_threads(sources: list[FeedSource]) -> list:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda source: source.read(), sources))


def best_of(rounds: int, poll, sources) -> tuple[float, list]:
    best, batches = None, []
    for _ in range(rounds):
        started = time.perf_counter()
        batches = poll(sources)
        # The Prefect poller times its fetch stage inside the flow, without the flow run's own start.
        elapsed = poll.inner.pop() if hasattr(poll, "inner") else time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, batches


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-prefect", action="store_true")
    args = parser.parse_args()

    server, urls, mode = serve(args.feeds, args.items)
    fetcher = Fetcher(FetchPolicy(attempts=1, allowed_networks=ALLOW_FEED_SERVER))
    first = [FeedSource(f"f{n}", url, fetcher).read() for n, url in enumerate(urls)]
    with_validators = [FeedSource(f"f{n}", url, fetcher, first[n].validators) for n, url in enumerate(urls)]
    size = len(server.routes["/feed/0"](type("R", (), {"headers": {}})()).body)

    results = {}
    pollers = {"sequential": poll_sequential, "8 threads": poll_threads}
    if not args.no_prefect:
        pollers["prefect tasks"] = prefect_poller()
    for name, poll in pollers.items():
        for changed in (False, True):
            mode["changed"] = changed
            elapsed, batches = best_of(args.rounds, poll, with_validators)
            unchanged = sum(batch.outcome is SourceOutcome.NOT_MODIFIED for batch in batches)
            results[(name, changed)] = (elapsed, unchanged, sum(len(b.articles) for b in batches))

    print(f"{args.feeds} feeds of {args.items} entries ({size // 1024} KiB each), best of {args.rounds}")
    for name in pollers:
        same, changed = results[(name, False)], results[(name, True)]
        print(
            f"  {name:14} all 304: {same[0] * 1000:7.0f} ms ({same[1]} not modified)   "
            f"all changed: {changed[0] * 1000:7.0f} ms ({changed[2]} entries parsed)   "
            f"ratio x{changed[0] / same[0]:.1f}"
        )
    fetcher.close()
    server.close()


def prefect_poller():
    """Run the flow's fetch_feed tasks in a flow, timing the fetch stage inside it."""
    from prefect import flow

    from tasks.ingest import fetch_feed

    @flow(name="bench-feeds-poll")
    def poll_flow(sources: list[FeedSource]) -> tuple[float, list]:
        started = time.perf_counter()
        batches = [future.result() for future in [fetch_feed.submit(source) for source in sources]]
        return time.perf_counter() - started, batches

    def poll(sources):
        with offline_defaults():
            elapsed, batches = poll_flow(sources)
        poll.inner.append(elapsed)
        return batches

    poll.inner = []
    return poll


if __name__ == "__main__":
    main()
