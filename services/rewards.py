"""Rewards: what a member may take, taking one (its points held, a voucher made; an
experience booked too), and the voucher used at the till, cancelled, or given back when
its time is over.

The chat's Rewards menu, the till's API and `concierge rewards` all call these; each takes
the unit of work it runs in, and the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from loyalty import rewards
from loyalty.ids import parse_id
from loyalty.membercard import verify_voucher, voucher_payload
from loyalty.points import InsufficientPoints
from loyalty.program import Program
from loyalty.records import Appointment, Member
from loyalty.rewards import Offer, Reward, Status, Voucher
from loyalty.stores import UnitOfWork
from services import appointments, holds
from services.appointments import BookingError
from services.members import account, qr_key

EXPIRE_BATCH = 200  # vouchers given back per unit of work


class RewardError(ValueError):
    """A reward or voucher request that cannot be carried out; the text says why."""


def reward(program: Program, key: str) -> Reward:
    try:
        return program.rewards[key]
    except KeyError:
        raise RewardError(f"no reward {key!r}") from None


async def offers(uow: UnitOfWork, member: Member, now: datetime, program: Program) -> list[Offer]:
    """What the member may take now, and what is within reach (`short` points to go), with
    what is left of each reward's stock."""
    acct = await account(uow, member.id, now, program)
    tier = acct.tier_state(program).tier
    out = await uow.rewards.out()
    return rewards.offers(program.rewards, tier, acct.badges, acct.balance, out)


async def stock_left(uow: UnitOfWork, program: Program) -> dict[str, int | None]:
    """How many of each reward are left to take (None: no stock to run out)."""
    out = await uow.rewards.out()
    return {key: rewards.left(chosen, out.get(key, 0)) for key, chosen in program.rewards.items()}


async def code(uow: UnitOfWork, voucher: Voucher, make_key: Callable[[], str]) -> str:
    """The voucher's QR text: signed with the key of the club's member cards."""
    return voucher_payload(voucher.number, await qr_key(uow, make_key))


async def take(
    uow: UnitOfWork,
    member: Member,
    key: str,
    now: datetime,
    program: Program,
    start: datetime | None = None,
    channel: str | None = None,
) -> Voucher:
    """The member takes `key`: its points held in the ledger (InsufficientPoints beyond the
    balance), one taken from its stock (none left: RewardError), a voucher made. An
    experience is taken with its time, `start`: its service booked through the booking
    rules (BookingError when that time is gone), the voucher linked to the booking."""
    chosen = reward(program, key)
    await uow.members.lock([member.id])
    acct = await account(uow, member.id, now, program)
    tier = acct.tier_state(program).tier
    if not rewards.may_take(chosen, tier, acct.badges):
        raise RewardError(f"reward {key!r} is not for this member")
    if (chosen.service is None) != (start is None):
        raise RewardError(f"reward {key!r}: an experience is taken with its time, only")
    if chosen.cost > acct.balance:  # refused before the stock is touched
        raise InsufficientPoints(chosen.cost, acct.balance)
    if chosen.stock is not None and not await uow.rewards.take_stock(key, chosen.stock):
        raise RewardError(f"no {key!r} left")
    booking = await _book(uow, member, key, chosen, start, now, program, channel)
    voucher = await uow.rewards.add(
        member.id, key, chosen.cost, rewards.discount(chosen, tier), now,
        None if booking else rewards.ends(now, chosen), booking.id if booking else None,
    )  # fmt: skip
    held = rewards.hold(acct.entries, chosen.cost, now, voucher.id)
    await uow.ledger.add(member.id, [held], "rewards", now)
    return voucher


async def _book(
    uow: UnitOfWork,
    member: Member,
    key: str,
    chosen: Reward,
    start: datetime | None,
    now: datetime,
    program: Program,
    channel: str | None,
) -> Appointment | None:
    """An experience's booking (its end is the voucher's); the stock taken for it put back
    when the time is gone, so that the caller's unit of work holds nothing of it."""
    if chosen.service is None or start is None:
        return None
    try:
        return await appointments.book(
            uow, program, member, chosen.service, start, now, channel=channel
        )
    except BookingError:
        if chosen.stock is not None:
            await uow.rewards.put_back(key)
        raise


async def booking_of(uow: UnitOfWork, voucher: Voucher) -> Appointment | None:
    """The appointment an experience's voucher booked, while it stands."""
    if voucher.appointment_id is None:
        return None
    return await appointments.of_member(uow, voucher.member_id, voucher.appointment_id)


async def vouchers_of(uow: UnitOfWork, member: Member) -> list[Voucher]:
    """The member's vouchers, newest first."""
    return list(await uow.rewards.of_member(member.id))


async def find(
    uow: UnitOfWork, ref: str, make_key: Callable[[], str], signed: bool = False
) -> Voucher:
    """The voucher a till's scan names (the signed QR text), or, unless `signed`, staff
    name by its number (V00012)."""
    text = ref.strip()
    if not signed and text[:1] in "Vv" and text[1:].isdigit():
        voucher_id = parse_id(text[1:].lstrip("0"))
    else:
        voucher_id = verify_voucher(text, await qr_key(uow, make_key))
        if voucher_id is None:
            raise RewardError("not a genuine voucher of this club")
    found = await uow.rewards.get(voucher_id) if voucher_id is not None else None
    if found is None:
        raise RewardError(f"no voucher {ref.strip()!r}")
    return found


def _ended(voucher: Voucher, program: Program) -> RewardError:
    """Why a voucher no longer held cannot be used or cancelled: how and when (store day)."""
    day = voucher.ended_at.astimezone(program.club.zone).date() if voucher.ended_at else None
    when = f" on {day.isoformat()}" if day else ""
    return RewardError(f"voucher {voucher.number} was {voucher.status.value}{when}")


async def use(
    uow: UnitOfWork,
    payload: str,
    now: datetime,
    program: Program,
    make_key: Callable[[], str],
    by: str = "staff",
) -> Voucher:
    """The till uses a voucher, by its signed QR text: once, `by` recorded on it; its held
    points are spent. Used, cancelled or expired: RewardError saying so."""
    voucher = await find(uow, payload, make_key, signed=True)
    if voucher.status is not Status.HELD:
        raise _ended(voucher, program)
    if voucher.appointment_id is not None:
        raise RewardError(f"voucher {voucher.number} is an experience: used when it is over")
    if voucher.expired(now):
        raise RewardError(f"voucher {voucher.number} expired")
    if not await uow.rewards.end(voucher.id, Status.USED, now, valid_at=now, used_by=by):
        raise _ended(await uow.rewards.get(voucher.id) or voucher, program)
    return replace(voucher, status=Status.USED, ended_at=now, used_by=by)


async def cancel(
    uow: UnitOfWork, ref: str, now: datetime, program: Program, make_key: Callable[[], str]
) -> Voucher:
    """A held voucher cancelled (by the member, or staff for them): its points back; an
    experience's by cancelling its booking."""
    voucher = await find(uow, ref, make_key)
    booking = await booking_of(uow, voucher) if voucher.status is Status.HELD else None
    if booking is not None:
        given = await appointments.cancel(uow, booking, now)
    elif voucher.status is Status.HELD and voucher.appointment_id is None:
        given = voucher if await holds.give_back(uow, voucher, Status.CANCELLED, now) else None
    else:
        given = None
    if given is None:
        raise _ended(await uow.rewards.get(voucher.id) or voucher, program)
    return replace(voucher, status=Status.CANCELLED, ended_at=now)


async def expire_due(uow: UnitOfWork, now: datetime) -> int:
    """Vouchers whose time is over, given back (up to a batch); how many."""
    given = 0
    for voucher in await uow.rewards.due(now, EXPIRE_BATCH):
        given += await holds.give_back(uow, voucher, Status.EXPIRED, now)
    return given


async def experiences_over(uow: UnitOfWork, now: datetime) -> int:
    """Experiences whose booking is over (and was kept): their vouchers used, their points
    spent (up to a batch); how many."""
    used = 0
    for voucher in await uow.rewards.happened(now, EXPIRE_BATCH):
        used += await uow.rewards.end(voucher.id, Status.USED, now)
    return used
