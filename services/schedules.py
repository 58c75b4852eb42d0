"""The store's calendar as staff set it: when each of them works, which days it is closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from loyalty.hours import Opening
from loyalty.records import Closure, Staff
from loyalty.stores import UnitOfWork
from services import staff


class ScheduleError(ValueError):
    """A change to the calendar that cannot be made; the text says why."""


async def set_hours(uow: UnitOfWork, who: str, weekday: int, opening: Opening | None) -> Staff:
    """The hours of the staff member `who` names on a weekday (None: not working then)."""
    person = await staff.named(uow, who)
    start, end = (opening.start, opening.end) if opening else (None, None)
    await uow.schedules.set_hours(person.id, weekday, start, end)
    return person


async def close(uow: UnitOfWork, day: date, reason: str) -> None:
    await uow.schedules.close(day, reason)


async def closures(uow: UnitOfWork) -> Sequence[Closure]:
    return await uow.schedules.closures()


async def reopen(uow: UnitOfWork, day: date) -> None:
    if not await uow.schedules.reopen(day):
        raise ScheduleError(f"no closure on {day.isoformat()}")
