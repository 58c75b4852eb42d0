"""Opening hours: when the store is open, and when it opens next (for "we answer from...")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.hours import DAYS, OpeningHours, alike, parse_day

ROME = ZoneInfo("Europe/Rome")
WEEK = {"mon": "closed", "tue": "10:00-19:00", "wed": "10:00-19:00", "thu": "10:00-19:00",
        "fri": "10:00-19:00", "sat": "10:00-13:00, 14:00-19:00", "sun": "closed"}  # fmt: skip
HOURS = OpeningHours(tuple(parse_day(WEEK[day]) for day in DAYS), ROME)


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)


def test_open_now_is_now() -> None:
    assert HOURS.next_open(rome(2026, 11, 24, 11, 30)) == rome(2026, 11, 24, 11, 30)


def test_after_closing_it_is_the_next_morning() -> None:
    assert HOURS.next_open(rome(2026, 11, 24, 19, 0)) == rome(2026, 11, 25, 10, 0)


def test_a_closed_day_is_skipped() -> None:
    assert HOURS.next_open(rome(2026, 11, 22, 12, 0)) == rome(2026, 11, 24, 10, 0)  # Sun -> Tue


def test_the_lunch_break_is_closed() -> None:
    assert HOURS.next_open(rome(2026, 11, 28, 13, 15)) == rome(2026, 11, 28, 14, 0)
    assert HOURS.next_open(rome(2026, 11, 28, 13, 15), horizon_days=0) != rome(
        2026, 11, 28, 13, 15
    )


def test_closures_are_skipped() -> None:
    christmas = {date(2026, 12, 24), date(2026, 12, 25)}
    assert HOURS.next_open(rome(2026, 12, 23, 20, 0), christmas) == rome(2026, 12, 26, 10, 0)


def test_a_week_without_openings_never_opens() -> None:
    never = OpeningHours(tuple(() for _ in DAYS), ROME)
    assert never.next_open(rome(2026, 11, 24, 10, 0)) is None


def test_the_times_are_the_stores_across_the_dst_change() -> None:
    # the last Sunday of March: 10:00 in Rome is 08:00 UTC after the change, 09:00 before
    week = OpeningHours(tuple(parse_day("10:00-19:00") for _ in DAYS), ROME)
    assert week.next_open(datetime(2026, 3, 28, 20, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )
    assert week.next_open(datetime(2026, 3, 27, 20, 0, tzinfo=UTC)) == datetime(
        2026, 3, 28, 9, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10-19", "is not like 10:00-19:00"),
        ("19:00-10:00", "must run forward"),
        ("10:00-14:00, 13:00-19:00", "not overlap"),
        ("10:00-25:00", "is not a time of day"),
    ],
)
def test_a_day_that_cannot_be_read_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_day(text)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_the_next_opening_is_never_before_and_always_open(moment: datetime) -> None:
    at = moment.replace(tzinfo=UTC)
    opens = HOURS.next_open(at)
    assert opens is not None and opens >= at and opens - at < timedelta(days=3)
    assert HOURS.next_open(opens, horizon_days=0) == opens  # open then


def test_days_alike_are_told_together_and_closed_days_left_out() -> None:
    ten_to_seven, split = parse_day(WEEK["tue"]), parse_day(WEEK["sat"])
    assert alike(HOURS.week) == [(1, 4, ten_to_seven), (5, 5, split)]
    week = (ten_to_seven, (), ten_to_seven, ten_to_seven, (), (), ten_to_seven)
    assert alike(week) == [(0, 0, ten_to_seven), (2, 3, ten_to_seven), (6, 6, ten_to_seven)]
