"""Events as staff run them: the list, one event's sheet and its guest list, the door's
check-in from a ticket, and a cancellation with everyone told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from loyalty.events import tally
from loyalty.membercard import verify_ticket
from loyalty.program import Program
from services import events, members

if TYPE_CHECKING:
    from storage.models import Event, Member, Rsvp
    from storage.unit_of_work import UnitOfWork


async def listing(uow: UnitOfWork) -> list[Event]:
    """Every event, soonest first."""
    return await uow.events.all()


async def _event(uow: UnitOfWork, event_id: int) -> Event:
    event = await uow.events.get(event_id)
    if event is None:
        raise events.EventError(f"no event {event_id}")
    return event


@dataclass(frozen=True)
class Sheet:
    event: Event
    guests: list[int]  # the members on its guest list
    answers: dict[str, int]  # how many of each answer


async def sheet(uow: UnitOfWork, event_id: int) -> Sheet:
    event = await _event(uow, event_id)
    guests = await uow.members.many(sorted(await uow.events.guests(event.id)))
    rows = await uow.rsvps.for_event(event.id)
    return Sheet(event, list(guests), tally(r.status for r in rows))


@dataclass(frozen=True)
class Guest:
    number: str
    name: str  # "" when not given or erased
    answer: str
    plus_ones: int
    checked_in_at: datetime | None


async def guest_list(uow: UnitOfWork, event_id: int) -> list[Guest]:
    """Who answered, by answer, each answer's members in the order they came."""
    await _event(uow, event_id)
    rows = await uow.rsvps.for_event(event_id)
    people = await uow.members.many([r.member_id for r in rows])
    return [
        Guest(
            members.member_number(row.member_id),
            (people[row.member_id].name if row.member_id in people else None) or "",
            row.status, row.plus_ones, row.checked_in_at,
        )
        for row in sorted(rows, key=lambda r: (r.status, r.waiting_since or r.answered_at))
    ]  # fmt: skip


@dataclass(frozen=True)
class Admitted:
    number: str  # as the ticket gives it
    member: Member
    rsvp: Rsvp


async def check_in(
    uow: UnitOfWork, program: Program, payload: str, now: datetime, make_key: Callable[[], str]
) -> Admitted:
    """Attendance from the text the door's scanner read from a ticket; once only."""
    found = verify_ticket(payload, await members.qr_key(uow, make_key))
    if found is None:
        raise events.EventError("not a ticket of this club (forged or misread)")
    event_id, number = found
    member = await members.find(uow, number, program)
    return Admitted(number, member, await events.check_in(uow, program, event_id, member, now))


@dataclass(frozen=True)
class Cancelled:
    event: Event
    queued: int  # news written to the outbox
    told: int  # members who were coming or waiting


async def cancel(uow: UnitOfWork, program: Program, event_id: int, now: datetime) -> Cancelled:
    """The club cancels an event: everyone coming or waiting is told."""
    event, told = await events.cancel(uow, event_id, now)
    queued = await events.notify(uow, program, now, events.EVENT_CANCELLED, told)
    return Cancelled(event, queued, len(told))
