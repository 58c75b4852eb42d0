"""Purchase ingestion on a real database: each order credits once, ever."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from loyalty.program import Program
from loyalty.purchases import Status
from services.members import find
from services.purchases import Result, ingest
from storage.database import Database
from storage.models import BadgeAward, LedgerEntry, Member, Purchase, TierStatus
from tests.factories import OTHER_PHONE, PHONE, purchase


async def _count(db: Database, model: type, *where: object) -> int:
    async with db.unit_of_work() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model).where(*where))


async def _balance(db: Database, phone: str, program: Program) -> int:
    async with db.unit_of_work() as uow:
        member = await find(uow, phone, program)
        return await uow.ledger.balance(member.id)


async def test_first_purchase_creates_member_purchase_and_points(
    database: Database, program: Program, now: datetime
) -> None:
    [outcome] = await ingest(
        database.unit_of_work, [purchase(now, "250.99", name="Ada")], "pos", now, program
    )
    assert outcome.result is Result.CREATED
    assert outcome.points == 250
    assert await _balance(database, PHONE, program) == 250
    async with database.unit_of_work() as uow:
        member = await uow.members.by_phone(PHONE)
        assert member is not None and member.name == "Ada"
        badges = [b.badge for b in await uow.badges.for_member(member.id)]
    assert badges == ["first_purchase"]


async def test_same_order_twice_credits_once(
    database: Database, program: Program, now: datetime
) -> None:
    order = purchase(now, "100.00")
    first = await ingest(database.unit_of_work, [order], "pos", now, program)
    second = await ingest(database.unit_of_work, [order, order], "pos", now, program)
    assert [o.result for o in first] == [Result.CREATED]
    assert [o.result for o in second] == [Result.UNCHANGED, Result.UNCHANGED]
    assert await _count(database, LedgerEntry) == 1
    assert await _balance(database, PHONE, program) == 100


async def test_usd_purchase_earns_at_the_stated_rate(
    database: Database, program: Program, now: datetime
) -> None:
    [outcome] = await ingest(
        database.unit_of_work, [purchase(now, "1000.00", currency="USD")], "pos", now, program
    )
    assert outcome.points == 920  # 1000 USD x 0.92
    async with database.unit_of_work() as uow:
        stored = await uow.session.scalar(select(Purchase))
    assert str(stored.base_amount) == "920.00" and stored.currency == "USD"


async def test_refund_reverses_the_earn_and_keeps_the_tier_until_review(
    database: Database, program: Program, now: datetime
) -> None:
    order = purchase(now - timedelta(days=1), "2000.00")
    await ingest(database.unit_of_work, [order], "pos", now, program)
    async with database.unit_of_work() as uow:
        tier = await uow.session.scalar(select(TierStatus.tier))
    assert tier == "gold"
    refund = purchase(now, "2000.00", order_id=order.order_id, status=Status.REFUNDED)
    [outcome] = await ingest(database.unit_of_work, [refund], "pos", now, program)
    assert outcome.result is Result.REFUNDED
    assert await _balance(database, PHONE, program) == 0
    async with database.unit_of_work() as uow:
        tier = await uow.session.scalar(select(TierStatus.tier))
        status = await uow.session.scalar(select(Purchase.status))
    assert tier == "gold"
    assert status == "refunded"
    again = await ingest(database.unit_of_work, [refund], "pos", now, program)
    assert again[0].result is Result.UNCHANGED
    assert await _count(database, LedgerEntry) == 2


async def test_unseen_refunded_order_is_stored_and_earns_nothing(
    database: Database, program: Program, now: datetime
) -> None:
    refund = purchase(now, "500.00", status=Status.REFUNDED)
    [outcome] = await ingest(database.unit_of_work, [refund], "import", now, program)
    assert outcome.result is Result.CREATED and outcome.points == 0
    assert await _count(database, LedgerEntry) == 0
    later = purchase(now, "500.00", order_id=refund.order_id)
    [again] = await ingest(database.unit_of_work, [later], "import", now, program)
    assert again.result is Result.UNCHANGED
    assert await _count(database, LedgerEntry) == 0


async def test_imported_past_points_already_expired_are_expired_at_import(
    database: Database, program: Program, now: datetime
) -> None:
    old = purchase(now - timedelta(days=365 * 3), "300.00")
    recent = purchase(now - timedelta(days=30), "80.00")
    await ingest(database.unit_of_work, [old, recent], "import", now, program)
    assert await _balance(database, PHONE, program) == 80
    async with database.unit_of_work() as uow:
        kinds = sorted((await uow.session.scalars(select(LedgerEntry.kind))).all())
    assert kinds == ["earn", "earn", "expire"]


async def test_older_purchase_arriving_later_moves_the_join_date_back(
    database: Database, program: Program, now: datetime
) -> None:
    await ingest(database.unit_of_work, [purchase(now, "10.00")], "import", now, program)
    older = now - timedelta(days=400)
    await ingest(database.unit_of_work, [purchase(older, "10.00")], "import", now, program)
    async with database.unit_of_work() as uow:
        member = await uow.session.scalar(select(Member))
        badges = {b.badge for b in await uow.badges.for_member(member.id)}
    assert member.joined_at == older
    assert "anniversary" in badges


async def test_collector_badge_awarded_once_with_its_reason(
    database: Database, program: Program, now: datetime
) -> None:
    first = purchase(now - timedelta(days=100), limited_edition=True)
    second = purchase(now - timedelta(days=10), limited_edition=True)
    third = purchase(now, limited_edition=True)
    await ingest(database.unit_of_work, [first, second], "pos", now, program)
    await ingest(database.unit_of_work, [third], "pos", now, program)
    async with database.unit_of_work() as uow:
        awards = (
            await uow.session.scalars(select(BadgeAward).where(BadgeAward.badge == "collector"))
        ).all()
    assert len(awards) == 1
    assert awards[0].detail == {"orders": [first.order_id, second.order_id]}
    assert awards[0].awarded_at == second.purchased_at


async def test_batch_with_two_members_keeps_them_apart(
    database: Database, program: Program, now: datetime
) -> None:
    batch = [purchase(now, "10.00"), purchase(now, "20.00", phone=OTHER_PHONE)]
    await ingest(database.unit_of_work, batch, "import", now, program)
    assert await _balance(database, PHONE, program) == 10
    assert await _balance(database, OTHER_PHONE, program) == 20


async def test_twenty_concurrent_ingestions_of_one_order_give_one_entry(
    database: Database, program: Program, now: datetime
) -> None:
    order = purchase(now, "400.00")
    outcomes = await asyncio.gather(
        *(ingest(database.unit_of_work, [order], "pos", now, program) for _ in range(20))
    )
    results = sorted(o[0].result for o in outcomes)
    assert results.count(Result.CREATED) == 1
    assert results.count(Result.UNCHANGED) == 19
    assert await _count(database, LedgerEntry) == 1
    assert await _count(database, Member) == 1
    assert await _balance(database, PHONE, program) == 400


async def test_order_paid_and_refunded_in_one_batch_is_stored_refunded(
    database: Database, program: Program, now: datetime
) -> None:
    paid = purchase(now - timedelta(days=2), "900.00")
    refund = purchase(now, "900.00", order_id=paid.order_id, status=Status.REFUNDED)
    outcomes = await ingest(database.unit_of_work, [paid, refund], "import", now, program)
    assert [o.result for o in outcomes] == [Result.CREATED, Result.REFUNDED]
    async with database.unit_of_work() as uow:
        status = await uow.session.scalar(select(Purchase.status))
        member = await find(uow, PHONE, program)
        account = (await uow.accounts.load([member.id]))[member.id]
    assert status == "refunded"
    assert account.balance == 0
    assert account.qualifying() == []  # a refunded order counts toward no tier
