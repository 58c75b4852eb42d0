"""The back office's Appointments pages: the week by staff member, staff hours, closures,
no-shows and cancellations. The CLI's services do the work (agenda, schedules, appointments);
this adds what a page needs: a closure over bookings is asked about first, and every change
is written in the audit log with who made it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

from loyalty.booking import BOOKED, missed
from loyalty.dates import iso_day, wall_clock
from loyalty.hours import DAYS, Opening
from loyalty.program import Program
from loyalty.records import Closure
from loyalty.rewards import Voucher
from loyalty.stores import UnitOfWork
from loyalty.text import unstorable
from services import agenda, appointments, schedules, staff
from services.agenda import Entry
from services.appointments import BookingError
from services.schedules import Closed, ScheduleError

REASON = 200  # characters a closure's reason may hold (closure.reason), a cancellation's too
WORDY = "reason"  # a cancellation's reason refused: too long, or not one line


@dataclass(frozen=True)
class Column:
    """One staff member's bookings of the week, by day; `name` None: bookings whose staff
    member is gone (anyone may take them)."""

    name: str | None
    days: list[list[Entry]]  # the days with bookings, each soonest first


@dataclass(frozen=True)
class Week:
    first: datetime  # Monday, midnight in the store's zone
    last: datetime  # Sunday, midnight
    previous: date | None  # the Monday before (None: out of the club's dates)
    next: date | None
    columns: list[Column]
    missed: frozenset[int]  # bookings that started and may be marked as no-shows
    coming: frozenset[int]  # bookings still to come, which staff may cancel


@dataclass(frozen=True)
class Cancelled:
    """A booking staff cancelled: its member told (`told` 0: no channel open to that news),
    an experience's voucher given back with its points."""

    entry: Entry
    told: int
    returned: Voucher | None


class Touching(ScheduleError):
    """A closure over bookings nobody has confirmed cancelling yet: nothing changed."""

    def __init__(self, day: date, entries: list[Entry]) -> None:
        super().__init__(f"{day.isoformat()} has {len(entries)} booked appointment(s)")
        self.entries = entries


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def week(uow: UnitOfWork, program: Program, now: datetime, day: date | None) -> Week:
    """The week holding `day` (default: today in the store's zone), by staff member."""
    zone = program.club.zone
    first = monday(day or now.astimezone(zone).date())
    found = await agenda.entries(uow, program, first, 7)
    names = {person.id: person.name for person in await staff.roster(uow)}
    by_staff: dict[int | None, list[Entry]] = {staff_id: [] for staff_id in names}
    for entry in found:
        staff_id = entry.booking.staff_id if entry.booking.staff_id in names else None
        by_staff.setdefault(staff_id, []).append(entry)

    standing = [e.booking for e in found if e.booking.status == BOOKED]

    def on(entry: Entry) -> date:
        return entry.booking.starts_at.astimezone(zone).date()

    return Week(
        first=wall_clock(first, time(0), zone),
        last=wall_clock(first + timedelta(days=6), time(0), zone),
        previous=iso_day((first - timedelta(days=7)).isoformat()),
        next=iso_day((first + timedelta(days=7)).isoformat()),
        columns=[
            Column(
                names.get(staff_id) if staff_id is not None else None,
                [list(entries) for _, entries in groupby(booked, on)],
            )
            for staff_id, booked in by_staff.items()
        ],
        missed=frozenset(b.id for b in standing if missed(b.starts_at, now)),
        coming=frozenset(b.id for b in standing if not missed(b.starts_at, now)),
    )


async def no_show(uow: UnitOfWork, email: str, appointment_id: int, now: datetime) -> None:
    """The member did not come (agenda.no_show: BookingError when it cannot be said yet)."""
    await agenda.no_show(uow, appointment_id, now)
    await uow.office.audit(email, f"appointment-no-show {appointment_id}", now)


async def to_cancel(uow: UnitOfWork, appointment_id: int, now: datetime) -> Entry:
    """The booking staff ask to cancel, to show before they confirm (agenda.cancellable:
    BookingError when it cannot be)."""
    [entry] = await agenda.described(uow, [await agenda.cancellable(uow, appointment_id, now)])
    return entry


async def cancel(
    uow: UnitOfWork, email: str, appointment_id: int, reason: str, now: datetime
) -> Cancelled:
    """Cancel one booking still to come, as a closure does: its time free, an experience's
    points back, its member told (once). The reason, for the audit log only, is the staff's
    own words: the member reads the club's. BookingError when it cannot be (WORDY: the reason
    too long or not one line)."""
    reason = " ".join(reason.split())
    if len(reason) > REASON or unstorable(reason) is not None:
        raise BookingError(f"a reason of at most {REASON} characters, on one line", WORDY)
    booking = await agenda.cancellable(uow, appointment_id, now, lock=True)
    returned = await appointments.cancel(uow, booking, now)
    told = await appointments.tell_cancelled(uow, [booking], now, by=appointments.BY_STAFF)
    await uow.office.audit(email, f"appointment-cancelled {appointment_id} {reason}".rstrip(), now)
    [entry] = await agenda.described(uow, [booking])
    return Cancelled(entry, told, returned)


async def set_hours(
    uow: UnitOfWork, email: str, telegram_user_id: int, wanted: Sequence[Opening | None],
    now: datetime,
) -> list[int]:  # fmt: skip
    """A staff member's week of hours (Monday first) as `wanted`; each weekday changed is
    audited. The weekdays changed; StaffError when nobody of the staff has that id."""
    who = str(telegram_user_id)
    person = await staff.named(uow, who)
    before = {p.id: days for p, days in await schedules.rota(uow)}[person.id]
    changed = [weekday for weekday, opening in enumerate(wanted) if opening != before[weekday]]
    for weekday in changed:
        opening = wanted[weekday]
        await schedules.set_hours(uow, who, weekday, opening)
        span = f"{opening.start:%H:%M}-{opening.end:%H:%M}" if opening else "off"
        await uow.office.audit(email, f"hours-changed {person.name} {DAYS[weekday]} {span}", now)
    return changed


async def upcoming_closures(uow: UnitOfWork, program: Program, now: datetime) -> Sequence[Closure]:
    """The closures from today (store's zone) on: a past one no longer changes anything."""
    return await schedules.closures(uow, now.astimezone(program.club.zone).date())


async def close(
    uow: UnitOfWork, program: Program, email: str, day: date, reason: str, now: datetime,
    confirmed: Sequence[int] | None = None,
) -> Closed:  # fmt: skip
    """Close the store on `day`, from today on. The bookings it touches are cancelled (each
    member told) only when `confirmed` names exactly them; else Touching lists them and
    nothing changes. Audited, with each booking cancelled."""
    reason = " ".join(reason.split())
    if day < now.astimezone(program.club.zone).date():
        raise ScheduleError(f"{day.isoformat()} has passed: a closure from today on")
    if len(reason) > REASON or unstorable(reason) is not None:
        raise ScheduleError(f"a reason of at most {REASON} characters, on one line")
    booked = [e for e in await agenda.entries(uow, program, day, 1) if e.booking.status == BOOKED]
    if booked and sorted(confirmed or ()) != sorted(e.booking.id for e in booked):
        raise Touching(day, booked)
    closed = await schedules.close(uow, program, day, reason, now, cancel_bookings=bool(booked))
    await uow.office.audit(email, f"closure-added {day.isoformat()} {reason}".rstrip(), now)
    for booking in closed.cancelled:
        await uow.office.audit(email, f"appointment-cancelled {booking.id}", now)
    return closed


async def reopen(uow: UnitOfWork, email: str, day: date, now: datetime) -> None:
    """The store opens on `day` after all (ScheduleError when it was not closed then)."""
    await schedules.reopen(uow, day)
    await uow.office.audit(email, f"closure-removed {day.isoformat()}", now)
