"""`make bench`: every benchmark of issue #14 side by side in one run, written to BENCHMARKS.md and
BENCHMARKS.json.

    .venv/bin/python -m bench [--quick] [--only NAME ...] [--output-dir DIR]

Each module of BENCHMARKS has `measure(quick) -> list[Figure]` (bench/figures.py). --quick runs smaller
sizes (a minute or two, for trying a change); the figures in BENCHMARKS.md come from a full run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.figures import Figure  # noqa: E402

# name -> module under bench/, in the order of the goals.
BENCHMARKS: dict[str, str] = {
    "prefilter": "prefilter",
    "watchlist_scale": "watchlist_scale",
    "memory": "memory",
    "startup": "startup",
    "feeds_scale": "feeds_scale",
    "scaleout": "scaleout",
}


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown"
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        revision = "unknown"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "revision": revision,
    }


def render(figures: list[Figure], errors: dict[str, str], runs: list[dict[str, Any]]) -> str:
    lines = ["# Benchmarks", ""]
    for run in runs:
        what = f"`{', '.join(run['only'])}` measured" if run.get("only") else "Measured"
        lines.append(
            f"{what} {run['measured']} by `{run['command']}"
            + (f' BENCH_ARGS="--only {" ".join(run["only"])}"' if run.get("only") else "")
            + "`"
            + f" in {run['seconds'] / 60:.1f} min, at revision {run['revision']}, on {run['cores']} cores of "
            f"{run['cpu']} (Python {run['python']}, {run['system']})."
        )
    lines += [
        "",
        "Timings are taken side by side in one run (A B A B); a figure is a ratio of medians where it can be, "
        "the range is min-max. The machines are shared: read the ratios, not the absolute times.",
        "",
        "| goal | figure | value | target | met | how |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for figure in figures:
        met = "—" if figure.met is None else ("yes" if figure.met else "**no**")
        lines.append(
            f"| {figure.goal} | {figure.name} | {figure.value:.3g} {figure.unit} | {figure.target} | {met} | "
            f"{figure.detail.replace('|', '/')} |"
        )
    for name, error in errors.items():
        lines.append(f"| {name} | did not run | — | — | **no** | {error.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _earlier_runs(earlier: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs an earlier BENCHMARKS.json was made by (its first format had one, as `machine`)."""
    if "machine" in earlier:
        return [
            {
                "command": earlier["command"],
                "only": None,
                "seconds": earlier["seconds"],
                "measured": "earlier",
                **earlier["machine"],
            }
        ]
    return list(earlier.get("runs", []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, to try a change")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--output-dir", type=Path, default=ROOT, help="where BENCHMARKS.md and .json go")
    args = parser.parse_args(argv)
    command = "make bench" + (" BENCH_ARGS=--quick" if args.quick else "")
    about = machine()  # the revision measured is the one the run starts at
    started = time.monotonic()
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    for name in args.only or BENCHMARKS:
        print(f"bench: {name} ...", flush=True)
        began = time.monotonic()
        try:
            found = importlib.import_module(f"bench.{BENCHMARKS[name]}").measure(args.quick)
        except Exception as exc:  # one broken benchmark is reported, the others still run
            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        for figure in found:
            met = "" if figure.met is None else (" ok" if figure.met else " MISSED")
            print(f"  {figure.name}: {figure.value:.3g} {figure.unit} (goal {figure.target}){met}", flush=True)
        print(f"  ({time.monotonic() - began:.0f} s)", flush=True)
        figures += found
    seconds = time.monotonic() - started
    args.output_dir.mkdir(parents=True, exist_ok=True)
    now = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    runs = [{"command": command, "only": args.only, "seconds": round(seconds, 1), "measured": now, **about}]
    json_file = args.output_dir / "BENCHMARKS.json"
    if args.only and json_file.exists():  # the other benchmarks keep their figures of an earlier run
        earlier = json.loads(json_file.read_text(encoding="utf-8"))
        measured = {(f.goal, f.name) for f in figures}
        kept = [Figure(**f) for f in earlier.get("figures", []) if (f["goal"], f["name"]) not in measured]
        figures = sorted(kept + figures, key=lambda f: f.goal)
        runs = _earlier_runs(earlier) + runs
        errors = {**{k: v for k, v in earlier.get("errors", {}).items() if k not in args.only}, **errors}
    (args.output_dir / "BENCHMARKS.md").write_text(render(figures, errors, runs), encoding="utf-8")
    payload = {"runs": runs, "figures": [f.as_json() for f in figures], "errors": errors}
    json_file.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"bench: wrote {args.output_dir / 'BENCHMARKS.md'} and BENCHMARKS.json")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
