"""An import keeps the accounts it settled between batches: what it stores is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from loyalty.account import Account
from loyalty.badges import Award, PurchaseFact
from loyalty.occasions import Yearly
from loyalty.program import Program
from loyalty.purchases import PurchaseInput, Status
from services import members
from services.purchases import Histories, Result, ingest
from storage.database import Database
from storage.models import BadgeAward, LedgerEntry, Member, Purchase, TierStatus
from storage.unit_of_work import BULK_LOG_PAGES
from tests.factories import OTHER_PHONE, PHONE, purchase


def _batches(prefix: str, phone: str, other: str, now: datetime) -> list[list[PurchaseInput]]:
    """Three batches that expire points, refund across batches, move a join date back and
    cross tiers and badges, for two members."""

    def order(n: int, days: int, amount: str, **fields: Any) -> PurchaseInput:
        at = now - timedelta(days=days)
        return purchase(at, amount, order_id=f"{prefix}-{n}", phone=phone, **fields)

    refund = {"status": Status.REFUNDED}
    return [
        [order(1, 900, "800.00"), order(2, 500, "1200.00", limited_edition=True)],
        [
            order(3, 30, "2500.00", limited_edition=True),
            order(1, 0, "800.00", **refund),  # its points expired in the batch before
            purchase(now - timedelta(days=5), "90.00", order_id=f"{prefix}-4", phone=other),
            order(5, 1200, "40.00", category="repair"),  # older than the join date
        ],
        [order(3, 0, "2500.00", **refund), order(6, 2, "0.50"), order(2, 0, "1200.00")],
    ]


async def _stored(database: Database, prefix: str) -> list[Any]:
    """Ledger, purchases, tiers and badges by phone and order, with the prefix left out."""
    async with database.unit_of_work() as uow:
        s = uow.session
        phones = dict((await s.execute(select(Member.id, Member.phone))).all())
        mine = {mid for mid, phone in phones.items() if phone and phone.startswith(prefix)}

        def rows(query: Any) -> Any:
            return sorted(
                tuple(str(v).replace(prefix, "") for v in (phones[row[0]], *row[1:]))
                for row in query
                if row[0] in mine
            )

        return [
            rows(await s.execute(select(Member.id, Member.joined_at))),
            rows(
                await s.execute(
                    select(LedgerEntry.member_id, LedgerEntry.key, LedgerEntry.points).add_columns(
                        LedgerEntry.occurred_at, LedgerEntry.detail
                    )
                )
            ),
            rows(await s.execute(select(Purchase.member_id, Purchase.order_id, Purchase.status))),
            rows(await s.execute(select(TierStatus.member_id, TierStatus.tier, TierStatus.since))),
            rows(
                await s.execute(select(BadgeAward.member_id, BadgeAward.badge, BadgeAward.detail))
            ),
        ]


async def test_an_import_keeping_its_accounts_stores_what_reading_them_back_stores(
    database: Database, program: Program, now: datetime
) -> None:
    known = Histories()
    for prefix, kept in (("+3933", known), ("+3934", None)):
        phone, other = prefix + "12345678", prefix + "87654321"
        for batch in _batches(prefix, phone, other, now):
            await ingest(database.unit_of_work, batch, "import", now, program, kept)
    assert await _stored(database, "+3933") == await _stored(database, "+3934")
    await _assert_current(database, known)


async def _assert_current(database: Database, known: Histories) -> dict[int, Account]:
    """Every account the import keeps is the one the database gives."""
    async with database.unit_of_work() as uow:
        read = await uow.accounts.load(known.accounts)
    assert known.accounts and read == dict(known.accounts)
    return read


async def test_a_history_another_writer_added_to_between_batches_is_read_again(
    database: Database, program: Program, now: datetime
) -> None:
    known = Histories()
    small = purchase(now - timedelta(days=3), "0.50")  # earns nothing: no ledger entry
    first = [small, purchase(now, "100.00")]
    await ingest(database.unit_of_work, first, "import", now, program, known)
    refund = purchase(now, "0.50", order_id=small.order_id, status=Status.REFUNDED)
    await ingest(database.unit_of_work, [refund], "pos", now, program)  # its status only
    await ingest(database.unit_of_work, [purchase(now, "50.00")], "import", now, program, known)
    async with database.unit_of_work() as uow:
        member = await uow.members.by_phone(PHONE)
        assert member is not None
        await members.redeem(uow, member, 30, "gift-1", "gift wrap", now, program)
        await uow.commit()
    outcomes = await ingest(
        database.unit_of_work, [purchase(now, "20.00")], "import", now, program, known
    )
    assert [o.result for o in outcomes] == [Result.CREATED]
    account = (await _assert_current(database, known))[outcomes[0].member_id]
    assert account.balance == 100 + 50 - 30 + 20
    assert [p.refunded for p in account.purchases if p.order_id == small.order_id] == [True]


async def test_a_tier_or_badge_another_writer_gave_between_batches_is_seen(
    database: Database, program: Program, now: datetime
) -> None:
    known = Histories()
    await ingest(database.unit_of_work, [purchase(now, "100.00")], "import", now, program, known)
    async with database.unit_of_work() as uow:
        member = await uow.members.by_phone(PHONE)
        assert member is not None
        await members.set_invited_tier(uow, member, "ambassador", now, program)
        await uow.badges.add_many([(member.id, Award("collector", now))])  # as a review would
        await uow.commit()
    outcomes = await ingest(
        database.unit_of_work, [purchase(now, "20.00")], "import", now, program, known
    )
    account = (await _assert_current(database, known))[outcomes[0].member_id]
    assert account.tier is not None and account.tier.tier == "ambassador"
    assert "collector" in account.badges


async def test_accounts_beyond_the_limit_are_let_go_least_recently_settled_first() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    known = Histories(limit=3)
    one, two, three = (
        Account(n, at, purchases=[PurchaseFact(str(i), at, Decimal(1), 1) for i in range(n)])
        for n in (1, 2, 3)
    )
    known.keep([one, two])
    known.keep([one])
    assert list(known.accounts) == [2, 1]
    known.keep([three])
    assert list(known.accounts) == [3]


async def test_a_newcomer_with_only_a_refunded_order_has_its_join_date_filed(
    database: Database, program: Program, now: datetime
) -> None:
    refunded = purchase(now, "500.00", phone=OTHER_PHONE, status=Status.REFUNDED)
    await ingest(database.unit_of_work, [refunded], "import", now, program, Histories())
    async with database.unit_of_work() as uow:
        filed = await uow.occasion_dates.on([(now.month, now.day)])
    assert list(filed.values()) == [[Yearly("club_anniversary", now.month, now.day, now.date())]]


async def test_the_import_plans_statements_for_their_own_values_on_postgresql(
    database: Database,
) -> None:
    async with database.unit_of_work(bulk=True) as uow:
        if database.is_sqlite:
            assert await uow.session.scalar(text("SELECT 1")) == 1
            return
        mode = await uow.session.scalar(text("SHOW plan_cache_mode"))
    assert mode == "force_custom_plan"
    async with database.unit_of_work() as uow:
        assert await uow.session.scalar(text("SHOW plan_cache_mode")) == "auto"


async def test_the_import_compiles_no_statement_on_postgresql(database: Database) -> None:
    if database.is_sqlite:
        return
    async with database.unit_of_work() as uow:
        server = await uow.session.scalar(text("SHOW jit"))
    async with database.unit_of_work(bulk=True) as uow:
        assert await uow.session.scalar(text("SHOW jit")) == "off"
    async with database.unit_of_work() as uow:  # the rest of the app keeps the server's
        assert await uow.session.scalar(text("SHOW jit")) == server


async def test_the_import_copies_sqlite_s_log_in_bigger_steps(database: Database) -> None:
    if not database.is_sqlite:
        return
    async with database.unit_of_work(bulk=True) as uow:
        assert await uow.session.scalar(text("PRAGMA wal_autocheckpoint")) == BULK_LOG_PAGES
