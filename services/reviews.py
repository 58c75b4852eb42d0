"""The daily pass over every account: due expiries, tier reviews, badges that came of age."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loyalty.ports import Conflict
from loyalty.program import Program
from loyalty.stores import UnitOfWork
from services.purchases import RETRIES, settle_accounts

BATCH = 500


async def settle_all(
    units: Callable[[], UnitOfWork], now: datetime, program: Program, batch: int = BATCH
) -> int:
    """Settle every account at `now`, one transaction per batch; returns how many changed."""
    changed, after = 0, 0
    while True:
        for attempt in range(RETRIES):
            try:
                async with units() as uow:
                    ids = await uow.members.ids_after(after, batch)
                    await uow.members.lock(ids)
                    accounts = list((await uow.accounts.load(ids)).values())
                    moved = await settle_accounts(uow, accounts, now, program, "review")
                    await uow.commit()
                break
            except Conflict:
                if attempt == RETRIES - 1:
                    raise
        if not ids:
            return changed
        changed += moved
        after = ids[-1]
