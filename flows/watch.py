"""`veille watch`: the watch list, asked from the command line.

    veille watch check                  every entry, with the names the thesaurus and gazetteer bring
    veille watch explain "TEXT"         what Veille finds in TEXT: entry, variant, rule, confidence, why
    veille watch explain --file F.txt   the same over a file
    veille watch gazetteer              what each place would gain from GeoNames (`gazetteer: true`)

Exit codes: 0 done, 2 a bad watch list or argument. No database, no Prefect: it only reads.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from veille.errors import VeilleError
from veille.extract.spellings import watched_spellings
from veille.gazetteer import gains_report
from veille.ingest.text import clean_article_text
from veille.records import Article, Mention
from veille.sanitize import loggable
from veille.settings import load_settings
from veille.watchlist import WatchList, load_watchlist

# What `explain` reads of a file: an article's worth.
_MAX_TEXT = 5_000_000


def check(watchlist: WatchList) -> list[str]:
    """One line per entry: its id, kind, name, and how many spellings it has from where."""
    origins: dict[str, Counter[str]] = {}
    for spelling in watched_spellings(watchlist):
        origins.setdefault(spelling.entry_id, Counter())[spelling.origin] += 1
    lines = [f"{len(watchlist.entries)} entries; mentions under confidence {watchlist.min_confidence} are held"]
    for entry in watchlist.entries:
        counts = origins.get(entry.id, Counter())
        spelled = ", ".join(f"{count} {origin}" for origin, count in sorted(counts.items()))
        extra = [key for key, on in (("no fold", not entry.fold), ("fuzzy", entry.fuzzy_similarity)) if on]
        extra += [f"not: {len(entry.not_)}"] if entry.not_ else []
        extra += [f"sense: {entry.sense}"] if entry.sense else []
        lines.append(
            f"  {entry.id:<20} {entry.kind:<6} {loggable(entry.name):<24} spellings: {spelled}"
            + (f"; {', '.join(extra)}" if extra else "")
        )
    return lines


def explain(watchlist: WatchList, text: str, model: str) -> list[str]:
    """What the matcher and the confidence make of `text`, one line per watched mention."""
    from veille.extract.pipeline import extract_mentions, load_pipeline

    nlp = load_pipeline(model, watchlist)
    article = Article(source="explain", key="text", title="", location="explain", text=clean_article_text(text))
    (found,) = list(extract_mentions(nlp, [article], batch_size=1))
    watched = [m for m in found.mentions if m.entry_id is not None]
    if not watched:
        return ["no watched entry in this text"]
    return [_mention_line(mention, watchlist) for mention in watched]


def _mention_line(mention: Mention, watchlist: WatchList) -> str:
    entry = watchlist.get(mention.entry_id or "")
    threshold = watchlist.threshold(entry) if entry is not None else watchlist.min_confidence
    verdict = "alerts" if mention.confidence >= threshold else "held as doubtful"
    why = "; ".join(loggable(reason) for reason in mention.reasons) or "no clue against it"
    return (
        f"{mention.entry_id}: {loggable(mention.text)!r} at {mention.start} ({mention.matched_by}, "
        f"confidence {mention.confidence:.2f}) {verdict}: {why}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (__doc__ or "").splitlines()[0]
    parser.add_argument("--watchlist-file", type=Path, help="a watch list instead of config/watchlist.yaml")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "check",
        aliases=["list"],
        help="check the watch list (or --watchlist-file) and list its entries with their spellings",
    )
    explained = commands.add_parser("explain", help="what Veille finds in a text, with the rule and confidence")
    explained.add_argument("text", nargs="?", help="the text (or --file)")
    explained.add_argument("--file", type=Path, help="a text file to read instead")
    commands.add_parser("gazetteer", help="what each place would gain from GeoNames with `gazetteer: true`")


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        watchlist = load_watchlist(args.watchlist_file or settings.watchlist_file)
        if args.command in ("check", "list"):
            lines = check(watchlist)
        elif args.command == "gazetteer":
            lines = gains_report(entry for entry in watchlist.entries if entry.kind == "place")
        else:
            if (args.text is None) == (args.file is None):
                print("veille: watch explain takes a TEXT or --file, one of them", file=sys.stderr)
                return 2
            text = args.text if args.file is None else _read(args.file)
            lines = explain(watchlist, text, settings.spacy_model)
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.watch`, the same as `veille watch`."""
    parser = argparse.ArgumentParser(prog="python -m flows.watch")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(_MAX_TEXT).decode("utf-8", "replace")
    except OSError as exc:
        raise VeilleError(f"{path}: cannot be read: {exc.strerror}") from exc


if __name__ == "__main__":
    sys.exit(main())
