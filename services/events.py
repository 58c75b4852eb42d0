"""Events as a service: create, show a member what is for them, take answers, keep capacity.

Seats change only with the event's row locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite
writers take turns), and a CHECK keeps `seats_taken` within capacity, so concurrent
answers never overbook. Freed seats go to the waitlist in order, each offer held for the
program's `offer_hours`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty.consent import Purpose
from loyalty.events import (
    CANCELLED,
    DECLINED,
    GOING,
    HOLDING,
    KINDS,
    OFFERED,
    WAITING,
    Eligibility,
    Priority,
    answers_until,
    fits,
    seats,
    timing_problem,
)
from loyalty.ids import INT2_MAX, INT4_MAX
from loyalty.program import Program
from loyalty.records import Event, Member, Rsvp
from loyalty.segments import Segment
from loyalty.stores import UnitOfWork
from loyalty.text import unstorable
from services.members import account
from services.notices import Notice, Request, send_once


class EventError(ValueError):
    """An event that cannot be, or an answer that cannot be taken; the message says why (in
    English, for staff), `code` what (for the chat to say in the member's language)."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


FULL = "full"  # an answer's outcome: no seat, and the waitlist was not asked for
# the messages about events (outbox kinds), and the consent each needs
INVITATION, REMINDER, SEAT_OFFERED, EVENT_CANCELLED, EVENT_MOVED = (
    "invitation", "reminder", "seat_offered", "event_cancelled", "event_moved",
)  # fmt: skip
PURPOSES = {
    INVITATION: Purpose.EVENTS,  # "selected for you": the events consent
    REMINDER: Purpose.SERVICE,  # about a place the member asked for: service messages
    SEAT_OFFERED: Purpose.SERVICE,
    EVENT_CANCELLED: Purpose.SERVICE,
    EVENT_MOVED: Purpose.SERVICE,  # its time or place changed
}
GONE, NOT_FOR_YOU, CLOSED, NOT_YET, GUESTS, NO_ROOM = (
    "gone", "not_for_you", "closed", "not_yet", "guests", "no_room",
)  # fmt: skip


@dataclass(frozen=True)
class Standing:
    tier: str
    segments: frozenset[str]
    badges: frozenset[str]


@dataclass(frozen=True)
class ForMember:
    """An event as one member sees it: seats left and their own answer."""

    event: Event
    seats_left: int
    answer: Rsvp | None
    place_in_line: int | None
    opens_at: datetime  # when this member may answer (tier priority)


async def create(
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    plus_ones: int = 0,
    kind: str = KINDS[0],
    tiers: list[str] | None = None,
    segments: list[str] | None = None,
    badges: list[str] | None = None,
    guests: list[int] | None = None,
    deadline: datetime | None = None,
    description: str = "",
    place: str = "",
) -> Event:
    fields = details(
        program, now, title=title, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
        plus_ones=plus_ones, kind=kind, tiers=tiers, segments=segments, badges=badges,
        deadline=deadline, description=description, place=place,
    )  # fmt: skip
    return await uow.events.add(guests or [], created_at=now, **fields)


def details(
    program: Program, now: datetime, *, title: str, starts_at: datetime, ends_at: datetime,
    capacity: int, plus_ones: int, kind: str, tiers: list[str] | None,
    segments: list[str] | None, badges: list[str] | None, deadline: datetime | None,
    description: str, place: str,
) -> dict[str, object]:  # fmt: skip
    """An event's fields as staff gave them (to create it or edit it), checked and tidied;
    EventError says what is wrong."""
    title = " ".join(title.split())
    if not title or len(title) > 200 or unstorable(title) is not None:
        raise EventError("the title must be 1 to 200 characters", "title")
    if len(place) > 200 or unstorable(place) is not None:
        raise EventError("the place must be at most 200 characters on one line", "place")
    if len(description) > 2000 or unstorable(description, lines=True) is not None:
        raise EventError("the description must be at most 2,000 characters", "description")
    if kind not in KINDS:
        raise EventError(f"the kind must be one of {', '.join(KINDS)}", "kind")
    if (problem := timing_problem(starts_at, ends_at, deadline, now)) is not None:
        raise EventError(problem, "times")
    if not 0 < capacity <= INT4_MAX or not 0 <= plus_ones <= INT2_MAX:
        raise EventError("capacity must be at least 1, plus-ones at least 0", "capacity")
    known = {
        "tier": {level.key for level in program.tiers.levels},
        "segment": {s.value for s in Segment},
        "badge": set(program.badges),
    }
    for name, given in (("tier", tiers), ("segment", segments), ("badge", badges)):
        unknown = set(given or ()) - known[name]
        if unknown:
            raise EventError(f"unknown {name} {sorted(unknown)[0]!r}", "unknown")
    return dict(
        title=title, kind=kind, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
        plus_ones=plus_ones, tiers=sorted(set(tiers or ())), segments=sorted(set(segments or ())),
        badges=sorted(set(badges or ())), deadline=deadline, description=description,
        place=place,
    )  # fmt: skip


def eligibility(event: Event, guests: set[int]) -> Eligibility:
    return Eligibility(
        frozenset(event.tiers), frozenset(event.segments), frozenset(event.badges),
        frozenset(guests),
    )  # fmt: skip


def priority(program: Program) -> Priority:
    return Priority(frozenset(program.events.priority_tiers), program.events.priority_hours)


async def standing(uow: UnitOfWork, member: Member, now: datetime, program: Program) -> Standing:
    acct = await account(uow, member.id, now, program)
    return Standing(
        acct.tier_state(program).tier,
        frozenset(s.value for s in acct.segments(now, program)),
        frozenset(acct.badges),
    )


async def for_member(
    uow: UnitOfWork, member: Member, now: datetime, program: Program
) -> list[ForMember]:
    """The upcoming events this member is eligible for (hidden from everyone else)."""
    mine = await standing(uow, member, now, program)
    answers = await uow.rsvps.of_member(member.id)
    found = []
    for event in await uow.events.upcoming(now):
        guests = await uow.events.guests(event.id)
        if not eligibility(event, guests).admits(member.id, mine.tier, mine.segments, mine.badges):
            continue
        answer = answers.get(event.id)
        line = (
            await uow.rsvps.place_in_line(answer) if answer and answer.status == WAITING else None
        )
        found.append(
            ForMember(
                event,
                event.capacity - event.seats_taken,
                answer,
                line,
                priority(program).opens_for(mine.tier, event.created_at),
            )
        )
    return found


async def get(uow: UnitOfWork, event_id: int) -> Event | None:
    return await uow.events.get(event_id)


async def waiting(uow: UnitOfWork, event_id: int) -> int:
    """How many wait for a seat at the event."""
    return len(await uow.rsvps.for_event(event_id, (WAITING,)))


@dataclass(frozen=True)
class Answer:
    status: str
    place_in_line: int | None = None
    offered: list[Rsvp] | None = None  # seats freed and offered to the waitlist meanwhile


async def answer(
    uow: UnitOfWork,
    program: Program,
    member: Member,
    event_id: int,
    now: datetime,
    going: bool,
    plus_ones: int = 0,
    waitlist: bool = False,
    channel: str | None = None,
) -> Answer:
    """Take a member's answer: a seat (or the waitlist, when asked and full), or none.

    News of it (reminders, a seat offered, a cancellation) goes on the `channel` of the
    latest answer."""
    event = await uow.events.get(event_id, lock=True)
    if event is None or event.cancelled_at is not None:
        raise EventError("this event is no longer on", GONE)
    mine = await standing(uow, member, now, program)
    guests = await uow.events.guests(event.id)
    if not eligibility(event, guests).admits(member.id, mine.tier, mine.segments, mine.badges):
        raise EventError("this event is not open to you", NOT_FOR_YOU)
    row = await uow.rsvps.of(event.id, member.id)
    holding = row is not None and row.status in HOLDING
    if now >= answers_until(event.starts_at, event.deadline) and not (holding and not going):
        raise EventError("answers for this event are closed", CLOSED)
    if going and now < priority(program).opens_for(mine.tier, event.created_at):
        raise EventError("this event is not open to answers yet", NOT_YET)
    if plus_ones < 0 or plus_ones > event.plus_ones:
        raise EventError("too many guests for this event", GUESTS)
    if row is None:
        row = await uow.rsvps.add(
            event_id=event.id, member_id=member.id, status=DECLINED, plus_ones=0,
            answered_at=now,
        )  # fmt: skip
    if holding:  # give back what they hold; what they want is taken again below
        event.seats_taken -= seats(row.plus_ones)
    row.answered_at, row.offered_until = now, None
    row.channel = channel or row.channel
    if not going:
        row.status = CANCELLED if holding else DECLINED
        row.waiting_since = None
        return Answer(row.status, offered=await promote(uow, program, event, now))
    if fits(event.seats_taken, event.capacity, seats(plus_ones)):
        event.seats_taken += seats(plus_ones)
        row.status, row.plus_ones, row.waiting_since = GOING, plus_ones, None
        return Answer(GOING, offered=await promote(uow, program, event, now))
    if holding:  # more guests than seats left: they keep what they had
        event.seats_taken += seats(row.plus_ones)
        raise EventError("not enough seats left for your guests", NO_ROOM)
    if not waitlist:
        return Answer(FULL)
    if row.status != WAITING:
        await uow.rsvps.change(row, status=WAITING, plus_ones=plus_ones, waiting_since=now)
    return Answer(WAITING, place_in_line=await uow.rsvps.place_in_line(row))


async def promote(uow: UnitOfWork, program: Program, event: Event, now: datetime) -> list[Rsvp]:
    """Offer freed seats to the waitlist in order; each offer holds its seats for a while."""
    offered = []
    until = now + timedelta(hours=program.events.offer_hours)
    while (first := await uow.rsvps.first_waiting(event.id)) is not None:
        if not fits(event.seats_taken, event.capacity, seats(first.plus_ones)):
            break
        event.seats_taken += seats(first.plus_ones)
        await uow.rsvps.change(first, status=OFFERED, offered_until=min(until, event.starts_at))
        offered.append(first)
    return offered


def _release(event: Event, row: Rsvp, now: datetime) -> None:
    """The answer holds nothing any more: its seats go back (for `promote` to offer on)."""
    if row.status in HOLDING:
        event.seats_taken -= seats(row.plus_ones)
    row.status, row.offered_until, row.answered_at = CANCELLED, None, now


async def expire_offers(uow: UnitOfWork, program: Program, now: datetime) -> list[Rsvp]:
    """Offers not taken in time pass on; returns the new offers made."""
    offered = []
    for row in await uow.rsvps.offers_expired(now):
        event = await uow.events.get(row.event_id, lock=True)
        assert event is not None
        _release(event, row, now)
        offered += await promote(uow, program, event, now)
    return offered


async def withdraw(
    uow: UnitOfWork, program: Program, member_id: int, now: datetime
) -> tuple[int, list[Rsvp]]:
    """Give back a member's seats and places in line on events still to start (their data
    erased): the waitlist moves. Returns how many answers were withdrawn, and the seats
    offered meanwhile (for the caller to tell)."""
    withdrawn, offered = 0, []
    for event_id, row in sorted((await uow.rsvps.of_member(member_id)).items()):
        if row.status not in (*HOLDING, WAITING):
            continue
        event = await uow.events.get(event_id, lock=True)
        if event is None or event.cancelled_at is not None or event.starts_at <= now:
            continue
        _release(event, row, now)
        withdrawn += 1
        offered += await promote(uow, program, event, now)
    return withdrawn, offered


async def cancel(uow: UnitOfWork, event_id: int, now: datetime) -> tuple[Event, Sequence[Rsvp]]:
    """The club cancels: every answer is released; returns who was coming or waiting."""
    event = await uow.events.get(event_id, lock=True)
    if event is None:
        raise EventError(f"no event {event_id}")
    if event.cancelled_at is not None:
        raise EventError(f"event {event_id} was cancelled already")
    told = await uow.rsvps.for_event(event.id, (*HOLDING, WAITING))
    event.cancelled_at, event.seats_taken = now, 0
    await uow.rsvps.release_all(event.id, CANCELLED, now)
    return event, told


async def still_news(
    uow: UnitOfWork, kind: str, event_id: int, member_id: int, now: datetime
) -> Event | None:
    """The event, if a message of `kind` about it is still true for this member now."""
    event = await uow.events.get(event_id)
    if event is None:
        return None
    if kind == EVENT_CANCELLED:
        return event
    if event.cancelled_at is not None or event.starts_at <= now:
        return None
    if kind == INVITATION:
        return event
    row = await uow.rsvps.of(event_id, member_id)
    if kind == EVENT_MOVED:
        return event if row is not None and row.status in (*HOLDING, WAITING) else None
    wanted = GOING if kind == REMINDER else OFFERED
    return event if row is not None and row.status == wanted else None


async def notify(
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    kind: str,
    rsvps: Sequence[Rsvp] | None,
    key: str = "",
) -> int:
    """Queue news of an event to each of these answers' members, once each (under
    `kind[key]:event:member`), on the channel they answered on; returns how many were
    queued."""
    notices = [
        Notice(
            f"{kind}{key}:{row.event_id}:{row.member_id}", row.member_id,
            {"event": str(row.event_id)}, Request(f"rsvp {row.id}", row.channel),
        )
        for row in rsvps or []
    ]  # fmt: skip
    return await send_once(uow, now, kind, PURPOSES[kind], notices)


REMINDERS = (24, 2)  # hours before the start


async def tick(uow: UnitOfWork, program: Program, now: datetime) -> tuple[int, int]:
    """The worker's round: offers not taken pass on, reminders go out (once each).

    Returns (new offers, reminders queued). A reminder goes only to those who answered
    before its time (who said yes an hour before needs no "tomorrow" message).
    """
    offered = await expire_offers(uow, program, now)
    await notify(uow, program, now, SEAT_OFFERED, offered)
    reminded = 0
    for hours in REMINDERS:
        ahead = timedelta(hours=hours)
        for event in await uow.events.starting_between(now, now + ahead):
            coming = [
                row
                for row in await uow.rsvps.for_event(event.id, (GOING,))
                if row.answered_at <= event.starts_at - ahead
            ]
            reminded += await notify(uow, program, now, REMINDER, coming, key=str(hours))
    return len(offered), reminded
