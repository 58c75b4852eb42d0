"""Rewards on a real database (SQLite, then PostgreSQL): vouchers taken with points held,
the last ones of a stock, a voucher used once, points given back once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from loyalty.membercard import verify_voucher, voucher_payload
from loyalty.points import InsufficientPoints
from loyalty.ports import Conflict
from loyalty.records import Member
from loyalty.rewards import Status, Voucher
from scheduler.worker import vouchers_job
from services import members, privacy, rewards
from services.rewards import RewardError
from storage.models import LedgerEntry, RewardStock
from tests.conftest import Clock

KEY = "qr-key-for-the-tests"


def key() -> str:
    return KEY


async def enrol(app: Concierge, n: int, points: int = 1000) -> Member:
    async with app.db.unit_of_work() as uow:
        member = await members.add(uow, app.program, app.clock(), f"+39347{n:07d}")
        await members.adjust(uow, member, points, f"gift-{n}", "welcome", app.clock(), app.program)
        await uow.commit()
        return member


async def take(app: Concierge, member: Member, reward: str) -> Voucher:
    async with app.db.unit_of_work() as uow:
        voucher = await rewards.take(uow, member, reward, app.clock(), app.program)
        await uow.commit()
        return voucher


async def balance(app: Concierge, member: Member) -> int:
    async with app.db.unit_of_work() as uow:
        return await uow.ledger.balance(member.id)


async def code(app: Concierge, voucher: Voucher) -> str:
    async with app.db.unit_of_work() as uow:
        text = await rewards.code(uow, voucher, key)
        await uow.commit()
        return text


async def use(app: Concierge, text: str) -> Voucher:
    async with app.db.unit_of_work() as uow:
        used = await rewards.use(uow, text, app.clock(), app.program, key)
        await uow.commit()
        return used


async def status(app: Concierge, voucher: Voucher) -> Status:
    async with app.db.unit_of_work() as uow:
        found = await uow.rewards.get(voucher.id)
    assert found is not None
    return found.status


async def test_taking_a_reward_holds_its_points_and_gives_a_signed_voucher(
    concierge: Concierge, now: datetime
) -> None:
    member = await enrol(concierge, 1)
    voucher = await take(concierge, member, "care_kit")

    assert (voucher.number, voucher.points, voucher.status) == ("V00001", 300, Status.HELD)
    assert voucher.expires_at == now + timedelta(days=90)
    assert await balance(concierge, member) == 700
    text = await code(concierge, voucher)
    assert text.startswith("RWD1:V00001:") and verify_voucher(text, KEY) == voucher.id
    assert verify_voucher(text.replace("V00001", "V00002"), KEY) is None
    async with concierge.db.unit_of_work() as uow:
        assert [v.id for v in await rewards.vouchers_of(uow, member)] == [voucher.id]
        [held] = await uow.ledger.latest(member.id, 1)
    assert (held.key, held.points) == ("hold:V00001", -300)


async def test_a_tier_valued_discount_is_kept_with_the_voucher(concierge: Concierge) -> None:
    member = await enrol(concierge, 1, 1200)
    voucher = await take(concierge, member, "tier_discount")
    assert voucher.discount == 5  # silver


async def test_what_the_member_may_not_take_or_cannot_afford_is_refused_with_nothing_kept(
    concierge: Concierge,
) -> None:
    member = await enrol(concierge, 1, 200)
    with pytest.raises(InsufficientPoints, match="cannot redeem 300 points: the balance is 200"):
        await take(concierge, member, "care_kit")
    with pytest.raises(RewardError, match="reward 'private_viewing' is not for this member"):
        await take(concierge, member, "private_viewing")
    with pytest.raises(RewardError, match="no reward 'yacht'"):
        await take(concierge, member, "yacht")
    assert await balance(concierge, member) == 200
    async with concierge.db.unit_of_work() as uow:
        assert await rewards.vouchers_of(uow, member) == []
        assert await uow.session.scalar(select(func.count()).select_from(RewardStock)) == 0


async def test_twenty_members_taking_the_last_three_at_once_get_exactly_three_vouchers(
    concierge: Concierge,
) -> None:
    people = [await enrol(concierge, n) for n in range(25)]
    for member in people[:22]:  # 22 of the 25 taken: 3 left
        await take(concierge, member, "care_kit")
    takers = [await enrol(concierge, 100 + n) for n in range(20)]

    async def one(member: Member) -> str:
        for _ in range(20):  # a writer that lost a race tries again, as the chat would
            try:
                await take(concierge, member, "care_kit")
                return "taken"
            except RewardError:
                return "none left"
            except Conflict:
                continue
        raise AssertionError("never answered")

    answered = await asyncio.gather(*(one(member) for member in takers))

    assert answered.count("taken") == 3 and answered.count("none left") == 17
    async with concierge.db.unit_of_work() as uow:
        stock = await uow.session.get(RewardStock, "care_kit")
        assert stock is not None and stock.taken == 25
    assert sorted([await balance(concierge, m) for m in takers]) == [700] * 3 + [1000] * 17


async def test_one_voucher_used_twice_at_once_is_used_once(concierge: Concierge) -> None:
    member = await enrol(concierge, 1)
    text = await code(concierge, await take(concierge, member, "cleaning"))

    async def one() -> str:
        try:
            await use(concierge, text)
            return "used"
        except RewardError as refused:
            return str(refused)

    answered = await asyncio.gather(one(), one())

    assert sorted(answered) == ["used", "voucher V00001 was used on 2026-11-24"]
    voucher = await use_refused(concierge, text)
    assert voucher == "voucher V00001 was used on 2026-11-24"
    assert await balance(concierge, member) == 850  # spent, not given back


async def use_refused(concierge: Concierge, text: str) -> str:
    with pytest.raises(RewardError) as refused:
        await use(concierge, text)
    return str(refused.value)


async def test_a_forged_or_unknown_voucher_or_a_bare_number_is_refused_at_the_till(
    concierge: Concierge,
) -> None:
    member = await enrol(concierge, 1)
    text = await code(concierge, await take(concierge, member, "cleaning"))
    forged = text[:-1] + ("0" if text[-1] != "0" else "1")
    assert await use_refused(concierge, forged) == "not a genuine voucher of this club"
    assert await use_refused(concierge, "V00001") == "not a genuine voucher of this club"
    async with concierge.db.unit_of_work() as uow:
        unknown = voucher_payload("V00099", await members.qr_key(uow, key))
    assert await use_refused(concierge, unknown) == f"no voucher {unknown!r}"


async def test_cancelling_gives_the_points_and_the_stock_back_once(
    concierge: Concierge,
) -> None:
    member = await enrol(concierge, 1)
    voucher = await take(concierge, member, "care_kit")

    async def cancel() -> str:
        try:
            async with concierge.db.unit_of_work() as uow:
                await rewards.cancel(uow, "V00001", concierge.clock(), concierge.program, key)
                await uow.commit()
            return "cancelled"
        except RewardError as refused:
            return str(refused)

    answered = await asyncio.gather(cancel(), cancel())

    assert sorted(answered) == ["cancelled", "voucher V00001 was cancelled on 2026-11-24"]
    assert await balance(concierge, member) == 1000
    assert await status(concierge, voucher) is Status.CANCELLED
    assert await use_refused(concierge, await code(concierge, voucher)) == (
        "voucher V00001 was cancelled on 2026-11-24"
    )
    async with concierge.db.unit_of_work() as uow:
        stock = await uow.session.get(RewardStock, "care_kit")
        assert stock is not None and stock.taken == 0


async def test_a_voucher_not_used_by_its_end_gives_its_points_back_once(
    concierge: Concierge, clock: Clock
) -> None:
    member = await enrol(concierge, 1)
    kit = await take(concierge, member, "care_kit")  # 90 days
    cleaning = await take(concierge, member, "cleaning")  # 60 days
    text = await code(concierge, kit)
    clock.current += timedelta(days=61)

    await vouchers_job(concierge)
    await vouchers_job(concierge)  # a second run gives nothing more

    assert await status(concierge, cleaning) is Status.EXPIRED
    assert await status(concierge, kit) is Status.HELD
    assert await balance(concierge, member) == 700
    clock.current += timedelta(days=30)
    assert await use_refused(concierge, text) == "voucher V00001 expired"
    await vouchers_job(concierge)
    assert await balance(concierge, member) == 1000
    async with concierge.db.unit_of_work() as uow:
        returns = await uow.session.scalar(
            select(func.count()).where(LedgerEntry.key.like("return:%"))
        )
    assert returns == 2


async def test_the_members_export_holds_their_vouchers(concierge: Concierge) -> None:
    member = await enrol(concierge, 1, 1200)
    await take(concierge, member, "tier_discount")
    async with concierge.db.unit_of_work() as uow:
        exported = await privacy.export(uow, member)
    assert exported["vouchers"] == [
        {
            "voucher": "V00001", "reward": "tier_discount", "points": 1000, "discount": "5.00",
            "status": "held", "taken_at": "2026-11-24T10:00:00+00:00",
            "expires_at": "2026-12-24T10:00:00+00:00", "ended_at": None,
        }
    ]  # fmt: skip
