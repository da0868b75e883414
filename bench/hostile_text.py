"""Attacker-sized text: seconds to neutralise a 16 KB title and to extract mentions from 50 KB of "Hama ".

    .venv/bin/python bench/hostile_text.py [--rounds 3] [--timeout 120]

Each figure is the best of `rounds`; a shape slower than `timeout` seconds is reported as such and
not repeated (before the linear rewrite, "a."*8000 took minutes). The input sizes are the ones of
issue #9 item 4.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NEUTRALISE_SHAPES = {
    '"a."*8000': "a." * 8000,
    '"a-"*8000': "a-" * 8000,
    '"@"*16000': "@" * 16000,
    '"["*4000 + "]("*4000': "[" * 4000 + "](" * 4000,
    '"ab.cd-"*2700': "ab.cd-" * 2700,
}


def neutralise_seconds(text: str) -> float:
    """One call of neutralise, after a first one that builds its tables (once per process, ~0.1 s)."""
    from veille.sanitize import neutralise

    neutralise("")
    started = time.perf_counter()
    neutralise(text)
    return time.perf_counter() - started


def extraction_seconds(text: str) -> float:
    """Extraction of one article made of `text`, the model's loading not counted."""
    from veille.extract.pipeline import extract_mentions, load_pipeline
    from veille.records import Article
    from veille.watchlist import load_watchlist

    nlp = load_pipeline("fr_core_news_sm", load_watchlist(ROOT / "config" / "watchlist.yaml"))
    started = time.perf_counter()
    list(extract_mentions(nlp, [Article("bench", "hama", "t", "bench/hama", text)], 32))
    return time.perf_counter() - started


def seconds(measure: Callable[[str], float], text: str, timeout: float) -> float | None:
    """`measure(text)` run in a child process, so that a shape that backtracks for minutes can be stopped."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(target=_send, args=(measure, text, writer))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return reader.recv() if reader.poll() else None


def _send(measure: Callable[[str], float], text: str, writer) -> None:
    writer.send(measure(text))


def best(measure: Callable[[str], float], text: str, rounds: int, timeout: float) -> str:
    figures = []
    for _ in range(rounds):
        figure = seconds(measure, text, timeout)
        if figure is None:
            return f"> {timeout:.0f} s (stopped)"
        figures.append(figure)
    return f"{min(figures):.4f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    for name, text in NEUTRALISE_SHAPES.items():
        figure = best(neutralise_seconds, text, args.rounds, args.timeout)
        print(f"neutralise({name}, {len(text) // 1000} KB): {figure}", flush=True)
    hama = "Hama " * 10_000
    figure = best(extraction_seconds, hama, args.rounds, args.timeout)
    print(f'extract_mentions("Hama "*10000, {len(hama) // 1000} KB): {figure}', flush=True)


if __name__ == "__main__":
    main()
