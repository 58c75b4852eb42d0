"""Month arithmetic and birthdays: clamped to the month's end, 29 February kept in short years."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.dates import (
    EARLIEST,
    LATEST,
    Birthday,
    OutOfRange,
    add_months,
    iso_day,
    moment_in,
    occurrence_in,
)

from .factories import utc

ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (utc(2024, 1, 31), 1, utc(2024, 2, 29)),
        (utc(2025, 1, 31), 1, utc(2025, 2, 28)),
        (utc(2024, 3, 31), -1, utc(2024, 2, 29)),
        (utc(2024, 5, 31), 1, utc(2024, 6, 30)),
        (utc(2024, 12, 15), 1, utc(2025, 1, 15)),
        (utc(2025, 1, 15), -1, utc(2024, 12, 15)),
        (utc(2024, 2, 29), 12, utc(2025, 2, 28)),
        (utc(2024, 2, 29), 48, utc(2028, 2, 29)),
        (utc(2022, 1, 10), 24, utc(2024, 1, 10)),
        (utc(2025, 6, 15), -12, utc(2024, 6, 15)),
        (utc(2025, 6, 15), 0, utc(2025, 6, 15)),
    ],
)
def test_add_months_clamps_the_day_to_the_months_end(
    start: datetime, months: int, expected: datetime
) -> None:
    assert add_months(start, months) == expected


def test_add_months_keeps_the_time_and_zone() -> None:
    zone = timezone(timedelta(hours=2))
    moment = datetime(2024, 8, 31, 23, 59, 59, 7, tzinfo=zone)
    shifted = add_months(moment, 1)
    assert shifted == datetime(2024, 9, 30, 23, 59, 59, 7, tzinfo=zone)
    assert shifted.tzinfo is zone


moments = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2150, 12, 31), timezones=st.just(UTC)
)


@settings(database=None)
@given(moment=moments, months=st.integers(min_value=-600, max_value=600))
def test_add_months_round_trips_when_the_day_exists_in_every_month(
    moment: datetime, months: int
) -> None:
    moment = moment.replace(day=min(moment.day, 28))
    assert add_months(add_months(moment, months), -months) == moment


@settings(database=None)
@given(moment=moments, months=st.integers(min_value=-600, max_value=600))
def test_add_months_moves_exactly_that_many_calendar_months(moment: datetime, months: int) -> None:
    shifted = add_months(moment, months)
    assert (shifted.year * 12 + shifted.month) - (moment.year * 12 + moment.month) == months
    assert shifted.day <= moment.day
    assert shifted.time() == moment.time()
    # the day only moves when the target month is too short for it
    assert shifted.day == moment.day or (shifted + timedelta(days=1)).day == 1


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2025, date(2025, 2, 28)), (2028, date(2028, 2, 29)), (2100, date(2100, 2, 28))],
)
def test_29_february_falls_on_28_february_in_non_leap_years(year: int, expected: date) -> None:
    assert occurrence_in(2, 29, year) == expected


def test_other_occasions_fall_on_their_own_day() -> None:
    assert occurrence_in(2, 28, 2024) == date(2024, 2, 28)
    assert occurrence_in(12, 31, 2025) == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03-14", Birthday(3, 14)),
        ("1990-03-14", Birthday(3, 14, 1990)),
        ("  12-01 \n", Birthday(12, 1)),
        ("02-29", Birthday(2, 29)),
        ("2000-02-29", Birthday(2, 29, 2000)),
    ],
)
def test_birthday_parses_month_day_with_or_without_year(text: str, expected: Birthday) -> None:
    assert Birthday.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "3-14", "03-4", "90-03-14", "1990-3-14", "14/03/1990", "March 14", "", "1990-03-14-01",
        "٠٣-١٤", "+3-14", "03-+4", "²³-14",  # ASCII digits only
    ],
)  # fmt: skip
def test_birthday_in_another_format_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        Birthday.parse(text)
    assert str(caught.value) == f"not a birthday (MM-DD or YYYY-MM-DD): {text!r}"


@pytest.mark.parametrize("text", ["02-30", "13-01", "00-10", "04-31", "2023-02-29", "0000-01-01"])
def test_birthday_on_a_day_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        Birthday.parse(text)
    assert str(caught.value) == f"no such day: {text!r}"


def test_birthday_prints_as_it_was_given() -> None:
    assert str(Birthday(3, 4)) == "03-04"
    assert str(Birthday(3, 4, 1990)) == "1990-03-04"


@settings(database=None)
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), with_year=st.booleans()
)
def test_birthday_round_trips_through_its_text(day: date, with_year: bool) -> None:
    birthday = Birthday(day.month, day.day, day.year if with_year else None)
    assert Birthday.parse(str(birthday)) == birthday


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: datetime itself overflows
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:00:00-02:00",  # after year 9999 in UTC
        "0001-01-01T00:00:00",  # in the store's zone
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_a_moment_outside_the_years_the_rules_reckon_with_is_out_of_range(text: str) -> None:
    with pytest.raises(OutOfRange) as caught:
        moment_in(text, ROME)
    assert str(caught.value) == "out of range: from 1900 to 2199"


def test_the_first_and_last_moments_in_range_are_read() -> None:
    assert moment_in("1900-01-01T00:00:00Z", ROME) == EARLIEST
    assert moment_in("2199-12-31T23:59:59Z", ROME) == LATEST - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-25", date(2026, 12, 25)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2199-12-31", date(2199, 12, 31)),
        ("1899-12-31", None),
        ("2200-01-01", None),
        ("9999-12-31", None),
        ("0001-01-01", None),
        ("2026-02-30", None),
        ("٢٠٢٦-١٢-٢٥", None),
        ("20261225", None),  # fromisoformat's basic format: not how staff write a day
        ("2026-W52-5", None),
        (" 2026-12-25", None),
    ],
)
def test_a_day_is_yyyy_mm_dd_in_ascii_digits_in_range(text: str, expected: date | None) -> None:
    assert iso_day(text) == expected
