"""Places members write to give their time zone: a city in the names people use in each
club language, the club's country first among namesakes, the nearest name to a typo."""

from __future__ import annotations

import pytest

from loyalty.places import Match, Place, find_place


@pytest.mark.parametrize(
    ("written", "zone"),
    [
        ("Milan", "Europe/Rome"), ("Milano", "Europe/Rome"), ("MILANO", "Europe/Rome"),
        ("Florence", "Europe/Rome"), ("Firenze", "Europe/Rome"),
        ("Geneva", "Europe/Zurich"), ("Genève", "Europe/Zurich"), ("Ginevra", "Europe/Zurich"),
        ("Genf", "Europe/Zurich"), ("geneve", "Europe/Zurich"),
        ("Munich", "Europe/Berlin"), ("München", "Europe/Berlin"),
        ("Monaco di Baviera", "Europe/Berlin"),
        ("New York", "America/New_York"), ("new-york", "America/New_York"),
        ("Londra", "Europe/London"), ("Londres", "Europe/London"),
        ("Europe/Lisbon", "Europe/Lisbon"), ("america/new_york", "America/New_York"),
    ],
)  # fmt: skip
def test_a_city_is_known_by_the_names_people_write(written: str, zone: str) -> None:
    found = find_place(f"  {written} ", country="IT")
    assert found is not None and found.exact and found.place.zone == zone


def test_a_place_is_shown_as_the_member_wrote_it() -> None:
    assert find_place("München") == Match(Place("München", "DE", "Europe/Berlin"), exact=True)
    assert find_place(" genève ") == Match(Place("Genève", "CH", "Europe/Zurich"), exact=True)
    assert find_place("new york") == Match(Place("New York", "US", "America/New_York"), True)


@pytest.mark.parametrize(
    ("written", "name"),
    [("Milan, Italy", "Milan"), ("I live near Geneva", "Geneva"), ("vivo a Firenze", "Firenze"),
     ("j'habite à New York", "New York"), ("Genève, Suisse", "Genève")],
)  # fmt: skip
def test_a_place_is_found_within_a_few_words(written: str, name: str) -> None:
    found = find_place(written, country="IT")
    assert found is not None and found.exact and found.place.name == name


def test_among_namesakes_the_club_country_counts_first_then_the_size() -> None:
    italian = find_place("Florence", country="IT")
    american = find_place("Florence", country="US")
    assert italian is not None and italian.place.country == "IT"
    assert american is not None and american.place.country == "US"
    paris = find_place("Paris", country="US")  # Paris, Texas is far smaller than ten times
    assert paris is not None and paris.place.zone == "Europe/Paris"


@pytest.mark.parametrize(
    ("typo", "name", "zone"),
    [
        ("Milna", "Milan", "Europe/Rome"),  # two letters swapped
        ("Florance", "Florence", "Europe/Rome"),
        ("Munchenn", "Munchen", "Europe/Berlin"),  # the plain spelling of a namesake
        ("Milanno", "Milano", "Europe/Rome"),
        ("Zurihc", "Zürich", "Europe/Zurich"),
        ("New Yrok", "New York", "America/New_York"),
        ("Amsterdm", "Amsterdam", "Europe/Amsterdam"),
    ],
)
def test_a_typo_finds_the_nearest_name_to_confirm(typo: str, name: str, zone: str) -> None:
    assert find_place(typo, country="IT") == Match(Place(name, *_where(zone)), exact=False)


def _where(zone: str) -> tuple[str, str]:
    country = {"Europe/Rome": "IT", "Europe/Berlin": "DE", "Europe/Zurich": "CH",
               "America/New_York": "US", "Europe/Amsterdam": "NL"}[zone]  # fmt: skip
    return country, zone


@pytest.mark.parametrize("written", ["", "1", "??", "no", "xyzzyq", "Москва", "preferences"])
def test_what_is_no_place_near_enough_is_none(written: str) -> None:
    assert find_place(written, country="IT") is None


def test_short_words_are_matched_exactly_or_not_at_all() -> None:
    assert find_place("Bern") == Match(Place("Bern", "CH", "Europe/Zurich"), exact=True)
    assert find_place("Brn") is None
    assert find_place("Olso") == Match(Place("Oslo", "NO", "Europe/Oslo"), exact=False)
