"""Events as staff run them: the list, one event's sheet and its guest list, the
invitations, the door's check-in, the report after, and a cancellation with everyone told.
The members' side (answers, the waitlist, reminders) is services/events.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from loyalty.consent import Purpose, current
from loyalty.events import DECLINED, GOING, HOLDING, WAITING, edit_problem, on_the_day, rate, tally
from loyalty.membercard import verify_ticket
from loyalty.program import Program
from loyalty.reach import addresses, reach
from loyalty.records import Event, Member, Rsvp
from loyalty.spreadsheets import safe_row
from loyalty.stores import UnitOfWork
from services import events, members
from services.events import GONE, INVITATION, NOT_FOR_YOU, SEAT_OFFERED, EventError, eligibility
from services.members import MemberError, account
from services.notices import Notice, send_once

NOT_TODAY = "not_today"  # a ticket scanned on another day than the event's
GUEST_COLUMNS = ("member", "name", "answer", "guests", "checked_in")


async def listing(uow: UnitOfWork) -> Sequence[Event]:
    """Every event, soonest first."""
    return await uow.events.all()


async def _event(uow: UnitOfWork, event_id: int) -> Event:
    event = await uow.events.get(event_id)
    if event is None:
        raise EventError(f"no event {event_id}")
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


def guest_rows(guests: Sequence[Guest], zone: tzinfo) -> list[tuple[str, ...]]:
    """The guest list as a table, its heading first, times in the store's `zone`: what the
    CLI's `--csv` and the back office's download give."""

    def came(at: datetime | None) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""

    table: list[tuple[str, ...]] = [GUEST_COLUMNS]
    table += [
        (g.number, g.name, g.answer, str(g.plus_ones), came(g.checked_in_at)) for g in guests
    ]
    return table


def guests_csv(guests: Sequence[Guest], zone: tzinfo) -> str:
    """The guest list as a spreadsheet opens it safely: names are text, never formulas."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(map(safe_row, guest_rows(guests, zone)))
    return out.getvalue()


@dataclass(frozen=True)
class Admitted:
    number: str  # as the ticket gives it
    member: Member
    rsvp: Rsvp
    again: bool = False  # checked in before: nothing new recorded


async def check_in(
    uow: UnitOfWork, program: Program, payload: str, now: datetime, make_key: Callable[[], str],
    event_id: int | None = None,
) -> Admitted:  # fmt: skip
    """Attendance from the text the door's scanner read from a ticket; once only. With
    `event_id` (the door's event), a ticket for another event is refused."""
    found = verify_ticket(payload, await members.qr_key(uow, make_key))
    if found is None:
        raise EventError("not a ticket of this club (forged or misread)")
    ticket_event, number = found
    if event_id is not None and ticket_event != event_id:
        raise EventError("this ticket is for another event", NOT_FOR_YOU)
    try:
        member = await members.find(uow, number, program)
    except MemberError:
        raise EventError("no place at this event for this member", NOT_FOR_YOU) from None
    before = await uow.rsvps.of(ticket_event, member.id)
    again = before is not None and before.checked_in_at is not None
    row = await admit(uow, program, ticket_event, member, now)
    return Admitted(number, member, row, again)


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


async def edit(
    uow: UnitOfWork, program: Program, event_id: int, now: datetime, guests: list[int],
    **given: Any,
) -> Event:  # fmt: skip
    """Change an event still to come (the fields `events.create` takes; `guests` replaces its
    guest list). Whoever answered keeps their answer, seat and guests (the capacity and the
    guests allowed cannot go below them), even when no longer eligible; a new time or place is
    news for those coming, offered a seat or waiting (once each per edit, like a cancellation);
    seats a larger capacity frees go to the waitlist, and those offered are told."""
    event = await uow.events.get(event_id, lock=True)
    if event is None or event.cancelled_at is not None or event.starts_at <= now:
        raise EventError(f"event {event_id} is not upcoming", GONE)
    fields = events.details(program, now, **given)
    answered = await uow.rsvps.for_event(event.id, (*HOLDING, WAITING))
    problem = edit_problem(
        given["capacity"], given["plus_ones"], event.seats_taken, [r.plus_ones for r in answered]
    )
    if problem is not None:
        raise EventError(problem, "held")
    before = (event.starts_at, event.ends_at, event.place)
    await uow.events.change(event, guests, **fields)
    offered = await events.promote(uow, program, event, now)
    await events.notify(uow, program, now, SEAT_OFFERED, offered)
    if (event.starts_at, event.ends_at, event.place) != before:
        move = str(await _moves(uow, event.id) + 1)
        await events.notify(uow, program, now, events.EVENT_MOVED, answered, key=move)
    return event


async def _moves(uow: UnitOfWork, event_id: int) -> int:
    """How many moves of the event were told before: each move's news has a key of its own
    (`event_moved2:12:7`), so a member hears of every move, and of each once."""
    moved = events.EVENT_MOVED
    told = [key.split(":") for key in await uow.outbox.keys_like(f"{moved}%:{event_id}:%")]
    return max(
        (int(kind.removeprefix(moved)) for kind, event, _ in told if event == str(event_id)),
        default=0,
    )


@dataclass(frozen=True)
class Invited:
    queued: int  # new invitations written to the outbox
    already: int  # invited before: not again
    skipped: dict[str, int]  # why others were not: no consent, no chat


async def invite(uow: UnitOfWork, program: Program, event_id: int, now: datetime) -> Invited:
    """Invite every eligible member who agreed to hear about events, once each."""
    event = await uow.events.get(event_id)
    if event is None or event.cancelled_at is not None or event.starts_at <= now:
        raise EventError(f"event {event_id} is not upcoming", GONE)
    admits = eligibility(event, await uow.events.guests(event.id))
    chosen = []
    after = 0
    while ids := await uow.members.ids_after(after, 1000):
        after = ids[-1]
        members = await uow.members.many(ids)
        for acct in (await uow.accounts.load(ids)).values():
            member = members[acct.member_id]
            if member.erased_at is not None:
                continue
            tier = acct.tier_state(program).tier
            found = {s.value for s in acct.segments(now, program)}
            if admits.admits(member.id, tier, found, acct.badges):
                chosen.append(member.id)
    histories = await uow.consents.histories(chosen)
    identities = await uow.identities.of_members(chosen)
    members = await uow.members.many(chosen)
    skipped: dict[str, int] = {}
    reachable = []
    for member_id in chosen:
        member = members[member_id]
        standing = current(histories.get(member_id, []))
        chats = addresses(member.phone, identities.get(member_id, []))
        _, why = reach(member.preferred_channel, standing, chats, Purpose.EVENTS)
        if why is None:
            notice = Notice(f"{INVITATION}:{event.id}:{member_id}", member_id,
                            {"event": str(event.id)})  # fmt: skip
            reachable.append(notice)
        else:
            skipped[why] = skipped.get(why, 0) + 1
    queued = await send_once(uow, now, INVITATION, Purpose.EVENTS, reachable)
    return Invited(queued, len(reachable) - queued, skipped)


async def admit(
    uow: UnitOfWork, program: Program, event_id: int, member: Member, now: datetime
) -> Rsvp:
    """Record that a member came (their ticket scanned at the door, on the event's day);
    once only."""
    row = await uow.rsvps.of(event_id, member.id)
    if row is None or row.status != GOING:
        raise EventError("no place at this event for this member", NOT_FOR_YOU)
    event = await _event(uow, event_id)
    zone = program.club.zone
    if row.checked_in_at is None and not on_the_day(event.starts_at, event.ends_at, now, zone):
        day = event.starts_at.astimezone(zone).date().isoformat()
        raise EventError(
            f"not the event's day: {event.title} is on {day}; nothing recorded", NOT_TODAY
        )
    if row.checked_in_at is None:
        await uow.rsvps.change(row, checked_in_at=now)
        await account(uow, member.id, now, program)  # the community badge counts events
    return row


@dataclass(frozen=True)
class Report:
    invited: int
    answered_yes: int
    declined: int
    attended: int
    bought_after: int  # attendees with a purchase within the program's conversion days
    seats: int  # held now (going and offered), of capacity

    @property
    def rsvp_rate(self) -> float | None:
        return rate(self.answered_yes, self.invited)

    @property
    def attendance_rate(self) -> float | None:
        return rate(self.attended, self.answered_yes)

    @property
    def conversion(self) -> float | None:
        return rate(self.bought_after, self.attended)


async def report(uow: UnitOfWork, program: Program, event_id: int) -> Report:
    event = await uow.events.get(event_id)
    if event is None:
        raise EventError(f"no event {event_id}", GONE)
    rows = await uow.rsvps.for_event(event.id)
    invited = {int(key.rsplit(":", 1)[1]) for key in await uow.outbox.keys_like(
        f"{INVITATION}:{event.id}:%")}  # fmt: skip
    yes = [r for r in rows if r.status == GOING or r.checked_in_at is not None]
    came = [r for r in rows if r.checked_in_at is not None]
    window = timedelta(days=program.events.conversion_days)
    bought = 0
    for row in came:
        purchases = await uow.purchases.for_member(row.member_id)
        if any(
            p.status == "paid" and event.starts_at <= p.purchased_at <= event.ends_at + window
            for p in purchases
        ):
            bought += 1
    return Report(
        len(invited | {r.member_id for r in rows}), len(yes),
        sum(r.status == DECLINED for r in rows), len(came), bought, event.seats_taken,
    )  # fmt: skip
