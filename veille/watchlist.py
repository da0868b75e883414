"""The watch list: the places and weapons Veille looks for, loaded from YAML."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.folding import compact
from veille.yamlfile import LocatedValueError, load_yaml

Kind = Literal["place", "weapon"]


class WatchEntry(BaseModel):
    """One watched place or weapon and the ways it is written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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

    @property
    def matches_inflections(self) -> bool:
        return self.inflected if self.inflected is not None else self.kind == "weapon"

    @property
    def spellings(self) -> tuple[str, ...]:
        """The canonical name and every alias."""
        return (self.name, *self.aliases)


class WatchList(BaseModel):
    """Every watched entry; ids are unique and no spelling names two entries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: tuple[WatchEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> WatchList:
        first_index: dict[str, int] = {}
        owners: dict[str, str] = {}
        for index, entry in enumerate(self.entries):
            if entry.id in first_index:
                raise LocatedValueError(
                    ("entries", index, "id"), f"id {entry.id!r} already used by entries[{first_index[entry.id]}]"
                )
            first_index[entry.id] = index
            for position, spelling in enumerate(entry.spellings):
                owner = owners.setdefault(compact(spelling), entry.id)
                if owner != entry.id:
                    where = ("name",) if position == 0 else ("aliases", position - 1)
                    raise LocatedValueError(("entries", index, *where), f"{spelling!r} already names entry {owner!r}")
        return self

    def get(self, entry_id: str) -> WatchEntry | None:
        return self._by_id.get(entry_id)

    @cached_property
    def _by_id(self) -> dict[str, WatchEntry]:
        # Built once: the decision asks for an entry per mention, and a scan of 10,000 entries is slow.
        return {entry.id: entry for entry in self.entries}


def load_watchlist(path: Path) -> WatchList:
    """Load and validate the watch list; any problem raises ConfigError naming file, line and key."""
    return load_yaml(path).validate(WatchList)
