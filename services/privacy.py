"""What a member may ask of the data the club holds about them: all of it, as JSON (export),
or that it be erased.

Erasure keeps, under the member number, what the books and the club's figures need and
nothing that identifies the person: the ledger's entries (points and dates), purchases
(order id, amounts, dates, store), bookings and answers to events (without notes or
photos). The export holds everything erasure removes, and what it keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from loyalty.account import Account
from loyalty.dates import Birthday
from loyalty.program import Program
from loyalty.records import Appointment, ChannelIdentity, Member, Rsvp
from loyalty.stores import UnitOfWork
from services import appointments, events, handoffs
from services.desk import ERASED, tell_staff
from services.members import erased_on, member_number


def _when(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment else None


def _chats(identities: Sequence[ChannelIdentity]) -> list[tuple[str, str]]:
    return [(identity.channel, identity.address) for identity in identities]


def _addresses(member: Member, chats: list[tuple[str, str]]) -> list[str]:
    """What a message from the member names them by: their chats' addresses, their phone."""
    return [address for _, address in chats] + ([member.phone] if member.phone else [])


async def _kept(uow: UnitOfWork, member: Member, acct: Account) -> dict[str, Any]:
    """What erasure keeps: the books and the club's figures, under the member number."""
    return {
        "points": acct.balance,
        "ledger": [
            {"kind": e.kind, "points": e.points, "reason": e.reason, "at": _when(e.occurred_at),
             "detail": e.detail}
            for e in acct.entries
        ],
        "purchases": [
            {"order_id": p.order_id, "amount": str(p.amount), "currency": p.currency,
             "purchased_at": _when(p.purchased_at), "category": p.category,
             "limited_edition": p.limited_edition, "store": p.store, "status": p.status,
             "points": p.points}
            for p in await uow.purchases.for_member(member.id)
        ],
        "appointments": [
            {"service": a.service, "start": _when(a.starts_at), "end": _when(a.ends_at),
             "status": a.status, "note": a.note, "photo": a.photo, "channel": a.channel,
             "booked_at": _when(a.created_at)}
            for a in await uow.appointments.of_member(member.id)
        ],
        "events": [
            {"event": r.event_id, "answer": r.status, "guests": r.plus_ones,
             "answered_at": _when(r.answered_at), "waiting_since": _when(r.waiting_since),
             "offered_until": _when(r.offered_until), "checked_in_at": _when(r.checked_in_at),
             "channel": r.channel}
            for _, r in sorted((await uow.rsvps.of_member(member.id)).items())
        ],
        "vouchers": [
            {"voucher": v.number, "reward": v.reward, "points": v.points,
             "discount": str(v.discount) if v.discount is not None else None,
             "status": v.status, "taken_at": _when(v.taken_at),
             "expires_at": _when(v.expires_at), "ended_at": _when(v.ended_at)}
            for v in await uow.rewards.of_member(member.id)
        ],
    }  # fmt: skip


async def export(uow: UnitOfWork, member: Member) -> dict[str, Any]:
    """Everything held about one member, as plain JSON-ready data (an invitation's dates,
    never its secret). An erased member's export is what erasure kept, anonymous."""
    acct = (await uow.accounts.load([member.id]))[member.id]
    kept = await _kept(uow, member, acct)
    number = member_number(member.id)
    if member.erased_at is not None:
        return {"member_number": number, "erased_at": _when(member.erased_at), **kept}
    identities = await uow.members.identities(member.id)
    chats = _chats(identities)
    return {
        "member_number": number,
        **await _profile(uow, member),
        **await _reach(uow, member, identities, chats),
        **kept,
        "tier": {"tier": acct.tier.tier, "since": _when(acct.tier.since),
                 "review_at": _when(acct.tier.review_at), "invited": acct.tier.invited}
        if acct.tier else None,
        "badges": [
            {"badge": b.badge, "awarded_at": _when(b.awarded_at)}
            for b in await uow.badges.for_member(member.id)
        ],
        **await _conversations(uow, member, chats),
    }  # fmt: skip


async def _profile(uow: UnitOfWork, member: Member) -> dict[str, Any]:
    """Who they are and the dates they gave."""
    birthday = (
        str(Birthday(member.birthday_month, member.birthday_day, member.birthday_year))
        if member.birthday_month and member.birthday_day
        else None
    )
    return {
        "name": member.name, "phone": member.phone, "email": member.email,
        "locale": member.locale, "timezone": member.timezone, "currency": member.currency,
        "preferred_channel": member.preferred_channel, "birthday": birthday,
        "joined_at": _when(member.joined_at),
        "anniversaries": [
            {"kind": a.kind, "date": a.on.isoformat()}
            for a in await uow.members.anniversaries(member.id)
        ],
        "occasion_dates": [
            {"kind": y.kind, "month": y.month, "day": y.day, "since": _when(y.since)}
            for y in await uow.occasion_dates.of_member(member.id)
        ],
    }  # fmt: skip


async def _reach(
    uow: UnitOfWork,
    member: Member,
    identities: Sequence[ChannelIdentity],
    chats: list[tuple[str, str]],
) -> dict[str, Any]:
    """Where we reach them, and what they agreed to there."""
    return {
        "channels": [
            {"channel": i.channel, "address": i.address, "since": _when(i.created_at),
             "reachable": i.reachable, "language": i.language,
             "last_message_at": _when(i.last_inbound_at)}
            for i in identities
        ],
        "chats_in_progress": [
            {"channel": s.channel, "address": s.address, "state": s.state, "data": s.data,
             "recent": [{"from": who, "text": text} for who, text in s.recent or []],
             "until": _when(s.expires_at)}
            for s in await uow.conversations.at(chats)
        ],
        "invitations": [
            {"created_at": _when(t.created_at), "expires_at": _when(t.expires_at),
             "used_at": _when(t.used_at)}
            for t in await uow.link_tokens.of_member(member.id)
        ],
        "consents": [
            {"purpose": c.purpose, "channel": c.channel, "granted": c.granted, "at": _when(c.at),
             "source": c.source, "wording": c.wording}
            for c in await uow.consents.history(member.id)
        ],
    }  # fmt: skip


async def _conversations(
    uow: UnitOfWork, member: Member, chats: list[tuple[str, str]]
) -> dict[str, Any]:
    """What they said to staff, what we sent them, and what they sent that waits."""
    outbox = await uow.outbox.about(member.id, chats)
    return {
        "conversations_with_staff": [
            {"channel": h.channel, "opened_at": _when(h.requested_at),
             "closed_at": _when(h.closed_at), "lines": [
                 {"at": _when(line.at), "from": line.author, "text": line.text,
                  "photo": line.photo}
                 for line in await uow.transcripts.of(h.id)
             ]}
            for h in await uow.handoffs.of_member(member.id, chats)
        ],
        "messages": [
            {"channel": m.channel, "address": m.address, "kind": m.kind, "purpose": m.purpose,
             "basis": m.basis, "status": m.status, "created_at": _when(m.created_at),
             "body": m.body, "variables": m.variables, "photo": m.photo}
            for m in outbox if m.channel != handoffs.CHANNEL
        ],
        "staff_group_posts": [
            {"created_at": _when(m.created_at), "status": m.status, "body": m.body,
             "photo": m.photo}
            for m in outbox if m.channel == handoffs.CHANNEL
        ],
        "messages_not_yet_handled": [
            {"channel": r.channel, "received_at": _when(r.received_at), "payload": r.payload}
            for r in await uow.receipts.naming(_addresses(member, chats))
        ],
    }  # fmt: skip


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, for the caller to tell staff and to finish outside the database."""

    removed: dict[str, int]  # rows deleted (or receipts' payloads cleared), by table
    cancelled: Sequence[Appointment]  # bookings to come, cancelled: their time is free again
    released: int  # answers to events still to come withdrawn (seats, places in line)
    offered: list[Rsvp]  # seats that went to the waitlist meanwhile (those members are told)
    deletions: list[int]  # the member's topics in the staff group, queued for deletion


async def erase(uow: UnitOfWork, program: Program, member: Member, now: datetime) -> Erasure:
    """Remove what identifies a member, in the caller's unit of work.

    Bookings to come are cancelled (their time freed) and every booking's note and photo
    cleared; seats and places in line on events to come are given back, and whoever the
    waitlist moves up is told; conversations with staff (their topics queued for deletion),
    chats, invitations, messages and messages not yet handled, consents, badges, tier,
    dates and the profile go. The ledger's entries and purchases stay under the number.
    """
    await uow.members.lock([member.id])
    chats = _chats(await uow.members.identities(member.id))
    cancelled = await uow.appointments.upcoming(member.id, now)
    for booking in cancelled:
        await appointments.cancel(uow, booking, now)
    await uow.appointments.forget_notes(member.id)
    released, offered = await events.withdraw(uow, program, member.id, now)
    await events.notify(uow, program, now, events.SEAT_OFFERED, offered)
    talks = await uow.handoffs.of_member(member.id, chats)
    deletions = await handoffs.forget(uow, talks, now)
    received = await uow.receipts.naming(_addresses(member, chats))
    await uow.receipts.drop([receipt.id for receipt in received], now)
    removed = {
        "handoff": len(talks),
        "conversation_state": await uow.conversations.forget(chats),
        "link_token": await uow.link_tokens.forget(member.id),
        "outbox_message": await uow.outbox.forget(member.id, chats),
        "inbound_receipt": len(received),
        **await uow.members.erase(member, now),
    }
    return Erasure(removed, cancelled, released, offered, deletions)


async def erase_telling_staff(
    uow: UnitOfWork, program: Program, member: Member, now: datetime, group: bool
) -> tuple[Erasure, list[int]]:
    """The erasure; with the staff group on, each booking it cancelled is posted there (by
    member number only). Returns the erasure and the posts queued."""
    erasure = await erase(uow, program, member, now)
    posts = []
    for booking in erasure.cancelled if group else ():
        posts += await tell_staff(uow, program, now, booking, member, ERASED)
    return erasure, posts


@dataclass(frozen=True)
class Remainder:
    """What is left of an erased member: the number, the day, the ledger's sum."""

    number: str
    erased_on: date
    points: int


async def remainder(uow: UnitOfWork, member: Member, program: Program) -> Remainder:
    erased = erased_on(member, program)
    if erased is None:
        raise ValueError(f"{member_number(member.id)} is not erased")
    return Remainder(member_number(member.id), erased, await uow.ledger.balance(member.id))
