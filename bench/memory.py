"""Goal 3 of issue #14, flat in memory: the peak RSS of a monitor run over 10,000 articles against one
over 1,000 (quick: 1,000 against 100).

    .venv/bin/python -m bench --only memory [--quick]

Each run is a whole `python -m flows.monitor --folder DIR` in a fresh data folder, its peak resident
set read from the kernel (getrusage of the waited-for child, ru_maxrss) by a small parent process per
run, so that one run's peak never hides another's. The stream has a low watched share (5%): the
articles that mention nothing are the ones a pre-filter skips, and the figure is about what the run
holds, not about the model's speed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.corpus import news_stream, write_stream
from bench.figures import Figure, alternate, median, ratio
from bench.watchlist_scale import ROOT, project

GOAL = "3. flat in memory"
TARGET = "<= 1.2"
WATCHED_SHARE = 0.05
# Runs the monitor as its child and prints the child's peak RSS in kB (Linux: ru_maxrss is in kB).
_PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
if done.returncode:
    sys.exit((done.stdout + done.stderr)[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(workdir: Path, folder: Path) -> float:
    """The peak RSS of one monitor run over `folder`, in MB, from a fresh data folder."""
    from bench.watchlist_scale import monitor_env

    data = workdir / f"data-{folder.name}"
    command = [sys.executable, "-c", _PEAK, sys.executable, "-m", "flows.monitor", "--folder", str(folder)]
    done = subprocess.run(
        command,
        cwd=workdir,
        env=monitor_env(ROOT / "config" / "watchlist.yaml", data, fresh=True),
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if done.returncode != 0:
        raise RuntimeError(f"monitor run failed: {(done.stdout + done.stderr)[-2000:]}")
    return int(done.stdout.split()[-1]) / 1024


def measure(quick: bool) -> list[Figure]:
    small, large, rounds = (100, 1_000, 1) if quick else (1_000, 10_000, 1)
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as scratch:
        root = Path(scratch)
        project(root)
        folders = {
            count: write_stream(root / f"a{count}", news_stream(count, WATCHED_SHARE)) for count in (small, large)
        }
        peaks: dict[str, list[float]] = {}
        times = alternate(
            {
                str(count): (
                    lambda count=count: peaks.setdefault(str(count), []).append(peak_rss_mb(root, folders[count]))
                )
                for count in (small, large)
            },
            rounds,
        )
    value = ratio(peaks[str(large)], peaks[str(small)])
    return [
        Figure(
            goal=GOAL,
            name=f"peak RSS, {large:,} articles / {small:,}",
            value=value,
            unit="x",
            target=TARGET,
            met=value <= 1.2,
            detail=(
                f"whole `python -m flows.monitor --folder`, fresh data folder, {WATCHED_SHARE:.0%} watched; "
                f"{large:,}: median {median(peaks[str(large)]):.0f} MB ({median(times[str(large)]):.0f} s); "
                f"{small:,}: median {median(peaks[str(small)]):.0f} MB ({median(times[str(small)]):.0f} s); "
                f"{rounds} round(s)"
            ),
            samples={"large MB": peaks[str(large)], "small MB": peaks[str(small)]},
        )
    ]
