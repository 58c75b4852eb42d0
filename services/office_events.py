"""Events as the back office runs them: the same services as `concierge events`, each
change written in the audit log with who made it ("event-created 12", "guest-checked-in 12
M00042"), and one event's page read in one unit of work."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty.program import Program
from loyalty.records import Event
from loyalty.stores import UnitOfWork
from services import events, hosting, members
from services.events import EventError
from services.hosting import Admitted, Cancelled, Guest, Invited, Report, Sheet
from services.members import MemberError, member_number

GUEST_LIST = 500  # members named on one guest list, at most


@dataclass(frozen=True)
class Page:
    sheet: Sheet
    guests: list[Guest]
    report: Report
    waiting: int


async def listing(uow: UnitOfWork, now: datetime) -> tuple[list[Event], list[Event]]:
    """The events to come (soonest first), then those past or cancelled (latest first)."""
    found = await hosting.listing(uow)
    coming = [e for e in found if e.cancelled_at is None and e.ends_at > now]
    past = [e for e in found if e not in coming]
    return coming, past[::-1]


async def page(uow: UnitOfWork, program: Program, event_id: int) -> Page | None:
    """One event's page; None when there is no such event."""
    if await events.get(uow, event_id) is None:
        return None
    return Page(
        await hosting.sheet(uow, event_id),
        await hosting.guest_list(uow, event_id),
        await hosting.report(uow, program, event_id),
        await events.waiting(uow, event_id),
    )


async def guest_numbers(uow: UnitOfWork, text: str, program: Program) -> list[int]:
    """The members a guest list names (numbers apart by spaces, commas or lines);
    EventError naming the first that is no living member."""
    found = []
    refs = text.replace(",", " ").split()
    if len(refs) > GUEST_LIST:
        raise EventError(f"at most {GUEST_LIST} members on a guest list", "guest")
    for ref in refs:
        try:
            found.append((await members.find(uow, ref, program)).id)
        except MemberError:
            raise EventError(f"no member {ref[:20]!r} to put on the guest list", "guest") from None
    return found


async def create(
    uow: UnitOfWork, program: Program, email: str, now: datetime, **given: Any
) -> Event:
    event = await events.create(uow, program, now, **given)
    await uow.office.audit(email, f"event-created {event.id}", now)
    return event


async def edit(
    uow: UnitOfWork, program: Program, email: str, event_id: int, now: datetime,
    guests: list[int], **given: Any,
) -> Event:  # fmt: skip
    event = await hosting.edit(uow, program, event_id, now, guests, **given)
    await uow.office.audit(email, f"event-edited {event.id}", now)
    return event


async def invite(
    uow: UnitOfWork, program: Program, email: str, event_id: int, now: datetime
) -> Invited:
    invited = await hosting.invite(uow, program, event_id, now)
    await uow.office.audit(email, f"event-invited {event_id} {invited.queued}", now)
    return invited


async def cancel(
    uow: UnitOfWork, program: Program, email: str, event_id: int, now: datetime
) -> Cancelled:
    done = await hosting.cancel(uow, program, event_id, now)
    await uow.office.audit(email, f"event-cancelled {event_id}", now)
    return done


async def check_in(
    uow: UnitOfWork, program: Program, email: str, event_id: int, payload: str, now: datetime
) -> Admitted:
    """A guest at the door of `event_id`, from the ticket's text; audited when recorded now
    (a second scan records nothing and says when the first was)."""
    came = await hosting.check_in(
        uow, program, payload, now, lambda: secrets.token_urlsafe(32), event_id
    )
    if not came.again:
        number = member_number(came.member.id)
        await uow.office.audit(email, f"guest-checked-in {event_id} {number}", now)
    return came
