"""The store's calendar as staff set it: when each of them works, which days it is closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from loyalty.hours import Opening
from loyalty.program import Program
from loyalty.records import Appointment, Closure, Staff
from loyalty.stores import UnitOfWork
from services import agenda, appointments, staff
from services.members import member_number


class ScheduleError(ValueError):
    """A change to the calendar that cannot be made; the text says why."""


class BookedThatDay(ScheduleError):
    """A closure over appointments still booked: nothing is changed unless they are
    cancelled with it."""

    def __init__(self, day: date, bookings: list[Appointment], program: Program) -> None:
        zone = program.club.zone
        listed = ", ".join(
            f"{b.id} at {b.starts_at.astimezone(zone):%H:%M} ({b.service}, "
            f"{member_number(b.member_id)})"
            for b in bookings
        )
        super().__init__(
            f"{day.isoformat()} has {len(bookings)} booked appointment(s): {listed}; "
            "nothing changed"
        )
        self.bookings = bookings


@dataclass(frozen=True)
class Closed:
    cancelled: list[Appointment]  # bookings the closure cancelled
    told: int  # members' news of it queued


async def set_hours(uow: UnitOfWork, who: str, weekday: int, opening: Opening | None) -> Staff:
    """The hours of the staff member `who` names on a weekday (None: not working then)."""
    person = await staff.named(uow, who)
    start, end = (opening.start, opening.end) if opening else (None, None)
    await uow.schedules.set_hours(person.id, weekday, start, end)
    return person


async def close(
    uow: UnitOfWork, program: Program, day: date, reason: str, now: datetime,
    cancel_bookings: bool = False,
) -> Closed:  # fmt: skip
    """Close the store on `day`; what is booked then is refused (BookedThatDay) unless
    `cancel_bookings`: then it is cancelled and each member told."""
    booked = await agenda.booked_on(uow, program, day)
    if booked and not cancel_bookings:
        raise BookedThatDay(day, booked, program)
    await uow.schedules.close(day, reason)
    return Closed(booked, await appointments.cancel_for_closure(uow, booked, now))


async def closures(uow: UnitOfWork, since: date | None = None) -> Sequence[Closure]:
    """The days the store is closed, in order (from `since` on)."""
    return await uow.schedules.closures(since)


async def rota(uow: UnitOfWork) -> list[tuple[Staff, list[Opening | None]]]:
    """Each staff member's hours, Monday first (None: not working that day); `set_hours`
    keeps one opening a day."""
    people = await staff.roster(uow)
    hours = await uow.schedules.hours([person.id for person in people])
    found = []
    for person in people:
        days: list[Opening | None] = [None] * 7
        for weekday, start, end in hours.get(person.id, []):
            days[weekday] = days[weekday] or Opening(start, end)
        found.append((person, days))
    return found


async def reopen(uow: UnitOfWork, day: date) -> None:
    if not await uow.schedules.reopen(day):
        raise ScheduleError(f"no closure on {day.isoformat()}")
