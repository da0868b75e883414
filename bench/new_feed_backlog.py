"""What a new feed's backlog costs its reader: messages, deliveries and console lines of its first read.

A feed of N old articles (made from the seed paragraphs, each a different mix) is served on
127.0.0.1 and read by `python -m flows.monitor` in a fresh data folder, once as Veille reads a new feed
(its first read is a baseline) and once with `baseline: false` (every entry alerts), then a second
run after one new entry. Not a timing: counts.

    .venv/bin/python bench/new_feed_backlog.py [--articles 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extract_throughput import corpus

ROOT = Path(__file__).resolve().parents[1]


def rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">{guid}</guid><title>{escape(title)}</title>'
        f"<description>{escape(text)}</description></item>"
        for guid, title, text in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


class Feed:
    """One RSS document served on 127.0.0.1, replaceable between runs."""

    def __init__(self) -> None:
        self.body = b""
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/feed"


def run(workdir: Path) -> tuple[int, int]:
    """One monitor run in `workdir`: (lines in alerts.jsonl so far, lines the run printed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "VEILLE_FETCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flows.monitor"], cwd=workdir, env=env, capture_output=True, text=True, timeout=900
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise SystemExit(output[-2000:])
    alert_file = workdir / "data" / "alerts.jsonl"
    lines = alert_file.read_text(encoding="utf-8").splitlines() if alert_file.exists() else []
    return len([json.loads(line) for line in lines]), len(output.splitlines())


def trial(articles: int, baseline: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    feed = Feed()
    items = [(f"old-{a.key}", a.title, a.text) for a in corpus(articles)]
    feed.body = rss(items)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        shutil.copytree(ROOT / "config", workdir / "config")
        (workdir / "config" / "sources.yaml").write_text(
            f"feeds:\n  - name: agence\n    url: {feed.url}\n    baseline: {'true' if baseline else 'false'}\n",
            encoding="utf-8",
        )
        first = run(workdir)
        fresh = ("new-1", "Urgent", "Des missiles Kalibr ont visé Hama dans la nuit, selon un communiqué de l'armée.")
        feed.body = rss([fresh, *items])
        second = run(workdir)
    feed.server.shutdown()
    return first, (second[0] - first[0], second[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    print(f"a new feed of {args.articles} old articles, then one new entry (messages to the built-in target)")
    for baseline in (True, False):
        first, second = trial(args.articles, baseline)
        label = "baseline (default)" if baseline else "baseline: false"
        print(
            f"  {label:<20} first read: {first[0]} messages, {first[1]} console lines; "
            f"next new entry: {second[0]} message(s), {second[1]} console lines"
        )


if __name__ == "__main__":
    main()
