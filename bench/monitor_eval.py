"""The evaluation set measured black-box, as held-out press will be: each passage a file, one
`python -m flows.monitor --folder DIR` with the evaluation's watch list in a fresh data folder, and
the (file, entry) pairs of the alerts it wrote (data/alerts.jsonl) against the expected ones.

    .venv/bin/python bench/monitor_eval.py [--watchlist FILE] [--keep DIR]

It should give bench/evaluate.py's pair figures, less what story grouping takes: two passages close
enough to be one story alert once per entry (the second is counted as a miss here, and said).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veille.evaluation import load_passages
from veille.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "eval"


def run_monitor(workdir: Path, folder: Path, watchlist: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "VEILLE_WATCHLIST_FILE": str(watchlist),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flows.monitor", "--folder", str(folder)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit((done.stdout + done.stderr)[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--watchlist", type=Path, default=EVAL / "watchlist.yaml")
    parser.add_argument("--keep", type=Path, help="keep the work folder here (default: a temporary one)")
    args = parser.parse_args()
    watchlist = load_watchlist(args.watchlist)
    passages = load_passages(EVAL / "places.yaml", EVAL / "weapons.yaml", watchlist=watchlist)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(ROOT / "config", workdir / "config", dirs_exist_ok=True)
        (workdir / "config" / "sources.yaml").write_text("folders: []\nfeeds: []\n", encoding="utf-8")
        articles = workdir / "articles"
        articles.mkdir(exist_ok=True)
        for passage in passages:
            (articles / f"{passage.id}.txt").write_text(passage.text, encoding="utf-8")
        run_monitor(workdir, articles, args.watchlist.resolve())
        alert_file = workdir / "data" / "alerts.jsonl"
        lines = alert_file.read_text(encoding="utf-8").splitlines() if alert_file.exists() else []
    alerted = set()
    for line in lines:
        fields = json.loads(line).get("fields", {})
        file_id = Path(str(fields.get("article", {}).get("location", ""))).stem
        for entry in fields.get("entries", []):
            alerted.add((file_id, entry["id"]))
    expected = {(p.id, e.entry_id) for p in passages for e in p.expected}
    kinds = {entry.id: entry.kind for entry in watchlist.entries}
    print(f"{len(passages)} passages as files, one monitor run: {len(lines)} messages")
    for kind in ("place", "weapon"):
        mine = {pair for pair in alerted if kinds.get(pair[1]) == kind}
        wanted = {pair for pair in expected if kinds.get(pair[1]) == kind}
        true = len(mine & wanted)
        precision = true / len(mine) if mine else 0.0
        recall = true / len(wanted) if wanted else 0.0
        print(
            f"  {kind:<7} precision {precision:.3f}  recall {recall:.3f}  ({true} right, {len(mine - wanted)} wrong,"
            f" {len(wanted - mine)} missed)"
        )


if __name__ == "__main__":
    main()
