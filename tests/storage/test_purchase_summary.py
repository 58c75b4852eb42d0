"""Members' purchase summaries (what the Figures page reads) stay equal to their purchases
summed up afresh, whichever way the purchases came: the webhook, the CSV import in bulk
across batches, refunds (later, or arriving already refunded) and an erasure."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select

from loyalty.program import Program
from loyalty.purchases import PurchaseInput, Status
from services import privacy
from services.members import find
from services.purchases import Histories, ingest
from storage.database import Database
from storage.models import Purchase, PurchaseSummary
from storage.summaries import SEPARATOR
from tests.factories import OTHER_PHONE, PHONE, purchase

THIRD = "+393331234567"


async def _summaries(database: Database) -> dict[int, tuple[Any, ...]]:
    async with database.unit_of_work() as uow:
        rows = await uow.session.scalars(select(PurchaseSummary))
        return {
            r.member_id: (
                r.purchases,
                Decimal(r.spend).quantize(Decimal("0.01")),
                r.first_at,
                r.second_at,
                r.last_at,
                r.kinds,
                sorted(filter(None, r.categories.split(SEPARATOR))),
            )
            for r in rows
        }


async def _recomputed(database: Database) -> dict[int, tuple[Any, ...]]:
    """The summaries worked out in Python from the purchases themselves."""
    kept: dict[int, list[Purchase]] = defaultdict(list)
    async with database.unit_of_work() as uow:
        for p in await uow.session.scalars(select(Purchase)):
            if p.status != Status.REFUNDED:
                kept[p.member_id].append(p)
    out = {}
    for member_id, mine in kept.items():
        times = sorted(p.purchased_at for p in mine)
        categories = sorted({p.category for p in mine if p.category})
        out[member_id] = (
            len(mine),
            sum((Decimal(p.base_amount) for p in mine), Decimal("0")).quantize(Decimal("0.01")),
            times[0],
            min((t for t in times if t > times[0]), default=None),
            times[-1],
            len(categories),
            categories,
        )
    return out


async def test_summaries_equal_the_purchases_after_webhook_import_refunds_and_erasure(
    database: Database, program: Program, now: datetime
) -> None:
    def order(n: int, days: int, amount: str, phone: str = PHONE, **fields: Any) -> PurchaseInput:
        return purchase(
            now - timedelta(days=days), amount, order_id=f"S-{n}", phone=phone, **fields
        )

    refunded = {"status": Status.REFUNDED}
    webhook = partial(ingest, database.unit_of_work, source="pos", now=now, program=program)
    # the webhook: one at a time
    await webhook([order(1, 400, "900.00", category="rings")])
    await webhook([order(2, 300, "150.00", category="repair")])
    await webhook([order(3, 300, "80.00", phone=OTHER_PHONE)])  # no category
    # the import: batches in bulk units, its accounts kept between them
    known = Histories()
    bulk = partial(database.unit_of_work, bulk=True)
    for batch in [
        [
            order(4, 500, "2000.00", category="bespoke"),  # before the first: first moves
            order(5, 200, "60.00", phone=OTHER_PHONE, category="gift"),
            order(6, 100, "300.00", phone=THIRD, category="rings", **refunded),  # only refunded
        ],
        [
            order(1, 0, "900.00", category="rings", **refunded),  # the webhook's, refunded
            order(7, 10, "45.50", phone=THIRD, category="Watches"),
            order(8, 10, "45.50", phone=THIRD, category="watches"),  # same time, same kind
        ],
    ]:
        await ingest(bulk, batch, "import", now, program, known)
    await webhook([order(5, 0, "60.00", phone=OTHER_PHONE, category="gift", **refunded)])

    before = await _summaries(database)
    assert before == await _recomputed(database)
    assert len(before) == 3
    ada = before[(await _member(database, PHONE, program))]
    assert ada[0] == 2 and ada[1] == Decimal("2150.00") and ada[-1] == ["bespoke", "repair"]

    async with database.unit_of_work() as uow:
        member = await find(uow, OTHER_PHONE, program)
        await privacy.erase(uow, program, member, now)
        await uow.commit()
    after = await _summaries(database)
    assert after == await _recomputed(database)
    assert after[member.id][-2:] == (0, [])  # what was bought went with the erasure


async def _member(database: Database, phone: str, program: Program) -> int:
    async with database.unit_of_work() as uow:
        return (await find(uow, phone, program)).id
