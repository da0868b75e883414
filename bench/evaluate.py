"""Precision and recall on the annotated evaluation set: a whole-word regex, today's matcher and Veille's.

    .venv/bin/python -m bench.evaluate [--matcher veille|today|whole-word|all] [--errors] [--json FILE] [files...]

Files default to tests/data/eval/places.yaml and weapons.yaml, the watch list to tests/data/eval/watchlist.yaml
(a canonical name and at most one alias per entry). Prints, for each matcher, precision, recall and the
counts per entry kind and per passage class, at the level of (passage, entry) pairs (the headline: what
the black-box measure on real press counts) and of mentions (same entry, overlapping characters). The
tables are Markdown, for the README. --errors lists every false alert and every missed mention, with how
the matcher matched it (or held it as doubtful) and why. Figures are deterministic: no timing here.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from veille.errors import ConfigError
from veille.evaluation import MATCHERS, MODEL, Breakdown, Counts, Mistake, Passage, Score, evaluate, load_passages
from veille.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "eval"
DEFAULT_FILES = (EVAL / "places.yaml", EVAL / "weapons.yaml")
LEVELS = {"pairs": "(passage, entry) pairs", "mentions": "mentions (same entry, overlapping characters)"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="evaluation files (default: places.yaml, weapons.yaml)")
    parser.add_argument("--matcher", choices=[*MATCHERS, "all"], default="all")
    parser.add_argument("--watchlist", type=Path, default=EVAL / "watchlist.yaml")
    parser.add_argument("--errors", action="store_true", help="list every false alert and missed mention")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every figure and mistake as JSON")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    files = args.files or [path for path in DEFAULT_FILES if path.exists()]
    for path in DEFAULT_FILES if not args.files else ():
        if not path.exists():
            print(f"note: {_shown(path)} not found, measured without it", file=sys.stderr)
    if not files:
        print("no evaluation file: name one, or write tests/data/eval/places.yaml", file=sys.stderr)
        return 1
    try:
        watchlist = load_watchlist(args.watchlist)
        passages = load_passages(*files, watchlist=watchlist)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    names = list(MATCHERS) if args.matcher == "all" else [args.matcher]
    scores = {name: evaluate(name, passages, watchlist, batch_size=args.batch_size) for name in names}

    expected = sum(len(p.expected) for p in passages)
    pairs = sum(len({e.entry_id for e in p.expected}) for p in passages)
    print(
        f"{len(passages)} passages from {', '.join(_shown(path) for path in files)}: {expected} expected mentions "
        f"in {pairs} (passage, entry) pairs, {sum(not p.expected for p in passages)} passages expecting none; "
        f"watch list {_shown(args.watchlist)}, model {MODEL}"
    )
    for level, title in LEVELS.items():
        print(f"\n{title}: precision, recall, true positives / false positives / false negatives\n")
        print(_table(level, scores))
    if args.errors:
        for name, score in scores.items():
            print(f"\n{name}: {len(score.mistakes)} mistakes\n")
            for mistake in score.mistakes:
                print("  " + _mistake_line(mistake))
    if args.json:
        args.json.write_text(json.dumps(_as_json(files, passages, scores), ensure_ascii=False, indent=2) + "\n")
    return 0


def _table(level: str, scores: dict[str, Score]) -> str:
    """One Markdown table: a row per scope (all, each kind, each class), three columns per matcher."""
    breakdowns: dict[str, Breakdown] = {name: getattr(score, level) for name, score in scores.items()}
    first = next(iter(breakdowns.values()))
    scopes = [("all", "overall", ""), *((kind, "by_kind", kind) for kind in first.by_kind)]
    scopes += [(f"class {klass}", "by_class", klass) for klass in first.by_class]
    header = ["scope"] + [column for name in breakdowns for column in (f"{name} P", "R", "TP/FP/FN")]
    rows = [header]
    for label, part, key in scopes:
        row = [label]
        for breakdown in breakdowns.values():
            value = getattr(breakdown, part)
            counts: Counts = value if key == "" else value.get(key, Counts())
            row += [_ratio(counts.precision), _ratio(counts.recall), f"{counts.tp}/{counts.fp}/{counts.fn}"]
        rows.append(row)
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _mistake_line(mistake: Mistake) -> str:
    if mistake.matched_by is None:
        how = "not found"
    else:
        held = "held as doubtful: " if mistake.outcome == "missed" else ""
        how = f"{held}{mistake.matched_by} {mistake.confidence:.2f}"
        if mistake.reasons:
            # A reason quotes the text around the mention, line breaks included: one line per mistake.
            how += " (" + "; ".join(_visible(reason)[1:-1] for reason in mistake.reasons) + ")"
    scope = "" if mistake.pair else " [mention only: the pair is right]"
    return (
        f"{mistake.outcome:11}  {mistake.passage_id:10} {mistake.klass:24} {mistake.entry_id:15} "
        f"{_visible(mistake.text)} @{mistake.start}  {how}{scope}"
    )


def _visible(text: str) -> str:
    """`text` quoted, line breaks escaped, and letters of other scripts (a Cyrillic a in Hama) as \\uXXXX."""
    return "".join(
        f"\\u{ord(char):04x}" if char.isalpha() and "LATIN" not in unicodedata.name(char, "") else char
        for char in json.dumps(text, ensure_ascii=False)
    )


def _as_json(files: Sequence[Path], passages: Sequence[Passage], scores: dict[str, Score]) -> dict[str, Any]:
    def counts(value: Counts) -> dict[str, Any]:
        return {**asdict(value), "precision": value.precision, "recall": value.recall}

    def breakdown(value: Breakdown) -> dict[str, Any]:
        return {
            "overall": counts(value.overall),
            "by_kind": {key: counts(item) for key, item in value.by_kind.items()},
            "by_class": {key: counts(item) for key, item in value.by_class.items()},
        }

    return {
        "files": [_shown(path) for path in files],
        "passages": len(passages),
        "model": MODEL,
        "matchers": {
            name: {
                "pairs": breakdown(score.pairs),
                "mentions": breakdown(score.mentions),
                "mistakes": [asdict(mistake) for mistake in score.mistakes],
            }
            for name, score in scores.items()
        },
    }


def _shown(path: Path) -> str:
    """`path` relative to the repository when inside it: the output is pasted into the README."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
