"""Appointments as a service: the slots of a service, booking, moving, cancelling, reminders.

A booking is made with the rows of the staff who could take it locked (`SELECT … FOR
UPDATE`; SQLite writers take turns), after computing again whether the time is free: two
members choosing the same slot at once get one booking, and the other "just taken" with
the next free slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from loyalty.booking import BOOKED, Rules, Slot, Week, free_slots
from loyalty.consent import Purpose
from loyalty.dates import wall_clock
from loyalty.hours import Opening
from loyalty.program import Program, Service
from loyalty.records import Appointment, Member, Staff
from loyalty.rewards import Voucher
from loyalty.stores import UnitOfWork
from services import holds
from services.members import account
from services.notices import Notice, Request, send_once

SHOWN = 4  # slots offered at a time
CANCELLED, NO_SHOW = "cancelled", "no_show"
REMINDER = "appointment_reminder"
CLOSED = "appointment_cancelled"  # news: the club cancelled it (a closure, or staff)
BY_STAFF = "staff"  # such news's `by`: staff cancelled this one booking (none: a closure)
MORNING = time(8)  # the morning-of reminder, in the member's zone


class BookingError(ValueError):
    """A booking that cannot be made; `code` says what, `alternatives` what is free."""

    def __init__(self, message: str, code: str, alternatives: Sequence[Slot] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.alternatives = list(alternatives)


UNKNOWN, NOT_FOR_YOU, TAKEN = "unknown", "not_for_you", "taken"


def rules(service: Service) -> Rules:
    return Rules(
        service.minutes, service.buffer_minutes, timedelta(hours=service.notice_hours),
        timedelta(days=service.ahead_days),
    )  # fmt: skip


def bookable(program: Program, tier: str) -> list[str]:
    """The services a member of `tier` may book."""
    return [key for key, s in program.services.items() if not s.tiers or tier in s.tiers]


async def tier_of(uow: UnitOfWork, member: Member, now: datetime, program: Program) -> str:
    return (await account(uow, member.id, now, program)).tier_state(program).tier


def _week(hours: list[tuple[int, time, time]]) -> Week:
    days: list[list[Opening]] = [[] for _ in range(7)]
    for weekday, start, end in hours:
        days[weekday].append(Opening(start, end))
    return tuple(tuple(day) for day in days)


@dataclass
class _Board:
    """Who can take a service, when they work, what is booked, when the store is closed."""

    staff: list[Staff]
    weeks: dict[int, Week] = field(default_factory=dict)


async def _board(uow: UnitOfWork, service: Service) -> _Board:
    wanted = {name.casefold() for name in service.staff}
    staff = [
        s for s in await uow.staff.all()
        if not wanted or s.name.casefold() in wanted or s.name.split(" ")[0].casefold() in wanted
    ]  # fmt: skip
    hours = await uow.schedules.hours([s.id for s in staff])
    board = _Board([s for s in staff if s.id in hours])
    board.weeks = {s.id: _week(hours[s.id]) for s in board.staff}
    return board


async def slots(
    uow: UnitOfWork,
    program: Program,
    key: str,
    now: datetime,
    after: datetime | None = None,
    limit: int | None = SHOWN,
    excluding: int | None = None,
) -> list[Slot]:
    """The next free slots of a service (from `after`; all of them when `limit` is None),
    soonest first."""
    service = program.services.get(key)
    if service is None:
        raise BookingError(f"no service {key!r}", UNKNOWN)
    board = await _board(uow, service)
    zone = program.club.zone
    horizon = now + timedelta(days=service.ahead_days)
    busy = await uow.appointments.busy(list(board.weeks), now, horizon, excluding)
    closed = {c.day for c in await uow.schedules.closures(now.astimezone(zone).date())}
    found = free_slots(
        rules(service), program.store.week(), zone, board.weeks, busy, now, closed, after
    )
    return list(islice(found, limit))


async def book(
    uow: UnitOfWork,
    program: Program,
    member: Member,
    key: str,
    start: datetime,
    now: datetime,
    note: str = "",
    photo: str | None = None,
    channel: str | None = None,
) -> Appointment:
    """Book `start` for the member (reminders go on `channel`, where they booked)."""
    service = program.services.get(key)
    if service is None:
        raise BookingError(f"no service {key!r}", UNKNOWN)
    if key not in bookable(program, await tier_of(uow, member, now, program)):
        raise BookingError(f"{key} is not open to this member's tier", NOT_FOR_YOU)
    slot = await _hold(uow, program, key, service, start, now, None)
    return await uow.appointments.add(
        member_id=member.id, service=key, staff_id=slot.staff_id, starts_at=slot.start,
        ends_at=slot.end, block_end=slot.start + rules(service).block, note=note[:1000],
        photo=photo, channel=channel, sequence=0, created_at=now, updated_at=now,
    )  # fmt: skip


async def _hold(
    uow: UnitOfWork,
    program: Program,
    key: str,
    service: Service,
    start: datetime,
    now: datetime,
    excluding: int | None,
) -> Slot:
    """The slot at `start`, with its staff locked; BookingError(TAKEN) with what is free."""
    await uow.schedules.lock_staff([s.id for s in (await _board(uow, service)).staff])
    found = await slots(uow, program, key, now, after=start, limit=SHOWN, excluding=excluding)
    if not found or found[0].start != start:
        raise BookingError("that time was just taken", TAKEN, found)
    return found[0]


async def move(
    uow: UnitOfWork,
    program: Program,
    appointment: Appointment,
    start: datetime,
    now: datetime,
    channel: str | None = None,
) -> Appointment:
    """A new time for a booking: still one booking, the old time freed; its news follows
    the member to the `channel` they moved it on."""
    service = program.services[appointment.service]
    slot = await _hold(uow, program, appointment.service, service, start, now, appointment.id)
    appointment.staff_id, appointment.starts_at, appointment.ends_at = (
        slot.staff_id, slot.start, slot.end,
    )  # fmt: skip
    appointment.block_end = slot.start + rules(service).block
    appointment.updated_at, appointment.sequence = now, appointment.sequence + 1
    appointment.channel = channel or appointment.channel
    return appointment


async def upcoming(uow: UnitOfWork, member_id: int, now: datetime) -> Sequence[Appointment]:
    """The member's bookings to come, soonest first."""
    return await uow.appointments.upcoming(member_id, now)


async def of_member(uow: UnitOfWork, member_id: int, booking_id: int) -> Appointment | None:
    """The member's booking by its id, while it stands; None for another's or a cancelled one."""
    booking = await uow.appointments.get(booking_id)
    if booking is None or booking.member_id != member_id or booking.status != BOOKED:
        return None
    return booking


async def cancel(
    uow: UnitOfWork, appointment: Appointment, now: datetime, status: str = CANCELLED
) -> Voucher | None:
    """The booking ends (cancelled, or the member did not come): its time is free again, and
    the member's calendar copy gives way to the cancellation (a higher SEQUENCE). An
    experience's voucher ends with it: returned when cancelled (that voucher), kept when
    missed."""
    appointment.status, appointment.updated_at = status, now
    appointment.sequence += 1
    return await holds.booking_ended(uow, appointment.id, now, returned=status == CANCELLED)


async def cancel_for_closure(uow: UnitOfWork, bookings: list[Appointment], now: datetime) -> int:
    """The club cancels these bookings (the store closes that day), each member told;
    returns the news queued."""
    for booking in bookings:
        await cancel(uow, booking, now)
    return await tell_cancelled(uow, bookings, now)


async def tell_cancelled(
    uow: UnitOfWork, bookings: list[Appointment], now: datetime, by: str | None = None
) -> int:
    """Tell each member the club cancelled their booking (by a closure, or `by` staff), once,
    on the channel they booked on, as news of their own request; returns the news queued."""
    notices = [
        Notice(f"{CLOSED}:{b.id}", b.member_id,
               {"appointment": str(b.id)} | ({"by": by} if by else {}),
               Request(f"appointment {b.id}", b.channel))
        for b in bookings
    ]  # fmt: skip
    return await send_once(uow, now, CLOSED, Purpose.SERVICE, notices)


async def reminders(uow: UnitOfWork, program: Program, now: datetime) -> int:
    """Queue the reminders due: a day before, and on the morning of in the member's zone,
    on the channel they booked on; none for what was booked after its time."""
    notices = []
    for booking in await uow.appointments.between(now, now + timedelta(hours=24)):
        member = await uow.members.get(booking.member_id)
        if booking.status != BOOKED or member is None:
            continue
        zone = ZoneInfo(member.timezone) if member.timezone else program.club.zone
        morning = wall_clock(booking.starts_at.astimezone(zone).date(), MORNING, zone)
        due = [("day", booking.starts_at - timedelta(hours=24))]
        if booking.starts_at > morning:
            due.append(("morning", morning))
        start = str(int(booking.starts_at.timestamp()))  # a moved booking is reminded anew
        asked = Request(f"appointment {booking.id}", booking.channel)
        notices += [
            Notice(f"{REMINDER}:{label}:{booking.id}:{start}", member.id,
                   {"appointment": str(booking.id), "start": start}, asked)
            for label, at in due
            if booking.updated_at < at <= now
        ]  # fmt: skip
    return await send_once(uow, now, REMINDER, Purpose.SERVICE, notices)
