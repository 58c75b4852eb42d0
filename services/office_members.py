"""A member as the back office shows them: found by number or phone, then their card, QR
code, ledger, purchases, consents (with their source), appointments to come, answers to
events and conversations with staff, read in one unit of work; and what staff change there
(consents given at the till) or the owner does (points adjusted or redeemed, the member's
data exported or erased), each written in the audit log."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import points
from loyalty.consent import Channel, ConsentChange, Purpose
from loyalty.membercard import qr_payload
from loyalty.program import Program
from loyalty.records import Appointment, Event, Member, Purchase, Rsvp
from loyalty.stores import UnitOfWork
from loyalty.text import unstorable
from services import appointments, members, privacy
from services.members import Card, MemberError, member_number

LEDGER_LINES = 50
SEARCH_LIMIT = 20
PLACES = ("till", "office")  # where a consent recorded here was given: in the shop, or told


@dataclass(frozen=True)
class Found:
    """A search's answer: a member's number, and their name unless they were erased."""

    number: str
    name: str | None
    erased_at: datetime | None


@dataclass(frozen=True)
class Talk:
    """A conversation with staff as the page lists it: when, on which channel, who took it
    (a staff member's name), open or closed. What was said stays in the staff group."""

    requested_at: datetime
    channel: str
    taken_by: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Page:
    card: Card
    qr: str
    ledger: list[points.Entry]
    purchases: Sequence[Purchase]
    consents: list[ConsentChange]
    appointments: Sequence[Appointment]
    answers: list[tuple[Event, Rsvp]]  # newest event first
    talks: list[Talk]  # newest first


async def search(uow: UnitOfWork, query: str, program: Program) -> list[Found]:
    """The member a number or phone names, else those whose name holds `query` (the first
    SEARCH_LIMIT); an erased member only by number, and nameless."""
    try:
        member = await members.look_up(uow, query, program)
    except MemberError:
        named = await uow.members.named(query.strip(), SEARCH_LIMIT)
        return [Found(member_number(one.id), one.name, None) for one in named]
    erased = member.erased_at
    return [Found(member_number(member.id), None if erased else member.name, erased)]


async def _numbered(uow: UnitOfWork, number: str, program: Program) -> Member:
    """The living member numbered `number` (a page's address names no one by phone)."""
    if not number.startswith("M"):
        raise MemberError(f"not a member number: {number!r}")
    return await members.find(uow, number, program)


async def page(uow: UnitOfWork, number: str, now: datetime, program: Program) -> Page | None:
    """What staff read about the member numbered `number`; None when it is no (living) member."""
    try:
        member = await _numbered(uow, number, program)
    except MemberError:
        return None
    card = await members.card(uow, member, now, program)
    key = await members.qr_key(uow, lambda: secrets.token_urlsafe(32))
    return Page(
        card=card,
        qr=qr_payload(member_number(member.id), key),
        ledger=await members.statement(uow, member, LEDGER_LINES),
        purchases=await uow.purchases.for_member(member.id),
        consents=await uow.consents.history(member.id),
        appointments=await appointments.upcoming(uow, member.id, now),
        answers=await _answers(uow, member),
        talks=await _talks(uow, member),
    )


async def _answers(uow: UnitOfWork, member: Member) -> list[tuple[Event, Rsvp]]:
    answers = []
    for event_id, answer in (await uow.rsvps.of_member(member.id)).items():
        event = await uow.events.get(event_id)
        if event is not None:
            answers.append((event, answer))
    return sorted(answers, key=lambda pair: pair[0].starts_at, reverse=True)


async def _talks(uow: UnitOfWork, member: Member) -> list[Talk]:
    """The member's conversations with staff (those from their chats before they joined
    too), without what was said."""
    chats = [(one.channel, one.address) for one in await uow.members.identities(member.id)]
    talks = []
    for talk in await uow.handoffs.of_member(member.id, chats):
        staff = await uow.staff.get(talk.claimed_by) if talk.claimed_by is not None else None
        name = staff.name if staff is not None else None
        talks.append(Talk(talk.requested_at, talk.channel, name, talk.closed_at))
    return sorted(talks, key=lambda talk: talk.requested_at, reverse=True)


async def adjust(
    uow: UnitOfWork, number: str, amount: int, note: str, email: str, now: datetime,
    program: Program,
) -> int:  # fmt: skip
    """Correct the balance of the member numbered `number` by `amount`, saying why; audited
    as done by `email`. MemberError (or InsufficientPoints) when it cannot be done."""
    note = note.strip()
    if not note or unstorable(note, lines=True) is not None:
        raise MemberError("an adjustment needs a note the member can read")
    member = await _numbered(uow, number, program)
    left = await members.adjust(uow, member, amount, str(uuid.uuid4()), note, now, program)
    await uow.office.audit(email, f"points-adjusted {member_number(member.id)} {amount:+d}", now)
    return left


async def redeem(
    uow: UnitOfWork, number: str, amount: int, note: str, email: str, now: datetime,
    program: Program,
) -> int:  # fmt: skip
    """Take `amount` points for a reward, as `concierge members redeem` does; audited as done
    by `email`. MemberError (or InsufficientPoints) when it cannot be done."""
    note = note.strip()
    if amount <= 0 or unstorable(note, lines=True) is not None:
        raise MemberError("a redemption takes a positive number of points")
    member = await _numbered(uow, number, program)
    left = await members.redeem(uow, member, amount, str(uuid.uuid4()), note, now, program)
    await uow.office.audit(email, f"points-redeemed {member_number(member.id)} {amount}", now)
    return left


async def set_consent(
    uow: UnitOfWork, number: str, purpose: str, channel: str, granted: bool, place: str,
    email: str, now: datetime, program: Program,
) -> bool:  # fmt: skip
    """Record what the member said at the till (or told the office), with where and who;
    False when it was so already (nothing written). MemberError on a wrong choice."""
    if purpose not in set(Purpose) or channel not in set(Channel) or place not in PLACES:
        raise MemberError("a consent needs a purpose, a channel and where it was given")
    member = await _numbered(uow, number, program)
    wording = f"recorded in the back office by {email}"
    changed = await members.set_consent(
        uow, member, Purpose(purpose), Channel(channel), granted, now, place, wording
    )
    if changed:
        answer = "granted" if granted else "revoked"
        action = f"consent-changed {member_number(member.id)} {purpose} {channel} {answer}"
        await uow.office.audit(email, action, now)
    return changed


async def export(
    uow: UnitOfWork, number: str, email: str, now: datetime, program: Program
) -> dict[str, Any]:
    """Everything held about the member, as `concierge members export` gives it; audited."""
    member = await _numbered(uow, number, program)
    data = await privacy.export(uow, member)
    await uow.office.audit(email, f"member-exported {member_number(member.id)}", now)
    return data


async def erase(
    uow: UnitOfWork, number: str, confirmation: str, email: str, now: datetime,
    program: Program, group: bool,
) -> privacy.Erasure:  # fmt: skip
    """Erase the member as `concierge members erase` does, once the owner has typed their
    number (anything else: MemberError, nothing changed); audited."""
    if confirmation.strip().upper() != number:
        raise MemberError("the confirmation is the member's number")
    member = await _numbered(uow, number, program)
    erasure, _ = await privacy.erase_telling_staff(uow, program, member, now, group)
    await uow.office.audit(email, f"member-erased {member_number(member.id)}", now)
    return erasure
