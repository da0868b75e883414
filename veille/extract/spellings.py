"""Every spelling the matcher looks for: those the watch list writes, then those the thesaurus and the
gazetteer bring to the entries that ask for them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from veille.folding import compact
from veille.watchlist import WatchEntry, WatchList


@dataclass(frozen=True)
class Spelling:
    """One way an entry is written, and where it comes from: "alias" (the watch list), "thesaurus", "gazetteer"."""

    entry_id: str
    text: str
    origin: str


def watched_spellings(watchlist: WatchList) -> list[Spelling]:
    """The watch list's own spellings first; then the brought ones a written spelling does not already claim.

    A brought name that another entry's brought names also give is dropped for both: neither source
    may decide between two entries.
    """
    written = [Spelling(entry.id, text, "alias") for entry in watchlist.entries for text in entry.spellings]
    claimed = {compact(s.text) for s in written}
    brought = [s for entry in watchlist.entries for s in brought_spellings(entry, watchlist)]
    owners: dict[str, set[str]] = {}
    for spelling in brought:
        owners.setdefault(compact(spelling.text), set()).add(spelling.entry_id)
    kept: dict[str, Spelling] = {}
    for spelling in brought:
        key = compact(spelling.text)
        if key not in claimed and len(owners[key]) == 1:
            kept.setdefault(key, spelling)
    return written + list(kept.values())


def brought_spellings(entry: WatchEntry, watchlist: WatchList) -> Iterator[Spelling]:
    """The names the thesaurus (`from: thesaurus`) and the gazetteer (`gazetteer: true`) give an entry."""
    if entry.thesaurus_id is not None:
        from veille.thesaurus import load_thesaurus

        weapon = load_thesaurus().get(entry.thesaurus_id)
        if weapon is not None:
            for text in weapon.names:
                yield Spelling(entry.id, text, "thesaurus")
    if watchlist.uses_gazetteer(entry):
        from veille.gazetteer import find_place

        place = find_place(entry.name, entry.aliases, entry.country, entry.coordinates)
        if place is not None:
            for gained in place.names:
                yield Spelling(entry.id, gained.name, "gazetteer")
