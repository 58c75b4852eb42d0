"""The paces' budgets: what one reservation costs, in PostgreSQL and in memory.

    python -m bench.pace --database-url postgresql://postgres@127.0.0.1/concierge_bench
                         [--sends 5000] [--at-once 50]

Each reservation is one message to a Telegram chat (`loyalty.pace.telegram_keys`: the bot's
key and the chat's), cycling over 1,000 chats, so a chat's row is made once and found
after. Runs: one sender after another on the budgets `storage.pace.budgets` gives a
PostgreSQL database (its engine as the app makes it: the pool pings at each checkout); the
same on an engine without the ping; `--at-once` senders at the same time, all on one bot
(each waits for the bot's row); and the in-memory budgets of a SQLite deployment. Times
are the calls to `reserve`, as a sender waits for them; the moments reserved are not
waited for. The database in --database-url must have "bench" in its name: it is dropped
and created again, then migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.occasions import recreate_postgres
from bench.webhooks import SqlCount
from loyalty.pace import InMemoryBudgets, telegram_keys
from loyalty.ports import Budgets
from storage.database import Database
from storage.migrate import upgrade
from storage.pace import PostgresBudgets, budgets

CHATS = 1_000


async def timed(reserve: Callable[[int], Awaitable[float]], sends: range) -> list[float]:
    """Seconds each call took."""
    took = []
    for n in sends:
        began = time.perf_counter()
        await reserve(n)
        took.append(time.perf_counter() - began)
    return took


def sender(shared: Budgets) -> Callable[[int], Awaitable[float]]:
    return lambda n: shared.reserve(telegram_keys(1, n % CHATS), time.time())


def row(name: str, took: list[float], wall: float, sql: SqlCount | None) -> str:
    ordered = sorted(took)
    per = (
        f"{sql.statements / len(took):.1f} | {sql.transactions / len(took):.1f}"
        if sql
        else "– | –"
    )
    return (
        f"| {name} | {len(took):,} | {ordered[len(ordered) // 2] * 1000:.3f} | "
        f"{ordered[int(len(ordered) * 0.99) - 1] * 1000:.3f} | "
        f"{statistics.fmean(took) * 1000:.3f} | {len(took) / wall:,.0f} | {per} |"
    )


async def run(name: str, db: Database | None, shared: Budgets, sends: int, at_once: int) -> str:
    sql = None
    if db is not None:
        sql = SqlCount()
        sql.listen(db.engine)
    await timed(sender(shared), range(100))  # connections open, statements prepared
    if sql is not None:
        sql.statements = sql.transactions = 0
    each = sends // at_once
    began = time.perf_counter()
    parts = await asyncio.gather(
        *(timed(sender(shared), range(i * each, (i + 1) * each)) for i in range(at_once))
    )
    wall = time.perf_counter() - began
    return row(name, list(itertools.chain(*parts)), wall, sql)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL, a 'bench' database")
    parser.add_argument("--sends", type=int, default=5_000)
    parser.add_argument("--at-once", type=int, default=50)
    args = parser.parse_args()

    await recreate_postgres(args.database_url)
    app_db = Database(args.database_url)
    unpinged = Database(args.database_url, pool_pre_ping=False)
    try:
        await upgrade(app_db)
        rows = [
            await run("PostgreSQL, one sender", app_db, budgets(app_db), args.sends, 1),
            await run(
                "PostgreSQL, one sender, no ping",
                unpinged,
                PostgresBudgets(unpinged.engine),
                args.sends,
                1,
            ),
            await run(
                f"PostgreSQL, {args.at_once} senders at once, one bot",
                app_db,
                budgets(app_db),
                args.sends,
                args.at_once,
            ),
            await run("in memory (SQLite)", None, InMemoryBudgets(), args.sends, 1),
        ]
    finally:
        await app_db.close()
        await unpinged.close()
    print("| run | reservations | p50 ms | p99 ms | mean ms | per second "
          "| statements/reservation | transactions/reservation |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
