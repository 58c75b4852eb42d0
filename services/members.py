"""Member services: enrol, look up, show the card, consent, redeem, tiers, invitations, the
ledger's latest entries, a card's QR code checked, a chat linked.

Export and erasure: services/privacy.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyalty import points
from loyalty.account import Account, settle
from loyalty.badges import within_reach
from loyalty.consent import Channel, ConsentChange, Purpose, allows, current, restorable
from loyalty.dates import EARLIEST, LATEST, Birthday, iso_day
from loyalty.ids import parse_id
from loyalty.membercard import verify
from loyalty.phones import InvalidPhone, normalize_phone
from loyalty.program import Program
from loyalty.records import Member
from loyalty.segments import Segment
from loyalty.stores import UnitOfWork
from loyalty.text import unstorable
from loyalty.tiers import Progress, TierState, progress
from services import account_news
from services.purchases import settle_accounts

_NUMBER = re.compile(r"[Mm]0*([0-9]+)")  # M00042, M42
EXPIRY_NOTICE = timedelta(days=60)
INVITATION_TTL = timedelta(days=14)


class MemberError(ValueError):
    """A staff request about a member that cannot be carried out; the text says why."""


def member_number(member_id: int) -> str:
    return f"M{member_id:05d}"


async def look_up(uow: UnitOfWork, ref: str, program: Program) -> Member:
    """The member named by a member number (``M00042``) or a phone number, erased or not
    (an erased member has no phone: only their number finds them)."""
    match = _NUMBER.fullmatch(ref.strip())
    if match:
        member_id = parse_id(match.group(1))
        member = await uow.members.get(member_id) if member_id is not None else None
    else:
        try:
            member = await uow.members.by_phone(normalize_phone(ref, program.club.default_country))
        except InvalidPhone:
            raise MemberError(f"not a member number or phone number: {ref!r}") from None
    if member is None:
        raise MemberError(f"no member {ref!r}")
    return member


def erased_on(member: Member, program: Program) -> date | None:
    """The day (in the store's zone) the member's data was erased; None if it was not."""
    if member.erased_at is None:
        return None
    return member.erased_at.astimezone(program.club.zone).date()


async def find(uow: UnitOfWork, ref: str, program: Program) -> Member:
    """The member named by `ref`, to act on: an erased member is refused, with the day."""
    member = await look_up(uow, ref, program)
    erased = erased_on(member, program)
    if erased is not None:
        raise MemberError(f"{member_number(member.id)} was erased on {erased.isoformat()}")
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


async def history(
    uow: UnitOfWork, member_id: int, now: datetime, program: Program, lines: int
) -> list[points.Entry]:
    """The member's latest ledger entries, newest first, due expiries written first."""
    await account(uow, member_id, now, program)
    return await uow.ledger.latest(member_id, lines)


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


async def post(
    uow: UnitOfWork,
    member: Member,
    now: datetime,
    program: Program,
    make: Callable[[list[points.Entry]], points.Entry],
    source: str = "staff",
) -> int:
    """Append one entry (staff's, or the till's) to a settled, locked account; returns the
    new balance."""
    await uow.members.lock([member.id])
    acct = await account(uow, member.id, now, program)
    entry = make(acct.entries)
    await uow.ledger.add(member.id, [entry], source, now)
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
    return await post(
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
    """A staff correction either way (never below zero), a gift of points news of the
    rewards it brings within reach; returns the new balance."""
    if amount == 0:
        raise MemberError("an adjustment takes a non-zero number of points")
    balance = await post(
        uow, member, now, program, lambda held: points.adjust_entry(held, amount, now, key, note)
    )
    if amount > 0:
        acct = await account(uow, member.id, now, program)
        await account_news.within_reach(uow, program, now, [acct], {member.id: balance - amount})
    return balance


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
    return await club_key(uow, "member-qr", make)


async def club_key(uow: UnitOfWork, name: str, make: Callable[[], str]) -> str:
    """One of the club's keys (QR codes, media links), made on first use."""
    return await uow.secrets.get_or_create(name, make)


async def verify_card(
    uow: UnitOfWork, payload: str, make_key: Callable[[], str], now: datetime, program: Program
) -> tuple[str, Member, Card]:
    """The number, member and card a till scanner's reading of a member's QR code names."""
    number = verify(payload, await qr_key(uow, make_key))
    if number is None:
        raise MemberError("not a genuine member card of this club")
    member = await find(uow, number, program)
    return number, member, await card(uow, member, now, program)


async def add_anniversary(
    uow: UnitOfWork, member: Member, kind: str, on: str, program: Program
) -> None:
    """A date the member declared (wedding, engagement...), replacing one of the same kind."""
    day = iso_day(on)
    if day is None:
        raise MemberError(f"not a date (YYYY-MM-DD, {EARLIEST.year} to {LATEST.year - 1}): {on!r}")
    kind = kind.strip().lower()
    if not kind or len(kind) > 32 or unstorable(kind) is not None:
        raise MemberError("an anniversary needs a short kind, e.g. wedding")
    await uow.members.set_anniversary(member.id, kind, day)
    await uow.occasion_dates.refresh([member.id], program.club.zone)


async def enrol(
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    phone: str,
    anniversaries: Iterable[tuple[str, str]],
    **profile: str | None,
) -> Member:
    """A member enrolled by staff, with the (kind, YYYY-MM-DD) dates they declared."""
    member = await add(uow, program, now, phone, **profile)
    for kind, on in anniversaries:
        await add_anniversary(uow, member, kind, on, program)
    return member


async def statement(uow: UnitOfWork, member: Member, last: int) -> list[points.Entry]:
    """The member's `last` ledger entries, newest first."""
    return await uow.ledger.latest(member.id, last)


async def link(
    uow: UnitOfWork, member: Member, channel: str, address: str, locale: str | None, now: datetime
) -> None:
    """The member is who writes from `address` on `channel`."""
    await uow.identities.link(member.id, channel, address, locale, now)


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
