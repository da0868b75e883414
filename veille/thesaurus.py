"""The weapons thesaurus: the names the press writes for common weapon systems, shipped as veille/data/weapons.yaml.

A watch-list entry references a weapon by id (`from: thesaurus`) and gains its names. The file is
held to the rules that keep it from alerting on its own: no name shared by two weapons, and no short
name without a digit. A broken file fails at load, naming the file, the line and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.folding import compact
from veille.yamlfile import LocatedValueError, load_yaml

Category = Literal["aircraft", "missile", "artillery", "small-arms", "armour", "chemical", "explosive"]
Language = Literal["fr", "en", "ru"]

# Four letters or fewer, with no digit to make a code of it, is a word or an abbreviation of many things
# ("Grad", "Buk", "Tor", "PKM", "VX"): such a name stands only qualified ("agent VX").
MIN_LETTERS_WITHOUT_DIGIT = 5
_PACKAGE = "veille"
_FILE = "data/weapons.yaml"


@dataclass(frozen=True)
class ThesaurusWeapon:
    """One weapon system and every name it is written with."""

    id: str
    category: Category
    name: str
    # Every spelling, the name first, each compact key once.
    names: tuple[str, ...]
    # Not hashed (a dict cannot be): `names` holds the same spellings.
    by_language: dict[str, tuple[str, ...]] = field(hash=False)


@dataclass(frozen=True)
class Thesaurus:
    """The weapons of the thesaurus, in file order."""

    weapons: tuple[ThesaurusWeapon, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(weapon.id for weapon in self.weapons)

    def get(self, weapon_id: str) -> ThesaurusWeapon | None:
        return self._by_id.get(weapon_id)

    @cached_property
    def _by_id(self) -> dict[str, ThesaurusWeapon]:
        return {weapon.id: weapon for weapon in self.weapons}


def _check_name(name: str) -> str:
    key = compact(name)
    if not key:
        raise ValueError(f"name {name!r} has no letter or digit")
    if not any(char.isdigit() for char in key) and len(key) < MIN_LETTERS_WITHOUT_DIGIT:
        raise ValueError(
            f"name {name!r} is under {MIN_LETTERS_WITHOUT_DIGIT} letters with no digit: write it qualified"
        )
    return name


class _WeaponModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    category: Category
    name: str
    names: dict[Language, tuple[str, ...]] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name_is_safe(cls, name: str) -> str:
        return _check_name(name)

    @field_validator("names")
    @classmethod
    def _names_are_safe(cls, names: dict[Language, tuple[str, ...]]) -> dict[Language, tuple[str, ...]]:
        for language, spellings in names.items():
            for position, spelling in enumerate(spellings):
                try:
                    _check_name(spelling)
                except ValueError as exc:
                    raise LocatedValueError((language, position), str(exc)) from None
        return names


class _ThesaurusModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    weapons: tuple[_WeaponModel, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> _ThesaurusModel:
        first_index: dict[str, int] = {}
        owners: dict[str, str] = {}
        for index, weapon in enumerate(self.weapons):
            if weapon.id in first_index:
                raise LocatedValueError(
                    ("weapons", index, "id"), f"id {weapon.id!r} already used by weapons[{first_index[weapon.id]}]"
                )
            first_index[weapon.id] = index
            located = [(("name",), weapon.name)] + [
                (("names", language, position), spelling)
                for language, spellings in weapon.names.items()
                for position, spelling in enumerate(spellings)
            ]
            for where, spelling in located:
                owner = owners.setdefault(compact(spelling), weapon.id)
                if owner != weapon.id:
                    raise LocatedValueError(("weapons", index, *where), f"{spelling!r} already names weapon {owner!r}")
        return self


def read_thesaurus(path: Path) -> Thesaurus:
    """Load and check a thesaurus file; any problem raises ConfigError naming file, line and key."""
    model = load_yaml(path).validate(_ThesaurusModel)
    return Thesaurus(tuple(_weapon(weapon) for weapon in model.weapons))


@cache
def load_thesaurus() -> Thesaurus:
    """The thesaurus shipped with Veille, read once."""
    with resources.as_file(resources.files(_PACKAGE).joinpath(_FILE)) as path:
        return read_thesaurus(path)


def _weapon(model: _WeaponModel) -> ThesaurusWeapon:
    # One spelling per compact key: "Sukhoï Su-24" and "Sukhoi Su-24" are one name to the matcher.
    names = {compact(model.name): model.name}
    for spellings in model.names.values():
        for spelling in spellings:
            names.setdefault(compact(spelling), spelling)
    by_language = {str(language): spellings for language, spellings in model.names.items()}
    return ThesaurusWeapon(model.id, model.category, model.name, tuple(names.values()), by_language)
