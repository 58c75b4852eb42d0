"""Send budgets kept in PostgreSQL, so that every process of a bot (web processes,
senders) keeps one pace together: a reservation is one short transaction that locks the
budgets it names, in a fixed order (no deadlocks), and moves them on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from loyalty.pace import Pace, reserve
from storage.database import Database
from storage.models import SendBudget


class PostgresBudgets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, paces: Sequence[tuple[str, Pace]], now: float) -> float:
        keys = sorted({key for key, _ in paces})
        async with self.db.engine.begin() as connection:
            await connection.execute(
                insert(SendBudget)
                .values([{"key": key, "tat": now} for key in keys])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            rows = await connection.execute(
                select(SendBudget.key, SendBudget.tat)
                .where(SendBudget.key.in_(keys))
                .order_by(SendBudget.key)
                .with_for_update()
            )
            at, changed = reserve(dict(rows.all()), paces, now)
            for key, tat in changed.items():
                await connection.execute(
                    update(SendBudget).where(SendBudget.key == key).values(tat=tat)
                )
        return at

    async def forget_idle(self, before: float) -> int:
        """Budgets whose next send time is long past (a chat written to once) go."""
        async with self.db.engine.begin() as connection:
            result = await connection.execute(delete(SendBudget).where(SendBudget.tat < before))
        return result.rowcount  # type: ignore[attr-defined,no-any-return]
