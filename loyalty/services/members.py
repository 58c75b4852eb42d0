"""Member services: enrol, look up, show the card, consent, redeem, export and erase."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyalty import points
from loyalty.account import Account, settle
from loyalty.badges import within_reach
from loyalty.consent import Channel, ConsentChange, Purpose, allows, current, restorable
from loyalty.dates import Birthday
from loyalty.phones import InvalidPhone, normalize_phone
from loyalty.program import Program
from loyalty.segments import Segment
from loyalty.services import handoffs
from loyalty.services.purchases import settle_accounts
from loyalty.tiers import Progress, TierState, progress

if TYPE_CHECKING:
    from storage.models import Member
    from storage.unit_of_work import UnitOfWork

_NUMBER = re.compile(r"^[Mm]0*(\d{1,9})$")
EXPIRY_NOTICE = timedelta(days=60)
INVITATION_TTL = timedelta(days=14)


class MemberError(ValueError):
    """A staff request about a member that cannot be carried out; the text says why."""


def member_number(member_id: int) -> str:
    return f"M{member_id:05d}"


async def find(uow: UnitOfWork, ref: str, program: Program) -> Member:
    """The member named by a member number (``M00042``) or a phone number."""
    match = _NUMBER.match(ref.strip())
    if match:
        member = await uow.members.get(int(match.group(1)))
    else:
        try:
            member = await uow.members.by_phone(normalize_phone(ref, program.club.default_country))
        except InvalidPhone:
            raise MemberError(f"not a member number or phone number: {ref!r}") from None
    if member is None or member.erased_at is not None:
        raise MemberError(f"no member {ref!r}")
    return member


def _check_profile(program: Program, timezone: str | None, locale: str | None) -> None:
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MemberError(f"unknown time zone {timezone!r}") from None
    if locale is not None and locale not in program.club.languages:
        spoken = ", ".join(program.club.languages)
        raise MemberError(f"the club does not speak {locale!r} (it speaks {spoken})")


async def add(
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    phone: str | None,
    name: str | None = None,
    email: str | None = None,
    birthday: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
) -> Member:
    """Enrol a member; the phone is optional for someone joining from a chat."""
    try:
        e164 = normalize_phone(phone, program.club.default_country) if phone else None
    except InvalidPhone as exc:
        raise MemberError(str(exc)) from None
    try:
        day = Birthday.parse(birthday) if birthday else None
    except ValueError as exc:
        raise MemberError(str(exc)) from None
    _check_profile(program, timezone, locale)
    if e164 is not None and await uow.members.by_phone(e164) is not None:
        raise MemberError("a member with this phone number already exists")
    member = await uow.members.add(
        phone=e164,
        name=name,
        email=email,
        timezone=timezone,
        locale=locale,
        joined_at=now,
        birthday_month=day.month if day else None,
        birthday_day=day.day if day else None,
        birthday_year=day.year if day else None,
    )
    await uow.occasion_dates.refresh([member.id], program.club.zone)
    return member


async def account(uow: UnitOfWork, member_id: int, now: datetime, program: Program) -> Account:
    """The member's account brought up to `now` (due expiries, tier, badges written)."""
    acct = (await uow.accounts.load([member_id]))[member_id]
    await settle_accounts(uow, [acct], now, program, "settle")
    return acct


@dataclass(frozen=True)
class Card:
    member: Member
    points: int
    tier: TierState
    progress: Progress | None
    badges: list[str]
    next_badge: str | None
    segments: list[Segment]
    expiring: list[tuple[datetime, int]]
    currency: str

    def remaining_in_currency(self, program: Program) -> Decimal | None:
        """What is left to the next tier, in the member's currency."""
        if self.progress is None:
            return None
        rate = program.rate(self.currency)
        return (self.progress.remaining_spend / rate).quantize(Decimal("0.01"))


async def card(uow: UnitOfWork, member: Member, now: datetime, program: Program) -> Card:
    acct = await account(uow, member.id, now, program)
    state = acct.tier_state(program)
    until = now + EXPIRY_NOTICE
    held = [a.badge for a in await uow.badges.for_member(member.id)]
    currency = member.currency or program.club.base_currency
    return Card(
        member=member,
        points=acct.balance,
        tier=state,
        progress=progress(state, acct.qualifying(), now, program),
        badges=held,
        next_badge=within_reach(acct.purchases, acct.badges, program),
        segments=acct.segments(now, program),
        expiring=points.expiring_soon(acct.entries, now, until, program.points.expiry_months),
        currency=currency,
    )


async def set_consent(
    uow: UnitOfWork,
    member: Member,
    purpose: Purpose,
    channel: Channel,
    granted: bool,
    now: datetime,
    source: str,
    wording: str,
) -> bool:
    """Record a consent change; False when it was already so (nothing is recorded)."""
    if allows(current(await uow.consents.history(member.id)), purpose, channel) == granted:
        return False
    await uow.consents.record(
        member.id, ConsentChange(purpose, channel, granted, now, source, wording)
    )
    return True


async def _post(
    uow: UnitOfWork,
    member: Member,
    now: datetime,
    program: Program,
    make: Callable[[list[points.Entry]], points.Entry],
) -> int:
    """Append one staff entry to a settled, locked account; returns the new balance."""
    await uow.members.lock([member.id])
    acct = await account(uow, member.id, now, program)
    entry = make(acct.entries)
    await uow.ledger.add(member.id, [entry], "staff", now)
    return acct.balance + entry.points


async def redeem(
    uow: UnitOfWork,
    member: Member,
    amount: int,
    key: str,
    note: str,
    now: datetime,
    program: Program,
) -> int:
    """Take `amount` points (InsufficientPoints beyond the balance); returns the new balance."""
    return await _post(
        uow, member, now, program, lambda held: points.redeem_entry(held, amount, now, key, note)
    )


async def adjust(
    uow: UnitOfWork,
    member: Member,
    amount: int,
    key: str,
    note: str,
    now: datetime,
    program: Program,
) -> int:
    """A staff correction either way (never below zero); returns the new balance."""
    return await _post(
        uow, member, now, program, lambda held: points.adjust_entry(held, amount, now, key, note)
    )


async def invite(uow: UnitOfWork, member: Member, token: str, now: datetime) -> datetime:
    """Store a single-use link token for `member`; returns when it expires."""
    expires = now + INVITATION_TTL
    await uow.link_tokens.create(token, member.id, now, expires)
    return expires


def set_profile(
    member: Member,
    program: Program,
    locale: str | None = None,
    timezone: str | None = None,
    preferred_channel: Channel | None = None,
) -> None:
    """Change what the member chose; only the values given, each checked first."""
    _check_profile(program, timezone, locale)
    if locale is not None:
        member.locale = locale
    if timezone is not None:
        member.timezone = timezone
    if preferred_channel is not None:
        member.preferred_channel = preferred_channel


async def set_zone(uow: UnitOfWork, member: Member, program: Program, zone: str) -> None:
    """A new time zone: the member's dates fall on its days from now on."""
    set_profile(member, program, timezone=zone)
    await uow.occasion_dates.refresh([member.id], program.club.zone)


async def consents(uow: UnitOfWork, member: Member) -> dict[tuple[Purpose, Channel], bool]:
    return current(await uow.consents.history(member.id))


async def stop(
    uow: UnitOfWork,
    member: Member,
    now: datetime,
    source: str,
    wording: str,
    channels: Iterable[Channel] = tuple(Channel),
) -> int:
    """Revoke everything that may go on `channels` (all by default), news of the member's
    own requests included; returns how many purposes were revoked."""
    standing = await consents(uow, member)
    revoked = 0
    for channel in channels:
        for purpose in Purpose:
            if allows(standing, purpose, channel):
                await set_consent(uow, member, purpose, channel, False, now, source, wording)
                revoked += 1
    return revoked


async def restart(
    uow: UnitOfWork, member: Member, channel: Channel, now: datetime, source: str, wording: str
) -> list[Purpose]:
    """START: grant again on `channel` what the last STOP there revoked; returns it."""
    purposes = restorable(await uow.consents.history(member.id), channel)
    for purpose in purposes:
        await set_consent(uow, member, purpose, channel, True, now, source, wording)
    return purposes


async def qr_key(uow: UnitOfWork, make: Callable[[], str]) -> str:
    """The club's key for signing member QR codes, made on first use."""
    return await uow.secrets.get_or_create("member-qr", make)


async def add_anniversary(
    uow: UnitOfWork, member: Member, kind: str, on: str, program: Program
) -> None:
    """A date the member declared (wedding, engagement...), replacing one of the same kind."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise MemberError(f"not a date (YYYY-MM-DD): {on!r}") from None
    kind = kind.strip().lower()
    if not kind or len(kind) > 32:
        raise MemberError("an anniversary needs a short kind, e.g. wedding")
    await uow.members.set_anniversary(member.id, kind, day)
    await uow.occasion_dates.refresh([member.id], program.club.zone)


async def set_invited_tier(
    uow: UnitOfWork, member: Member, tier: str | None, now: datetime, program: Program
) -> TierState:
    """Put a member in an invite-only tier, or (None) back on the public ladder."""
    if tier is not None:
        try:
            level = program.tiers.level(tier)
        except KeyError:
            raise MemberError(f"no tier {tier!r}") from None
        if not level.invite_only:
            raise MemberError(f"{tier!r} is earned, not given: only invite-only tiers are")
        state = TierState(tier, now, None, invited=True)
        await uow.tiers.save_many([(member.id, state)])
        return state
    acct = (await uow.accounts.load([member.id]))[member.id]
    acct.tier = None
    state = settle(acct, now, program).tier or acct.tier_state(program)
    await uow.tiers.save_many([(member.id, state)])
    return state


async def export(uow: UnitOfWork, member: Member) -> dict[str, Any]:
    """Everything held about one member, as plain JSON-ready data."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    birthday = (
        str(Birthday(member.birthday_month, member.birthday_day, member.birthday_year))
        if member.birthday_month and member.birthday_day
        else None
    )
    acct = (await uow.accounts.load([member.id]))[member.id]
    return {
        "member_number": member_number(member.id),
        "name": member.name,
        "phone": member.phone,
        "email": member.email,
        "locale": member.locale,
        "timezone": member.timezone,
        "currency": member.currency,
        "birthday": birthday,
        "joined_at": when(member.joined_at),
        "anniversaries": [
            {"kind": a.kind, "date": a.on.isoformat()}
            for a in await uow.members.anniversaries(member.id)
        ],
        "channels": [
            {"channel": i.channel, "address": i.address, "since": when(i.created_at)}
            for i in await uow.members.identities(member.id)
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "granted": c.granted,
                "at": when(c.at),
                "source": c.source,
                "wording": c.wording,
            }
            for c in await uow.consents.history(member.id)
        ],
        "purchases": [
            {
                "order_id": p.order_id,
                "amount": str(p.amount),
                "currency": p.currency,
                "purchased_at": when(p.purchased_at),
                "category": p.category,
                "limited_edition": p.limited_edition,
                "store": p.store,
                "status": p.status,
                "points": p.points,
            }
            for p in await uow.purchases.for_member(member.id)
        ],
        "points": acct.balance,
        "ledger": [
            {
                "kind": e.kind,
                "points": e.points,
                "reason": e.reason,
                "at": when(e.occurred_at),
                "detail": e.detail,
            }
            for e in acct.entries
        ],
        "tier": acct.tier.tier if acct.tier else None,
        "badges": [
            {"badge": b.badge, "awarded_at": when(b.awarded_at)}
            for b in await uow.badges.for_member(member.id)
        ],
        "events": [
            {
                "event": r.event_id,
                "answer": r.status,
                "guests": r.plus_ones,
                "answered_at": when(r.answered_at),
                "checked_in_at": when(r.checked_in_at),
            }
            for r in (await uow.rsvps.of_member(member.id)).values()
        ],
        "conversations_with_staff": [
            {
                "channel": h.channel,
                "opened_at": when(h.requested_at),
                "closed_at": when(h.closed_at),
                "lines": [
                    {
                        "at": when(line.at),
                        "from": line.author,
                        "text": line.text,
                        "photo": line.photo is not None,
                    }
                    for line in await uow.transcripts.of(h.id)
                ],
            }
            for h in await uow.handoffs.of_member(member.id)
        ],
    }


async def erase(uow: UnitOfWork, member: Member, now: datetime) -> dict[str, int]:
    """Remove personal data; the ledger's sums stay under the member number for the books."""
    talks = await handoffs.forget(uow, await uow.handoffs.of_member(member.id), now)
    chat = await uow.identities.forget_member(member.id)
    return {**chat, "handoff": talks, **await uow.members.erase(member, now)}
