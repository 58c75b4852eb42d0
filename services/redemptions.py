"""Redemptions at the till (`POST /api/redemptions`): a member's voucher used, or points
taken against an order. The order id is the key: a retried call takes nothing twice, and a
refund of the order (webhook or CSV: `services.purchases._returns`) gives the points back once.
A voucher used on an order keeps it (`used_by`), so the same call again is told it went
through, and any other use is told it was used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from loyalty import points
from loyalty.ports import Conflict
from loyalty.program import Program
from loyalty.rewards import Status, Voucher
from loyalty.stores import UnitOfWork
from services import members, rewards
from services.rewards import RewardError

RETRIES = 3
SOURCE = "pos"


class UnknownVoucher(RewardError):
    """No voucher of this club reads so: the till gets 404."""


class VoucherGone(RewardError):
    """The voucher was used, cancelled or has expired: the till gets 410."""


class OrderMismatch(ValueError):
    """The order was already redeemed for another member or number of points."""


@dataclass(frozen=True)
class Used:
    """A voucher used at the till: `created` False when this same call used it before."""

    created: bool
    voucher: Voucher


@dataclass(frozen=True)
class Redeemed:
    """What a redemption against an order did: `created` False when it was already done."""

    created: bool
    member_id: int
    points: int
    balance: int


async def use_voucher(
    units: Callable[[], UnitOfWork],
    payload: str,
    now: datetime,
    program: Program,
    make_key: Callable[[], str],
    order_id: str | None = None,
) -> Used:
    """The till uses a voucher by its signed QR text, once; committed. With `order_id`, the
    same call again (a retry) finds it used on that order and is told so, not refused;
    without one, a retry cannot be told from the voucher shown again, and is refused."""
    by = f"{SOURCE} order {order_id}" if order_id is not None else SOURCE
    async with units() as uow:
        try:
            found = await rewards.find(uow, payload, make_key, signed=True)
        except RewardError as exc:
            raise UnknownVoucher(str(exc)) from None
        try:
            used = await rewards.use(uow, payload, now, program, make_key, by)
        except RewardError as exc:
            done = await uow.rewards.get(found.id)
            if order_id is not None and done and done.status is Status.USED and done.used_by == by:
                return Used(False, done)
            raise VoucherGone(str(exc)) from None
        await uow.commit()
    return Used(True, used)


async def redeem_order(
    units: Callable[[], UnitOfWork],
    order_id: str,
    member_ref: str,
    amount: int,
    now: datetime,
    program: Program,
) -> Redeemed:
    """Take `amount` points from the member (phone or member number) against `order_id`,
    once; committed. MemberError: no such member; InsufficientPoints: beyond the balance;
    OrderMismatch: the order was redeemed otherwise. Two calls at once: one takes effect,
    the other (tried again on the UNIQUE key) sees it done."""
    for attempt in range(RETRIES):
        try:
            async with units() as uow:
                done = await _redeem_order(uow, order_id, member_ref, amount, now, program)
                await uow.commit()
            return done
        except Conflict:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def _redeem_order(
    uow: UnitOfWork, order_id: str, member_ref: str, amount: int, now: datetime, program: Program
) -> Redeemed:
    member = await members.find(uow, member_ref, program)
    await uow.members.lock([member.id])  # a retry of this call waits here, then sees it done
    key = points.order_redeem_key(order_id)
    earlier = (await uow.ledger.keyed([key])).get(key)
    if earlier is not None:
        owner, entry = earlier
        if owner != member.id or -entry.points != amount:
            raise OrderMismatch(
                f"order {order_id!r} was already redeemed: {-entry.points} points "
                f"of {members.member_number(owner)}"
            )
        return Redeemed(False, member.id, amount, await uow.ledger.balance(member.id))
    balance = await members.post(
        uow,
        member,
        now,
        program,
        lambda held: points.order_redeem(held, amount, now, order_id),
        SOURCE,
    )
    return Redeemed(True, member.id, amount, balance)
