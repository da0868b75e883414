"""Goal 6 of issue #14: scale-out on Prefect workers. One worker running every source against two workers
running a shard each, pulling from one Prefect server on PostgreSQL and writing to one PostgreSQL database.

    .venv/bin/python -m bench --only scaleout [--quick]

An extraction-bound corpus (every article mentions a watched entry: news_stream(N, 1.0)) in two folders
that fall in the two shards. Each run starts on a fresh Veille database; the wall time is from starting
the runs to their end, start-up of each flow run (imports, the model) included, A B A B. 1,000 articles, as
goal 1's streams: every run pays about 8 s of start-up whatever its size, which two workers cannot halve,
so a small corpus measures start-up more than extraction (400 articles gave 1.38x).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.cluster import folder_names, postgres_available, scaled_out, scenario
from bench.corpus import news_stream
from bench.figures import Figure, alternate, ratio, spread
from bench.monitor_run import warm_cache

GOAL = "6. scale-out on Prefect workers"
SHARDS = ["monitor/monitor-shard-1", "monitor/monitor-shard-2"]


def measure(quick: bool) -> list[Figure]:
    problem = postgres_available()
    if problem:
        return [Figure(GOAL, "speed-up, 2 workers on 2 shards / 1 worker", 0.0, "x", ">= 1.6", None, problem)]
    count, rounds = (60, 1) if quick else (1000, 2)
    articles = news_stream(count, 1.0)
    names = folder_names(2, 2)
    folders = {names[0]: articles[0::2], names[1]: articles[1::2]}
    alerts: dict[str, list[Counter[tuple[str, str]]]] = {"one": [], "two": []}
    with tempfile.TemporaryDirectory(prefix="veille-scaleout-") as folder:
        work = Path(folder)
        # Made once: every run starts with it, as each worker's machine has it after its first run.
        cache = warm_cache(work / "warm-cache")
        with scaled_out(work, workers=2) as cluster:
            rounds_done = Counter[str]()

            def side(name: str, deployments: list[str]) -> float:
                rounds_done[name] += 1
                with scenario(work / f"{name}-{rounds_done[name]}", folders, cache) as setup:
                    started = time.perf_counter()
                    states = cluster.run(deployments, setup.environ, timeout=1800)
                    took = time.perf_counter() - started
                    if not all(state.startswith("COMPLETED") for state in states):
                        raise RuntimeError(f"{', '.join(deployments)} ended {states}")
                    alerts[name].append(_alerts(setup.database))
                return took

            samples = alternate(
                {"one": lambda: side("one", ["monitor/monitor"]), "two": lambda: side("two", SHARDS)}, rounds
            )
    speedup = ratio(samples["one"], samples["two"])
    expected = alerts["one"][0]
    wrong = sum(sum(((got - expected) + (expected - got)).values()) for got in alerts["one"] + alerts["two"])
    sizes = f"{count} articles (news_stream({count}, 1.0)) in 2 folders, one per shard"
    return [
        Figure(
            GOAL,
            "speed-up, 2 workers on 2 shards / 1 worker running everything",
            speedup,
            "x",
            ">= 1.6",
            speedup >= 1.6,
            f"{sizes}; 1 worker {spread(samples['one'])}, 2 workers {spread(samples['two'])}; "
            "each run from its start to its end on a fresh database, flow-run start-up included",
            samples,
        ),
        Figure(
            GOAL,
            "alerts duplicated or lost by the 2 shards, against 1 run of everything",
            float(wrong),
            "alerts",
            "0",
            wrong == 0,
            f"{sizes}; {sum(expected.values())} alerts a run",
        ),
    ]


def _alerts(database: str) -> Counter[tuple[str, str]]:
    """(article key, entry id) of each alert entry of `database`, counted."""
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={database}") as conn:
        rows = conn.execute(
            "SELECT ar.key, e.entry_id FROM alert_entries e JOIN articles ar ON ar.id = e.article_id "
            "WHERE e.alert_id IS NOT NULL"
        ).fetchall()
    return Counter((key, entry) for key, entry in rows)
