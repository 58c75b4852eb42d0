"""A day and time typed in words, in each club language, against an injected "now"; words
that are no day (a note, a size, an option's number) are never read as one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from loyalty.when import Wanted, read_when

ROME = ZoneInfo("Europe/Rome")
MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Rome
WEDNESDAY, THURSDAY, SATURDAY = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 28)
TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "language", "wanted"),
    [
        ("Wednesday at 3pm", "en", Wanted(WEDNESDAY, time(15))),
        ("wed 15:00", "en", Wanted(WEDNESDAY, time(15))),
        ("tomorrow at 11", "en", Wanted(TUESDAY, time(11))),
        ("Thursday at 10:30am", "en", Wanted(THURSDAY, time(10, 30))),
        ("28/11 at 10", "en", Wanted(SATURDAY, time(10))),
        ("Saturday", "en", Wanted(SATURDAY)),
        ("mercredi 15h", "fr", Wanted(WEDNESDAY, time(15))),
        ("mercredi à 15h30", "fr", Wanted(WEDNESDAY, time(15, 30))),
        ("demain à 11h", "fr", Wanted(TUESDAY, time(11))),
        ("jeudi 26 novembre à 10h", "fr", Wanted(THURSDAY, time(10))),
        ("samedi", "fr", Wanted(SATURDAY)),
        ("domani alle 11", "it", Wanted(TUESDAY, time(11))),
        ("domani alle ore 11", "it", Wanted(TUESDAY, time(11))),
        ("mercoledì alle 15", "it", Wanted(WEDNESDAY, time(15))),
        ("giovedì 26 novembre alle 10", "it", Wanted(THURSDAY, time(10))),
        ("Saturday at 11", "it", Wanted(SATURDAY, time(11))),  # English is understood too
    ],
)
def test_a_day_and_time_in_words_is_read_in_the_members_language(
    text: str, language: str, wanted: Wanted
) -> None:
    assert read_when(text, language, MONDAY_9, ROME) == wanted


@pytest.mark.parametrize(
    "text",
    ["size 52, the gold band", "52", "3", "2026", "my grandmother's ring, size 50", "card",
     "menu", "next week", "May", "Ring resizing", "taille 52, l'anneau d'or", "misura 52", ""],
)  # fmt: skip
def test_words_that_are_no_day_are_not_read_as_one(text: str) -> None:
    assert read_when(text, "en", MONDAY_9, ROME) is None
    assert read_when(text, "fr", MONDAY_9, ROME) is None


def test_a_time_said_at_the_very_minute_of_now_is_still_a_time() -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Rome
    assert read_when("domani alle 11", "it", now, ROME) == Wanted(WEDNESDAY, time(11))
    assert read_when("domani", "it", now, ROME) == Wanted(WEDNESDAY)


def test_a_time_alone_is_on_the_day_being_looked_at_else_the_next_such_time() -> None:
    assert read_when("3pm", "en", MONDAY_9, ROME, SATURDAY) == Wanted(SATURDAY, time(15))
    assert read_when("15h", "fr", MONDAY_9, ROME, SATURDAY) == Wanted(SATURDAY, time(15))
    assert read_when("8am", "en", MONDAY_9, ROME) == Wanted(TUESDAY, time(8))  # 8:00 is past
    assert read_when("tomorrow", "en", MONDAY_9, ROME, SATURDAY) == Wanted(TUESDAY)


def test_the_members_zone_decides_which_day_tomorrow_is() -> None:
    late = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday in Rome, still Monday in New York
    assert read_when("tomorrow", "en", late, ROME) == Wanted(WEDNESDAY)
    assert read_when("tomorrow", "en", late, ZoneInfo("America/New_York")) == Wanted(TUESDAY)
