"""A member as the back office shows them: found by number or phone, then their card, QR
code, ledger, purchases, consents (with their source) and appointments to come, read in one
unit of work; and the owner's point adjustments, written in the audit log."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from loyalty import points
from loyalty.consent import ConsentChange
from loyalty.membercard import qr_payload
from loyalty.program import Program
from loyalty.records import Appointment, Member, Purchase
from loyalty.stores import UnitOfWork
from loyalty.text import unstorable
from services import appointments, members
from services.members import Card, MemberError, member_number

LEDGER_LINES = 50
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Found:
    """A search's answer: a member's number, and their name unless they were erased."""

    number: str
    name: str | None
    erased_at: datetime | None


@dataclass(frozen=True)
class Page:
    card: Card
    qr: str
    ledger: list[points.Entry]
    purchases: Sequence[Purchase]
    consents: list[ConsentChange]
    appointments: Sequence[Appointment]


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
    )


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
