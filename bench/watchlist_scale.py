"""Goal 2 of issue #14, flat in the watch list: a monitor run with 10,000 watched entries against one with
the 29 of config/watchlist.yaml, end to end, over the same news stream.

    .venv/bin/python -m bench --only watchlist_scale [--quick]

Each side is a whole `python -m flows.monitor --folder DIR` in a fresh data folder (start-up, loading the
watch list, reading, extracting, recording, delivering to the alert file), timed A B A B. "Warm": the
compiled watch list is already in data/cache/, as for every scheduled run after the first; "cold": the
first run after the file changed, which reads, validates and indexes it. The 10,000 entries are the
shipped ones and made-up names the stream never mentions (bench/big_watchlist.py checks it with the
pre-filter): both sides send the same articles to the model and must give the same alerts, which the
benchmark checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.big_watchlist import big_watchlist
from bench.corpus import news_stream, passages, write_stream
from bench.figures import Figure, alternate, median, ratio, spread

ROOT = Path(__file__).resolve().parents[1]
GOAL = "2. flat in the watch list"
TARGET = "<= 1.1"
WATCHED_SHARE = 0.3


def monitor_env(watchlist: Path, data: Path, fresh: bool) -> dict[str, str]:
    """The environment of a monitor run as bench/monitor_eval.py sets it, with its own data folder
    (emptied first when `fresh`)."""
    if fresh:
        shutil.rmtree(data, ignore_errors=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith("VEILLE_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "VEILLE_WATCHLIST_FILE": str(watchlist),
        "VEILLE_DATA_DIR": str(data),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


def monitor_run(workdir: Path, folder: Path, watchlist: Path, cache: Path) -> set[tuple[str, str]]:
    """One monitor run over `folder` in a fresh data folder, with `cache` as its data/cache (if any: else
    the run leaves its cache there); the (article, entry) pairs it alerted on."""
    data = workdir / "data"
    env = monitor_env(watchlist, data, fresh=True)
    if cache.exists():
        shutil.copytree(cache, data / "cache")
    done = subprocess.run(
        [sys.executable, "-m", "flows.monitor", "--folder", str(folder)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"monitor run failed: {(done.stdout + done.stderr)[-2000:]}")
    if not cache.exists():
        shutil.copytree(data / "cache", cache)
    return alerted(data / "alerts.jsonl")


def alerted(alert_file: Path) -> set[tuple[str, str]]:
    pairs = set()
    for line in alert_file.read_text(encoding="utf-8").splitlines() if alert_file.exists() else []:
        fields = json.loads(line).get("fields", {})
        article = Path(str(fields.get("article", {}).get("location", ""))).name
        pairs |= {(article, entry["id"]) for entry in fields.get("entries", [])}
    return pairs


def project(workdir: Path) -> None:
    """The shipped configuration, reading no source but the run's folder."""
    shutil.copytree(ROOT / "config", workdir / "config")
    (workdir / "config" / "sources.yaml").write_text("folders: []\nfeeds: []\n", encoding="utf-8")


def measure(quick: bool) -> list[Figure]:
    # Three rounds: a median of two runs of ~55 s moved by several seconds on these shared machines.
    articles, rounds, entries = (100, 1, 10_000) if quick else (1_000, 3, 10_000)
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as scratch:
        root = Path(scratch)
        folder = write_stream(root / "articles", news_stream(articles, WATCHED_SHARE))
        small = ROOT / "config" / "watchlist.yaml"
        pool = passages()
        large = big_watchlist(entries, root, unmentioned_in=pool.quiet + pool.watched)
        project(root / "run")
        results: dict[str, set[tuple[str, str]]] = {}

        def side(name: str, watchlist: Path, warm: bool) -> Callable[[], None]:
            # A cold run starts with no cache; the first one leaves the cache every warm run starts with.
            kept = root / f"cache-{watchlist.stem}"

            def run() -> None:
                results[name] = monitor_run(root / "run", folder, watchlist, kept if warm else root / "none")
                shutil.rmtree(root / "none", ignore_errors=True)
                if not kept.exists():
                    shutil.copytree(root / "run" / "data" / "cache", kept)

            return run

        samples = alternate(
            {
                "small cold": side("small cold", small, False),
                "large cold": side("large cold", large, False),
                "small": side("small", small, True),
                "large": side("large", large, True),
            },
            rounds,
        )
    # The stream names no made-up entry: the long list must alert exactly as the short one, so that both
    # sides send the same articles to the model and the ratio is the cost of the entries alone.
    if len({frozenset(pairs) for pairs in results.values()}) != 1:
        sizes_seen = {name: len(pairs) for name, pairs in results.items()}
        raise RuntimeError(f"the watch lists alerted differently: (article, entry) pairs {sizes_seen}")
    sizes = (
        f"{articles:,} articles ({WATCHED_SHARE:.0%} watched), {len(results['small'])} alerted (article, entry) "
        f"pairs either way (the stream mentions none of the made-up entries)"
    )
    figures = []
    for warmth, suffix in (("warm", ""), ("cold", " cold")):
        value = ratio(samples["large" + suffix], samples["small" + suffix])
        figures.append(
            Figure(
                goal=GOAL,
                name=f"wall time, {entries:,} entries / 29 entries, index cache {warmth}",
                value=value,
                unit="x",
                target=TARGET,
                met=value <= 1.1,
                detail=(
                    f"whole `python -m flows.monitor --folder`, fresh data folder, {sizes}; "
                    f"{entries:,}: {spread(samples['large' + suffix])}; 29: {spread(samples['small' + suffix])}"
                ),
                samples={"large": samples["large" + suffix], "small": samples["small" + suffix]},
            )
        )
    extra = median(samples["large cold"]) - median(samples["large"])
    figures.append(
        Figure(
            goal=GOAL,
            name=f"what a cold cache costs, {entries:,} entries",
            value=extra,
            unit="s",
            target="reported",
            met=None,
            detail="median cold run minus median warm run: reading, validating and indexing the watch list",
        )
    )
    return figures
