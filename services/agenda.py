"""The store's appointments as staff read them: a day's or a week's, the no-shows, and the
bookings staff may still cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from loyalty.booking import BOOKED, missed
from loyalty.dates import wall_clock
from loyalty.program import Program
from loyalty.records import Appointment, Member
from loyalty.stores import UnitOfWork
from services import appointments

EARLY = "early"  # a no-show asked before the appointment's start
STARTED = "started"  # a cancellation asked once the appointment started


@dataclass(frozen=True)
class Entry:
    booking: Appointment
    member: Member | None  # None: erased
    staff: str  # the staff member's name, "?" if they are gone


async def agenda(
    uow: UnitOfWork, program: Program, now: datetime, day: date | None
) -> list[Entry]:
    """The appointments of `day` in the store's zone, or of the seven days from today."""
    first = day or now.astimezone(program.club.zone).date()
    return await entries(uow, program, first, 1 if day else 7)


async def entries(uow: UnitOfWork, program: Program, first: date, days: int) -> list[Entry]:
    """The appointments of `days` days from `first` (store's zone), soonest first, with their
    member and staff member."""
    return await described(uow, await _days(uow, program, first, days))


async def described(uow: UnitOfWork, rows: Sequence[Appointment]) -> list[Entry]:
    """These appointments with their member and staff member."""
    people = await uow.members.many([r.member_id for r in rows])
    staff = {s.id: s.name for s in await uow.staff.all()}
    return [Entry(r, people.get(r.member_id), staff.get(r.staff_id, "?")) for r in rows]


async def _days(
    uow: UnitOfWork, program: Program, first: date, days: int
) -> Sequence[Appointment]:
    """The appointments of `days` days from `first`, midnight to midnight in the store's zone."""
    zone = program.club.zone
    end = wall_clock(first + timedelta(days), time(0), zone)
    return await uow.appointments.between(wall_clock(first, time(0), zone), end)


async def booked_on(uow: UnitOfWork, program: Program, day: date) -> list[Appointment]:
    """What is still booked on a day (store's zone), soonest first."""
    return [row for row in await _days(uow, program, day, 1) if row.status == BOOKED]


async def no_show(uow: UnitOfWork, appointment_id: int, now: datetime) -> None:
    """The member did not come: kept for the club's figures."""
    row = await uow.appointments.get(appointment_id)
    if row is None or row.status != BOOKED:
        raise appointments.BookingError(
            f"no booked appointment {appointment_id}", appointments.UNKNOWN
        )
    if not missed(row.starts_at, now):
        raise appointments.BookingError(
            f"appointment {appointment_id} has not started yet: a no-show is recorded from "
            "its start; nothing recorded",
            EARLY,
        )
    await appointments.cancel(uow, row, now, status=appointments.NO_SHOW)


async def cancellable(
    uow: UnitOfWork, appointment_id: int, now: datetime, lock: bool = False
) -> Appointment:
    """A booking staff may still cancel: booked and not started. BookingError otherwise, its
    code saying why: UNKNOWN, CANCELLED, NO_SHOW or STARTED. `lock`: held until the
    transaction ends, so that a second cancellation waits and is refused."""
    row = await uow.appointments.get(appointment_id, lock=lock)
    refused = appointments.BookingError
    if row is None:
        raise refused(f"no appointment {appointment_id}", appointments.UNKNOWN)
    if row.status != BOOKED:
        raise refused(f"appointment {appointment_id} is {row.status}", row.status)
    if missed(row.starts_at, now):
        raise refused(f"appointment {appointment_id} has started", STARTED)
    return row
