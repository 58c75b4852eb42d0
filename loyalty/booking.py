"""Concierge appointments: the free slots of a service (pure).

A slot is free when the service and its buffer fit within the store's opening hours and a
staff member's working hours that day (the store's zone), the store is not closed, it
overlaps none of that staff member's bookings (with their buffers), and it is far enough
ahead (notice) but not too far (how far ahead the service may be booked).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from loyalty.dates import wall_clock
from loyalty.hours import Opening

BOOKED = "booked"  # an appointment's status while it holds its time
STEP = timedelta(minutes=30)  # slots start on the half hour from each opening

Week = tuple[tuple[Opening, ...], ...]  # Monday first


def missed(starts_at: datetime, now: datetime) -> bool:
    """Whether a member can have failed to come yet: not before the appointment's start."""
    return now >= starts_at


@dataclass(frozen=True)
class Busy:
    staff_id: int
    start: datetime
    end: datetime  # the booking's end plus its buffer


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    staff_id: int


@dataclass(frozen=True)
class Rules:
    """A service as booking sees it."""

    minutes: int
    buffer_minutes: int = 0
    notice: timedelta = timedelta(hours=24)
    ahead: timedelta = timedelta(days=30)

    @property
    def block(self) -> timedelta:
        return timedelta(minutes=self.minutes + self.buffer_minutes)


def _ranges(
    day: date, openings: Iterable[Opening], zone: tzinfo
) -> list[tuple[datetime, datetime]]:
    return [(wall_clock(day, o.start, zone), wall_clock(day, o.end, zone)) for o in openings]


def _overlap(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    found = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                found.append((start, end))
    return sorted(found)


def free_slots(
    rules: Rules,
    store: Week,
    zone: tzinfo,
    staff: Mapping[int, Week],
    busy: Iterable[Busy],
    now: datetime,
    closed: Collection[date] = (),
    after: datetime | None = None,
) -> Iterator[Slot]:
    """Free slots from `after` (default: now plus notice) on, soonest first, one per time
    (the staff member with the lowest id who is free then)."""
    earliest = max(now + rules.notice, after or now)
    latest = now + rules.ahead
    taken: dict[int, list[Busy]] = {}
    for entry in busy:
        taken.setdefault(entry.staff_id, []).append(entry)
    day = earliest.astimezone(zone).date()
    while wall_clock(day, time(0), zone) <= latest:
        if day not in closed:
            open_ = _ranges(day, store[day.weekday()], zone)
            starts: dict[datetime, int] = {}
            for staff_id in sorted(staff):
                working = _ranges(day, staff[staff_id][day.weekday()], zone)
                for start, end in _overlap(open_, working):
                    moment = start
                    while moment + rules.block <= end:
                        block_end = moment + rules.block
                        clash = any(
                            b.start < block_end and moment < b.end for b in taken.get(staff_id, ())
                        )
                        if earliest <= moment <= latest and not clash:
                            starts.setdefault(moment, staff_id)
                        moment += STEP
            for moment in sorted(starts):
                yield Slot(moment, moment + timedelta(minutes=rules.minutes), starts[moment])
        day += timedelta(days=1)
