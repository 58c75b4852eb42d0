"""The paces' budgets in PostgreSQL, shared by every process of a bot (web and dispatchers).

Why one transaction per send: the TATs are read and written by many processes at once; a
read and a write that another sender's could fall between would give two sends one slot.
Row locks held that long, and no longer, serialize exactly the senders that share a key.
It is short: BEGIN; one statement creates the missing keys and locks them all, in key
order (two senders of overlapping keys wait for each other, never in a circle), returning
their TATs; the moment and the new TATs come from the pure GCRA (loyalty.pace); one
statement writes them; COMMIT. Four round trips, plus the pool's ping at checkout.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.pace import InMemoryBudgets, Pace, key_names, ready, reserve
from loyalty.ports import Budgets
from storage.database import Database

# A key already there is "updated" to itself: that locks it, and returns its newest TAT
# even when another sender committed it after this statement began.
_LOCK = text(
    "INSERT INTO send_budget (key, tat) "
    "SELECT key, CAST(:now AS double precision) FROM unnest(CAST(:keys AS text[])) AS key "
    "ORDER BY key "
    "ON CONFLICT (key) DO UPDATE SET tat = send_budget.tat "
    "RETURNING key, tat"
)
_WRITE = text(
    "UPDATE send_budget SET tat = new.tat "
    "FROM unnest(CAST(:keys AS text[]), CAST(:tats AS double precision[])) AS new (key, tat) "
    "WHERE send_budget.key = new.key"
)
_READ = text("SELECT key, tat FROM send_budget WHERE key = ANY(CAST(:keys AS text[]))")
# A key a sender holds is skipped, not waited for: forgetting never blocks a send, nor
# waits on one that waits on it.
_FORGET = text(
    "DELETE FROM send_budget WHERE key IN "
    "(SELECT key FROM send_budget WHERE tat < :before FOR UPDATE SKIP LOCKED)"
)


class PostgresBudgets:
    """Budgets every process on the database shares; the worker forgets idle keys
    (`forget_idle`), so a key per chat ever written to does not pile up."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def reserve(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        names = key_names(keys)
        async with self.engine.begin() as connection:
            rows = await connection.execute(_LOCK, {"keys": names, "now": now})
            at, tats = reserve({key: tat for key, tat in rows}, keys, now)
            await connection.execute(_WRITE, {"keys": list(tats), "tats": list(tats.values())})
        return at

    async def ready(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        async with self.engine.connect() as connection:
            rows = await connection.execute(_READ, {"keys": key_names(keys)})
            return ready({key: tat for key, tat in rows}, keys, now)

    async def forget_idle(self, before: float) -> int:
        async with self.engine.begin() as connection:
            return (await connection.execute(_FORGET, {"before": before})).rowcount


def budgets(db: Database) -> Budgets:
    """Where this process keeps its budgets: in PostgreSQL with every other process of the
    bot, or in its own memory on SQLite (one process). One per process: its web app and its
    dispatchers share it."""
    return InMemoryBudgets() if db.is_sqlite else PostgresBudgets(db.engine)
