"""Events as staff run them: the list, one event's sheet and its guest list, the
invitations, the door's check-in, the report after, and a cancellation with everyone told.
The members' side (answers, the waitlist, reminders) is services/events.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty.consent import Purpose, current
from loyalty.events import DECLINED, GOING, on_the_day, rate, tally
from loyalty.membercard import verify_ticket
from loyalty.program import Program
from loyalty.reach import addresses, reach
from loyalty.records import Event, Member, Rsvp
from loyalty.stores import UnitOfWork
from services import events, members
from services.events import GONE, INVITATION, NOT_FOR_YOU, eligibility
from services.members import account
from services.notices import Notice, send_once


async def listing(uow: UnitOfWork) -> Sequence[Event]:
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
    return Admitted(number, member, await admit(uow, program, event_id, member, now))


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


@dataclass(frozen=True)
class Invited:
    queued: int  # new invitations written to the outbox
    already: int  # invited before: not again
    skipped: dict[str, int]  # why others were not: no consent, no chat


async def invite(uow: UnitOfWork, program: Program, event_id: int, now: datetime) -> Invited:
    """Invite every eligible member who agreed to hear about events, once each."""
    event = await uow.events.get(event_id)
    if event is None or event.cancelled_at is not None or event.starts_at <= now:
        raise events.EventError(f"event {event_id} is not upcoming", GONE)
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
        raise events.EventError("no place at this event for this member", NOT_FOR_YOU)
    event = await _event(uow, event_id)
    zone = program.club.zone
    if row.checked_in_at is None and not on_the_day(event.starts_at, event.ends_at, now, zone):
        day = event.starts_at.astimezone(zone).date().isoformat()
        raise events.EventError(
            f"not the event's day: {event.title} is on {day}; nothing recorded", NOT_FOR_YOU
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
        raise events.EventError(f"no event {event_id}", GONE)
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
