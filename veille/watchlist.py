"""The watch list: the places and weapons Veille looks for, loaded from YAML."""

from __future__ import annotations

import difflib
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.folding import compact
from veille.yamlfile import LocatedValueError, load_yaml, raise_located

Kind = Literal["place", "weapon"]
# Under this confidence (veille.extract.confidence) a mention is held as doubtful instead of alerting.
DEFAULT_MIN_CONFIDENCE = 0.5
# Fuzzy matching compares names of at least this many letters only: short names differ by one letter
# from too many words ("Homs", "Hama").
FUZZY_MIN_LETTERS = 8
DEFAULT_FUZZY_SIMILARITY = 0.88


class WatchEntry(BaseModel):
    """One watched place or weapon and the ways it is written."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    kind: Kind
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    # Inflected forms ("mortiers") hit the entry; off by default for places, where it would
    # turn "Hamas" into "Hama".
    inflected: bool | None = None
    country: str | None = None
    coordinates: tuple[float, float] | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    # Phrases that make a mention not this entry: one holding the name excludes the mention it covers
    # ("rue d'Alep"); one without it excludes the mentions of its sentence ("feu d'artifice").
    not_: tuple[str, ...] = Field(default=(), alias="not")
    # Words of which at least one must be in the mention's sentence (or the words of `sense`).
    context: tuple[str, ...] = ()
    # For a weapon: the sense a mention must be used in, judged by its sentence and article.
    sense: Literal["military"] | None = None
    # Spelling variants beyond those written (veille.extract.variants); on by default.
    fold: bool = True
    # Names from GeoNames for a place of `country` (veille.gazetteer); None: the watch list's `gazetteer`.
    gazetteer: bool | None = None
    # Names from the shipped weapons thesaurus: "thesaurus" (this entry's id) or "thesaurus:ID".
    from_: str | None = Field(default=None, alias="from")
    # Similar spellings of long names (true: similarity 0.88; or a similarity between 0.7 and 1).
    fuzzy: bool | float = False
    # Under this confidence a mention is doubtful; None: the watch list's `min_confidence`.
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("aliases")
    @classmethod
    def _aliases_have_letters(cls, aliases: tuple[str, ...]) -> tuple[str, ...]:
        for alias in aliases:
            if not compact(alias):
                raise ValueError(f"alias {alias!r} has no letter or digit")
        return aliases

    @field_validator("name")
    @classmethod
    def _name_has_letters(cls, name: str) -> str:
        if not compact(name):
            raise ValueError(f"name {name!r} has no letter or digit")
        return name

    @field_validator("coordinates")
    @classmethod
    def _coordinates_on_earth(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError("must be [latitude, longitude] in degrees")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_are_words(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        for tag in tags:
            if not tag.strip() or any(char in tag for char in ", "):
                raise ValueError(f"tag {tag!r} must be one word without commas")
        return tags

    @field_validator("from_")
    @classmethod
    def _from_the_thesaurus(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"thesaurus(:[a-z0-9][a-z0-9_-]*)?", value):
            raise ValueError(f"{value!r}: names come only from the thesaurus: write `thesaurus` or `thesaurus:ID`")
        return value

    @field_validator("fuzzy")
    @classmethod
    def _similarity_in_range(cls, value: bool | float) -> bool | float:
        if not isinstance(value, bool) and not 0.7 <= value <= 1.0:
            raise ValueError("must be true, false or a similarity between 0.7 and 1.0")
        return value

    @field_validator("not_", "context")
    @classmethod
    def _phrases_have_letters(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        for position, phrase in enumerate(phrases):
            if not compact(phrase):
                raise LocatedValueError((position,), f"{phrase!r} has no letter or digit")
        return phrases

    @model_validator(mode="after")
    def _sense_for_weapons(self) -> WatchEntry:
        if self.sense is not None and self.kind != "weapon":
            raise LocatedValueError(("sense",), "only a weapon has a sense; for a place write `context` or `not`")
        return self

    @property
    def fuzzy_similarity(self) -> float | None:
        """The similarity a fuzzy match needs, or None when the entry is not matched fuzzily."""
        if self.fuzzy is False:
            return None
        return DEFAULT_FUZZY_SIMILARITY if self.fuzzy is True else float(self.fuzzy)

    @property
    def thesaurus_id(self) -> str | None:
        """The thesaurus weapon this entry takes its names from, if any."""
        if self.from_ is None:
            return None
        _, _, named = self.from_.partition(":")
        return named or self.id

    @property
    def matches_inflections(self) -> bool:
        return self.inflected if self.inflected is not None else self.kind == "weapon"

    @property
    def spellings(self) -> tuple[str, ...]:
        """The canonical name and every alias."""
        return (self.name, *self.aliases)


class WatchList(BaseModel):
    """Every watched entry; ids are unique and no spelling names two entries."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    entries: tuple[WatchEntry, ...] = Field(min_length=1)
    # Mentions under this confidence are held as doubtful (shown, not sent); an entry may set its own.
    min_confidence: float = Field(default=DEFAULT_MIN_CONFIDENCE, ge=0.0, le=1.0)
    # GeoNames names for every place entry with a country that does not say `gazetteer: false`.
    gazetteer: bool = False

    @model_validator(mode="after")
    def _unique(self) -> WatchList:
        problems: list[LocatedValueError] = []
        first_index: dict[str, int] = {}
        owners: dict[str, str] = {}
        for index, entry in enumerate(self.entries):
            if entry.id in first_index:
                problems.append(
                    LocatedValueError(
                        ("entries", index, "id"), f"id {entry.id!r} already used by entries[{first_index[entry.id]}]"
                    )
                )
                continue
            first_index[entry.id] = index
            if entry.thesaurus_id is not None:
                problems += _thesaurus_problems(entry.thesaurus_id, index)
            for position, spelling in enumerate(entry.spellings):
                owner = owners.setdefault(compact(spelling), entry.id)
                if owner != entry.id:
                    where = ("name",) if position == 0 else ("aliases", position - 1)
                    problems.append(
                        LocatedValueError(("entries", index, *where), f"{spelling!r} already names entry {owner!r}")
                    )
        raise_located(problems)
        return self

    def threshold(self, entry: WatchEntry) -> float:
        """The confidence under which a mention of `entry` is doubtful."""
        return entry.min_confidence if entry.min_confidence is not None else self.min_confidence

    def uses_gazetteer(self, entry: WatchEntry) -> bool:
        return entry.kind == "place" and (entry.gazetteer if entry.gazetteer is not None else self.gazetteer)

    def get(self, entry_id: str) -> WatchEntry | None:
        return self._by_id.get(entry_id)

    @cached_property
    def _by_id(self) -> dict[str, WatchEntry]:
        # Built once: the decision asks for an entry per mention, and a scan of 10,000 entries is slow.
        return {entry.id: entry for entry in self.entries}


def _thesaurus_problems(weapon_id: str, index: int) -> list[LocatedValueError]:
    from veille.thesaurus import load_thesaurus  # the data is read only by a watch list that asks

    thesaurus = load_thesaurus()
    if thesaurus.get(weapon_id) is not None:
        return []
    close = difflib.get_close_matches(weapon_id, thesaurus.ids, n=3, cutoff=0.6)
    hint = f"; close ones: {', '.join(close)}" if close else ""
    return [
        LocatedValueError(
            ("entries", index, "from"), f"no weapon {weapon_id!r} in the thesaurus (veille/data/weapons.yaml){hint}"
        )
    ]


def load_watchlist(path: Path) -> WatchList:
    """Load and validate the watch list; its problems raise one ConfigError naming file, line and key of each."""
    return load_yaml(path).validate(WatchList)
