"""The date written in an article: Veille's parser against dateparser's search_dates, on the seeds and hostile text.

    .venv/bin/python bench/written_dates.py [--rounds 3]

dateparser is not a dependency: install it in a throw-away venv with this project to compare
(`pip install dateparser==1.5.0`); without it only Veille's figures are printed. Each figure is the best
of `rounds` on the first 2,000 characters, as Veille reads them, and what each found (read the ratios:
these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from veille.ingest.dates import DATELINE_CHARS, date_written_in  # noqa: E402
from veille.ingest.folder import FolderSource  # noqa: E402

FORMATS = [
    "le 6 septembre 2017",
    "1er octobre 2017",
    "06/09/2017",
    "2017-13-01",
    "31/02/2017",
    "September 6, 2017",
    "24 heures à peine après",
]
HOSTILE = {
    '"1er "*500': "1er " * 500,
    '"1"*2000': "1" * 2000,
    '"06/"*667': "06/" * 667,
}


def texts() -> dict[str, str]:
    seeds = {article.key: article.text for article in FolderSource(ROOT / "seeds", 5_000_000).read().articles}
    return {**seeds, **{repr(text): text for text in FORMATS}, **HOSTILE}


def best(find: Callable[[str], object], text: str, rounds: int) -> tuple[float, object]:
    figures, found = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        found = find(text)
        figures.append(time.perf_counter() - started)
    return min(figures), found


def dateparser_first() -> Callable[[str], object] | None:
    try:
        from dateparser.search import search_dates
    except ImportError:
        return None
    # Its strictest reading: day first, and a day, a month and a year required (REQUIRE_PARTS).
    settings = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC",
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month", "year"],
    }

    def first(text: str) -> object:
        found = search_dates(text[:DATELINE_CHARS], languages=["fr", "en"], settings=settings)
        return found[0] if found else None

    return first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC)
    finders: dict[str, Callable[[str], object]] = {"veille": lambda text: date_written_in(text, now)}
    if (other := dateparser_first()) is not None:
        finders["dateparser"] = other
    for name, text in texts().items():
        for finder, find in finders.items():
            seconds, found = best(find, text, args.rounds)
            print(f"{name[:40]:42} {finder:10} {seconds * 1000:8.2f} ms  {found}", flush=True)


if __name__ == "__main__":
    main()
