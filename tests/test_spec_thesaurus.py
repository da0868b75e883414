"""Specification of veille.thesaurus and its data, veille/data/weapons.yaml: it loads, and cannot alert on its own."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from veille.errors import ConfigError
from veille.folding import compact
from veille.thesaurus import Category, Thesaurus, load_thesaurus, read_thesaurus
from veille.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]
THESAURUS = load_thesaurus()
ALL_NAMES = [(weapon.id, name) for weapon in THESAURUS.weapons for name in weapon.names]


def test_the_shipped_thesaurus_loads_once_with_its_weapons() -> None:
    assert load_thesaurus() is THESAURUS
    assert isinstance(THESAURUS, Thesaurus)
    assert 45 <= len(THESAURUS.ids) <= 70
    assert len(THESAURUS.ids) == len(set(THESAURUS.ids))


def test_no_compact_key_names_two_weapons() -> None:
    owners: dict[str, str] = {}
    for weapon_id, name in ALL_NAMES:
        owner = owners.setdefault(compact(name), weapon_id)
        assert owner == weapon_id, f"{name!r} names both {owner} and {weapon_id}"


def test_every_weapon_of_the_watch_list_is_in_the_thesaurus_by_its_id() -> None:
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    weapon_ids = [entry.id for entry in watchlist.entries if entry.kind == "weapon"]
    assert weapon_ids
    assert [weapon_id for weapon_id in weapon_ids if THESAURUS.get(weapon_id) is None] == []


def test_no_name_is_four_letters_or_fewer_unless_it_has_a_digit() -> None:
    short = [name for _, name in ALL_NAMES if len(compact(name)) <= 4 and not any(char.isdigit() for char in name)]
    assert short == []


@pytest.mark.parametrize("category", get_args(Category))
def test_each_category_has_weapons(category: str) -> None:
    assert any(weapon.category == category for weapon in THESAURUS.weapons)


@pytest.mark.parametrize(
    "bare",
    [
        # Common words, names and products that share a weapon's name: only qualified forms are in.
        "Caesar",
        "Patriot",
        "Stinger",
        "Javelin",
        "Leopard",
        "Abrams",
        "Bradley",
        "Tomahawk",
        "Hummer",
        "mortier",
        "mortar",
        "chlore",
        "chlorine",
        "Grad",
        "Buk",
        "Lancet",
        "Iskander",
        "Bayraktar",
        "Dragunov",
        "SCALP",
        "M4",
        "Backfire",
        "Град",
        "Игла",
        "Новичок",
        "Калибр",
    ],
)
def test_a_word_with_another_sense_never_stands_alone(bare: str) -> None:
    assert compact(bare) not in {compact(name) for _, name in ALL_NAMES}


@pytest.mark.parametrize(
    ("weapon_id", "written"),
    [
        ("kalibr", "missiles de croisière Kalibr"),
        ("kalibr", "Калибр-НК"),  # noqa: RUF001 - Cyrillic on purpose
        ("caesar", "canons CAESAR"),
        ("patriot", "batteries Patriot"),
        ("mortier", "obus de mortiers"),
        ("mortier", "миномёты"),
        ("chlore", "attaque au chlore"),
        ("vx", "agent VX"),
        ("grad", "BM-21 Grad"),
        ("leopard-2", "Léopard-2"),
        ("su-24", "Sukhoi Su-24"),
        ("baril-explosif", "barils d’explosifs"),
        ("hummer", "Humvee"),
    ],
)
def test_the_press_spellings_name_their_weapon(weapon_id: str, written: str) -> None:
    owners = {compact(name): owner for owner, name in ALL_NAMES}
    assert owners.get(compact(written)) == weapon_id


def test_a_weapon_lists_its_names_by_language_and_every_spelling_once() -> None:
    kalibr = THESAURUS.get("kalibr")
    assert kalibr is not None
    assert (kalibr.category, kalibr.name, kalibr.names[0]) == ("missile", "Kalibr", "Kalibr")
    assert set(kalibr.by_language) == {"fr", "en", "ru"}
    assert "SS-N-27 Sizzler" in kalibr.by_language["en"]
    for weapon in THESAURUS.weapons:
        keys = [compact(name) for name in weapon.names]
        assert len(keys) == len(set(keys))
        spelled = {compact(name) for names in weapon.by_language.values() for name in names} | {compact(weapon.name)}
        assert set(keys) == spelled


def test_an_unknown_id_is_none() -> None:
    assert THESAURUS.get("excalibur") is None


GOOD_WEAPON = """\
  - id: kalibr
    category: missile
    name: Kalibr
    names:
      fr: [missile Kalibr]
"""


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("weapons: [\n", 2, "invalid YAML"),
        ("weapons:\n" + GOOD_WEAPON + GOOD_WEAPON, 7, "weapons[1].id: id 'kalibr' already used by weapons[0]"),
        (
            "weapons:\n" + GOOD_WEAPON + GOOD_WEAPON.replace("id: kalibr", "id: other"),
            9,
            "weapons[1].name: 'Kalibr' already names weapon 'kalibr'",
        ),
        ("weapons:\n" + GOOD_WEAPON.replace("missile Kalibr", "missile Kalibr, Grad"), 6, "names.fr[1]: name 'Grad'"),
        ("weapons:\n" + GOOD_WEAPON.replace("category: missile", "category: tank"), 3, "weapons[0].category"),
        ("weapons:\n" + GOOD_WEAPON.replace("fr:", "de:"), 6, "weapons[0].names.de"),
        ("weapons:\n" + GOOD_WEAPON + "    extra: 1\n", 7, "weapons[0].extra"),
    ],
)
def test_a_broken_file_raises_config_error_naming_file_line_and_key(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / "weapons.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_thesaurus(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}:")
    assert problem in message


def test_a_missing_file_raises_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"weapons\.yaml: file not found"):
        read_thesaurus(tmp_path / "weapons.yaml")
