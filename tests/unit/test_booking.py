"""Free slots: opening hours, staff hours, closures, buffers, notice, DST, other zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from loyalty.booking import Busy, Rules, Slot, free_slots, missed
from loyalty.hours import DAYS, parse_day

ROME = ZoneInfo("Europe/Rome")
STORE = tuple(parse_day(h) for h in ("closed", *["10:00-19:00"] * 4, "10:00-13:00, 14:00-19:00",
                                     "closed"))  # fmt: skip
ANNA = tuple(parse_day(h) for h in ("closed", "10:00-18:00", "10:00-18:00", "closed",
                                    "12:00-19:00", "10:00-19:00", "closed"))  # fmt: skip
EVERY_DAY = tuple(parse_day("10:00-19:00") for _ in DAYS)
FITTING = Rules(minutes=60, buffer_minutes=15)
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=ROME)


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)


def starts(slots: list[Slot]) -> list[str]:
    return [s.start.astimezone(ROME).strftime("%a %H:%M") for s in slots]


def test_slots_fit_the_store_and_the_staff_hours_with_the_buffer() -> None:
    tuesday = [s for s in free_slots(FITTING, STORE, ROME, {1: ANNA}, [], MONDAY)
               if s.start.date() == date(2026, 11, 24)]  # fmt: skip
    assert starts(tuesday)[:3] == ["Tue 10:00", "Tue 10:30", "Tue 11:00"]
    assert starts(tuesday)[-1] == "Tue 16:30"  # 16:30 + 60 + 15 = 17:45, Anna stops at 18:00
    assert tuesday[0].end == rome(2026, 11, 24, 11, 0)


def test_a_booking_and_its_buffer_keep_their_time() -> None:
    busy = [Busy(1, rome(2026, 11, 24, 12, 0), rome(2026, 11, 24, 13, 15))]
    tuesday = list(islice(free_slots(FITTING, STORE, ROME, {1: ANNA}, busy, MONDAY), 12))
    assert "Tue 10:30" in starts(tuesday) and "Tue 11:00" not in starts(tuesday)
    assert "Tue 13:00" not in starts(tuesday) and "Tue 13:30" in starts(tuesday)


def test_another_staff_member_takes_the_time_one_is_busy() -> None:
    busy = [Busy(1, rome(2026, 11, 24, 10, 0), rome(2026, 11, 24, 19, 0))]
    first = next(free_slots(FITTING, STORE, ROME, {1: ANNA, 2: EVERY_DAY}, busy, MONDAY))
    assert (first.start, first.staff_id) == (rome(2026, 11, 24, 10, 0), 2)


def test_notice_and_how_far_ahead_bound_the_slots() -> None:
    rules = Rules(minutes=60, notice=timedelta(hours=48), ahead=timedelta(days=3))
    slots = list(free_slots(rules, STORE, ROME, {1: ANNA}, [], MONDAY))
    assert slots[0].start == rome(2026, 11, 25, 10, 0)  # Tuesday is within the 48 h notice
    assert slots[-1].start <= MONDAY + timedelta(days=3)


def test_closed_days_and_the_lunch_break_have_no_slots() -> None:
    closed = {date(2026, 11, 24)}
    slots = list(islice(free_slots(FITTING, STORE, ROME, {1: EVERY_DAY}, [], MONDAY, closed), 40))
    assert date(2026, 11, 24) not in {s.start.date() for s in slots}
    saturday = [s for s in free_slots(FITTING, STORE, ROME, {1: EVERY_DAY}, [], MONDAY)
                if s.start.date() == date(2026, 11, 28)]  # fmt: skip
    assert "Sat 11:30" in starts(saturday)  # 11:30 + 60 + 15 = 12:45, before 13:00
    assert "Sat 12:00" not in starts(saturday) and "Sat 13:30" not in starts(saturday)
    assert "Sat 14:00" in starts(saturday)


def test_slots_keep_the_stores_wall_clock_across_the_dst_change() -> None:
    before = datetime(2026, 3, 27, 22, 0, tzinfo=UTC)
    rules = Rules(60, notice=timedelta(0))
    slots = list(islice(free_slots(rules, EVERY_DAY, ROME, {1: EVERY_DAY}, [], before), 60))
    firsts = {}
    for slot in slots:
        firsts.setdefault(slot.start.astimezone(ROME).date(), slot.start)
    assert firsts[date(2026, 3, 28)] == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert firsts[date(2026, 3, 29)] == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 10:00 CEST


def test_a_member_in_another_zone_sees_the_same_moment_in_theirs() -> None:
    first = next(free_slots(FITTING, STORE, ROME, {1: ANNA}, [], MONDAY))
    assert first.start.astimezone(ZoneInfo("America/New_York")).hour == 4


def test_a_member_can_miss_an_appointment_only_once_it_has_started() -> None:
    start = rome(2026, 11, 24, 10, 0)
    assert not missed(start, start - timedelta(seconds=1))
    assert missed(start, start)
    assert missed(start, start + timedelta(hours=3))
