"""A voucher's held points at its end: given back once (the voucher cancelled or expired,
or its experience's booking cancelled), or spent (its experience missed).

Apart from services.rewards so that services.appointments, which rewards book through,
can end an experience's voucher with its booking."""

from __future__ import annotations

from datetime import datetime

from loyalty import rewards
from loyalty.rewards import Status, Voucher
from loyalty.stores import UnitOfWork


async def give_back(uow: UnitOfWork, voucher: Voucher, status: Status, now: datetime) -> bool:
    """End a held voucher as `status`, its points and its stock given back; False when
    someone ended it first (nothing is given back twice)."""
    if not await uow.rewards.end(voucher.id, status, now):
        return False
    await uow.ledger.add(voucher.member_id, [rewards.give_back(voucher, now)], "rewards", now)
    await uow.rewards.put_back(voucher.reward)  # counted only for a reward with a stock
    return True


async def booking_ended(
    uow: UnitOfWork, appointment_id: int, now: datetime, returned: bool
) -> Voucher | None:
    """The booking of an experience ended: cancelled (`returned`), its voucher's points
    come back, once; missed, they are spent. The voucher given back, or None."""
    voucher = await uow.rewards.of_appointment(appointment_id)
    if voucher is None or voucher.status is not Status.HELD:
        return None
    if not returned:
        await uow.rewards.end(voucher.id, Status.USED, now)
        return None
    return voucher if await give_back(uow, voucher, Status.CANCELLED, now) else None
