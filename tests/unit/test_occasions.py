"""Occasions: what falls on a member's day in their zone, and when it may be sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.consent import Purpose
from loyalty.dates import Birthday
from loyalty.occasions import (
    BIRTHDAY,
    CLUB_ANNIVERSARY,
    FIRST_PURCHASE,
    MemberDates,
    Occasion,
    QuietHours,
    allowed_at,
    month_days,
    under_cap,
    yearly,
)
from loyalty.occasions import occasions_on as due_on

ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = QuietHours(time(21), time(9))


def giulia(**dates: object) -> MemberDates:
    return MemberDates(member_id=7, zone=ROME, **dates)  # type: ignore[arg-type]


def occasions_on(day: date, member: MemberDates, send_hour: int) -> list[Occasion]:
    return due_on(day, member.member_id, member.zone, yearly(member), send_hour)


def test_a_birthday_is_due_at_the_send_hour_in_the_members_zone() -> None:
    [birthday] = occasions_on(date(2026, 7, 14), giulia(birthday=Birthday(7, 14)), 10)

    assert (birthday.kind, birthday.purpose, birthday.years) == (BIRTHDAY, Purpose.BIRTHDAY, None)
    assert birthday.due == datetime(2026, 7, 14, 8, 0, tzinfo=UTC)  # 10:00 in Rome, summer
    assert birthday.key == "birthday:7:2026"


def test_the_same_local_hour_is_a_different_instant_in_new_york() -> None:
    member = MemberDates(member_id=7, zone=NEW_YORK, birthday=Birthday(1, 5, 1980))
    [birthday] = occasions_on(date(2027, 1, 5), member, 10)
    assert birthday.due == datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
    assert birthday.years == 47


@pytest.mark.parametrize(
    ("year", "day", "due"), [(2027, date(2027, 2, 28), True), (2028, date(2028, 2, 28), False)]
)
def test_29_february_is_kept_on_28_february_in_other_years(
    year: int, day: date, due: bool
) -> None:
    found = occasions_on(day, giulia(birthday=Birthday(2, 29)), 10)
    assert bool(found) is due
    assert bool(occasions_on(date(2028, 2, 29), giulia(birthday=Birthday(2, 29)), 10))


def test_anniversaries_come_a_year_after_never_on_the_day_itself() -> None:
    member = giulia(
        joined=date(2025, 3, 1),
        first_purchase=date(2024, 6, 2),
        declared={"wedding": date(2010, 9, 18)},
    )
    assert occasions_on(date(2025, 3, 1), member, 10) == []
    [club] = occasions_on(date(2026, 3, 1), member, 10)
    [first] = occasions_on(date(2026, 6, 2), member, 10)
    [wedding] = occasions_on(date(2026, 9, 18), member, 10)
    assert (club.kind, club.years, club.purpose) == (CLUB_ANNIVERSARY, 1, Purpose.ANNIVERSARY)
    assert (first.kind, first.years) == (FIRST_PURCHASE, 2)
    assert (wedding.kind, wedding.years, wedding.key) == ("wedding", 16, "wedding:7:2026")


def test_a_first_purchase_on_the_day_of_joining_is_one_occasion_not_two() -> None:
    member = giulia(joined=date(2024, 5, 10), first_purchase=date(2024, 5, 10))
    assert [o.kind for o in occasions_on(date(2026, 5, 10), member, 10)] == [CLUB_ANNIVERSARY]


def test_a_send_hour_that_a_dst_change_skips_moves_forward() -> None:
    [birthday] = occasions_on(date(2026, 3, 29), giulia(birthday=Birthday(3, 29)), 2)
    assert birthday.due.astimezone(ROME).hour == 3  # 02:00 does not exist in Rome that night
    assert birthday.due == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 24, 10, 0), datetime(2026, 11, 24, 10, 0)),  # allowed
        (datetime(2026, 11, 24, 22, 30), datetime(2026, 11, 25, 9, 0)),  # evening: tomorrow
        (datetime(2026, 11, 24, 3, 0), datetime(2026, 11, 24, 9, 0)),  # night: this morning
        (datetime(2026, 11, 24, 9, 0), datetime(2026, 11, 24, 9, 0)),  # the end is allowed
        (datetime(2026, 11, 24, 21, 0), datetime(2026, 11, 25, 9, 0)),  # the start is quiet
    ],
)
def test_quiet_hours_defer_to_their_end(local: datetime, expected: datetime) -> None:
    moment = local.replace(tzinfo=ROME).astimezone(UTC)
    assert allowed_at(moment, ROME, QUIET) == expected.replace(tzinfo=ROME)


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours(time(12), time(14))
    moment = datetime(2026, 11, 24, 13, 0, tzinfo=ROME)
    assert allowed_at(moment, ROME, lunch) == datetime(2026, 11, 24, 14, 0, tzinfo=ROME)


ZONES = st.sampled_from(["Europe/Rome", "America/New_York", "Asia/Tokyo", "Australia/Sydney"])


@given(
    zone=ZONES.map(ZoneInfo),
    moment=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
)
def test_nothing_is_ever_allowed_inside_quiet_hours(
    zone: ZoneInfo, moment: datetime, start: time, end: time
) -> None:
    if start == end:
        return  # an empty span: nothing is quiet
    quiet = QuietHours(start.replace(microsecond=0), end.replace(microsecond=0))
    allowed = allowed_at(moment, zone, quiet)
    assert allowed >= moment
    assert not quiet.contains(allowed.astimezone(zone).time())
    assert allowed - moment <= timedelta(days=1, hours=1)


def test_the_cap_counts_only_the_window() -> None:
    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    sent = [now - timedelta(days=d) for d in (1, 3, 8)]
    assert under_cap(sent, now, messages=3, days=7)
    assert not under_cap(sent, now, messages=2, days=7)
    assert under_cap([], now, messages=1, days=7)


def test_28_february_of_a_common_year_also_looks_up_the_29th() -> None:
    assert month_days(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert month_days(date(2028, 2, 28)) == [(2, 28)]
    assert month_days(date(2028, 2, 29)) == [(2, 29)]
    assert month_days(date(2027, 7, 14)) == [(7, 14)]


def test_the_send_hour_stays_local_across_a_dst_change() -> None:
    def due(day: date) -> datetime:
        member = MemberDates(member_id=7, zone=NEW_YORK, birthday=Birthday(day.month, day.day))
        [occasion] = occasions_on(day, member, 10)
        return occasion.due.astimezone(UTC)

    assert due(date(2026, 10, 31)) == datetime(2026, 10, 31, 14, 0, tzinfo=UTC)  # EDT
    assert due(date(2026, 11, 1)) == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)  # EST since 2:00
