"""The Figures page on a big club, measured: 100,000 members and 1,000,000 purchases in
PostgreSQL, the page rendered through the app (in-process httpx), target under 1 s.

    python -m bench.figures [--members 100000 --purchases 1000000] [--runs 5]
                            [--database-url postgresql://postgres@127.0.0.1:5432/concierge_figbench]

The database (its name must contain "bench") is dropped, created, migrated and filled with
INSERT ... SELECT generate_series (seeded random(), so every run fills the same club): the
members over four years, their tiers, the purchases over three years (a few members buy
much more than most), an event a month with 2,000 invitations and 400 answers each, four
messages a member a year of every kind, channel and status, consents and opt-outs,
conversations with staff and appointments; the members' purchase summaries are summed up
from the purchases as migration 0018 does. Then ANALYZE, an owner signed in, and the page
timed `--runs` times (the first on a cold cache of plans), its queries timed one by one,
and the heaviest EXPLAIN (ANALYZE, BUFFERS)-ed. The database is dropped at the end.

Markdown on stdout (for docs/benchmarks.md), progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from bench.occasions import machine, recreate_postgres
from bench.postgres import connected
from bot.bootstrap import Concierge, bootstrap
from bot.settings import Settings
from bot.web import create_app
from services import office
from storage.migrate import upgrade
from storage.models import Purchase, PurchaseSummary
from storage.summaries import statements

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
DEFAULT_URL = os.environ.get(
    "CONCIERGE_BENCH_POSTGRES_URL",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/concierge_figbench",
)
PASSWORD = "a long enough secret"
NOW_SQL = "timestamptz '2026-11-24 10:00:00+00'"

FILL = [
    (
        "member",
        """
        INSERT INTO member (id, name, locale, joined_at)
        SELECT i, 'Member ' || i, 'it',
               {now} - interval '1 minute' * floor(random() * 4 * 365 * 1440)
        FROM generate_series(1, :members) i""",
    ),
    (
        "tier_status",
        """
        INSERT INTO tier_status (member_id, tier, since, invited)
        SELECT id, (ARRAY['silver','silver','silver','silver','gold','gold','platinum'])
                   [1 + floor(random() * 7)::int],
               joined_at + (({now} - joined_at) * random()), false
        FROM member""",
    ),
    (
        "purchase",
        """
        INSERT INTO purchase (order_id, member_id, amount, currency, base_amount, points,
                              category, limited_edition, store, status, purchased_at, source,
                              recorded_at)
        SELECT 'o' || i, m, a, 'EUR', a, floor(a)::int, c, false, 'MI',
               CASE WHEN random() < 0.02 THEN 'refunded' ELSE 'paid' END, t, 'bench', t
        FROM (SELECT i, 1 + floor(power(random(), 2) * :members)::int AS m,
                     round((50 + power(random(), 3) * 12000)::numeric, 2) AS a,
                     (ARRAY['rings','earrings','necklaces','bracelets','watches','engagement',
                            'wedding','gift','repair','resize','bespoke'])
                         [1 + floor(random() * 11)::int] AS c,
                     {now} - interval '1 minute' * floor(random() * 3 * 365 * 1440) AS t
              FROM generate_series(1, :purchases) i) p""",
    ),
    (
        "staff",
        """
        INSERT INTO staff (id, telegram_user_id, name, role, added_at)
        SELECT i, 1000 + i, 'Staff ' || i, 'concierge', {now} - interval '4 years'
        FROM generate_series(1, 4) i""",
    ),
    (
        "event",
        """
        INSERT INTO event (id, title, description, place, starts_at, ends_at, capacity,
                           plus_ones, tiers, segments, badges, seats_taken, created_at)
        SELECT e, 'Preview ' || e, '', '', {now} - interval '1 month' * e + interval '18 hours',
               {now} - interval '1 month' * e + interval '21 hours', 400, 0, '[]', '[]', '[]',
               0, {now} - interval '1 month' * e - interval '20 days'
        FROM generate_series(1, 36) e""",
    ),
    (
        "outbox_message (invitations)",
        """
        INSERT INTO outbox_message (key, member_id, channel, address, kind, purpose, body,
                                    variables, status, attempts, created_at, updated_at)
        SELECT 'invitation:' || e || ':' || m, m, 'telegram', m::text, 'invitation', 'events',
               '', '{{}}', 'read', 1, s - interval '20 days', s - interval '20 days'
        FROM (SELECT e, 1 + ((e * 1000 + g * 97) % :members) AS m,
                     {now} - interval '1 month' * e AS s
              FROM generate_series(1, 36) e, generate_series(1, 2000) g) x""",
    ),
    (
        "rsvp",
        """
        INSERT INTO rsvp (event_id, member_id, status, plus_ones, checked_in_at, answered_at)
        SELECT e, 1 + ((e * 1000 + g * 97) % :members),
               CASE WHEN g <= 300 THEN 'going' ELSE 'declined' END, 0,
               CASE WHEN g <= 200 THEN s + interval '18 hours' END, s - interval '10 days'
        FROM (SELECT e, g, {now} - interval '1 month' * e AS s
              FROM generate_series(1, 36) e, generate_series(1, 400) g) x""",
    ),
    (
        "outbox_message",
        """
        INSERT INTO outbox_message (member_id, channel, address, kind, body, variables,
                                    status, attempts, created_at, updated_at)
        SELECT m, (ARRAY['telegram','whatsapp'])[1 + floor(random() * 2)::int], m::text,
               (ARRAY['reply','reply','reply','birthday','anniversary','reminder'])
                   [1 + floor(random() * 6)::int], '', '{{}}',
               (ARRAY['read','read','delivered','delivered','sent','failed','undelivered',
                      'dead','pending'])[1 + floor(random() * 9)::int], 1, t, t
        FROM (SELECT 1 + floor(random() * :members)::int AS m,
                     {now} - interval '1 minute' * floor(random() * 3 * 365 * 1440) AS t
              FROM generate_series(1, :members * 12) i) x""",
    ),
    (
        "consent",
        """
        INSERT INTO consent (member_id, purpose, channel, granted, at, source, wording)
        SELECT m, (ARRAY['birthday','anniversary','events','news'])[1 + i % 4],
               'whatsapp', i % 10 <> 0,
               {now} - interval '1 minute' * floor(random() * 3 * 365 * 1440), 'bench', 'w'
        FROM (SELECT i, 1 + floor(random() * :members)::int AS m
              FROM generate_series(1, :members * 2) i) x""",
    ),
    (
        "handoff",
        """
        INSERT INTO handoff (id, member_id, channel, address, status, requested_at, reason)
        SELECT i, 1 + floor(random() * :members)::int, 'telegram', 'h' || i, 'closed',
               {now} - interval '1 minute' * floor(random() * 3 * 365 * 1440), 'asked'
        FROM generate_series(1, :members / 5) i""",
    ),
    (
        "transcript_line",
        """
        INSERT INTO transcript_line (handoff_id, at, author, staff_id, text)
        SELECT id, requested_at + interval '1 minute' * (n * random() * 60),
               CASE WHEN n = 0 THEN 'member' ELSE 'staff' END,
               CASE WHEN n = 0 THEN NULL ELSE 1 + id % 4 END, '...'
        FROM handoff, generate_series(0, 2) n""",
    ),
    (
        "appointment",
        """
        INSERT INTO appointment (member_id, service, staff_id, starts_at, ends_at, block_end,
                                 status, note, channel, sequence, created_at, updated_at)
        SELECT m, (ARRAY['design_consultation','resize','stone_matching','private_viewing'])
                      [1 + i % 4], 1 + i % 4, t, t + interval '1 hour',
               t + interval '75 minutes',
               (ARRAY['booked','booked','booked','cancelled','no_show'])[1 + i % 5], '',
               'telegram', 0, t - interval '10 days', t - interval '10 days'
        FROM (SELECT i, 1 + floor(random() * :members)::int AS m,
                     {now} - interval '1 minute' * floor(random() * 3 * 365 * 1440) AS t
              FROM generate_series(1, :members * 3 / 10) i) x""",
    ),
]


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def fill(app: Concierge, members: int, purchases: int) -> list[tuple[str, int, float]]:
    """Every table filled by one INSERT ... SELECT; the rows and seconds of each."""
    done = []
    async with app.db.engine.begin() as connection:
        await connection.execute(text("SELECT setseed(0.19)"))
        for name, sql in FILL:
            started = time.perf_counter()
            result = await connection.execute(
                text(sql.format(now=NOW_SQL)), {"members": members, "purchases": purchases}
            )
            done.append((name, result.rowcount, time.perf_counter() - started))
            say(f"  {name}: {result.rowcount:,} rows in {done[-1][2]:.1f} s")
        started = time.perf_counter()  # as migration 0018 fills them (storage/summaries.py)
        for statement in statements(Purchase.__table__, PurchaseSummary.__table__, None):
            rows = (await connection.execute(statement)).rowcount
        done.append(("purchase_summary", rows, time.perf_counter() - started))
        say(f"  purchase_summary: {rows:,} rows in {done[-1][2]:.1f} s")
        for table in ("member", "staff", "event", "handoff"):  # ids given: move the counters
            await connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    async with app.db.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    return done


async def signed_in(app: Concierge) -> str:
    """An owner's session token, as the sign-in page would set it."""
    async with app.db.unit_of_work() as uow:
        token = await office.invite(uow, "owner@bench.example", "owner", NOW)
        await office.set_password(uow, token, PASSWORD, NOW)
        session = await office.sign_in(uow, "owner@bench.example", PASSWORD, "bench", NOW)
        await uow.commit()
    return session


class Statements:
    """The SQL the page sends, each with its parameters and time."""

    def __init__(self, app: Concierge) -> None:
        self.seen: list[tuple[str, Any, float]] = []
        engine = app.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        conn.info["figures_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        spent = time.perf_counter() - conn.info.pop("figures_started")
        self.seen.append((statement, parameters, spent))


async def explain(url: str, statement: str, parameters: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as asyncpg ran it ($n parameters)."""
    async with connected(url) as connection:
        await connection.execute("SET jit = off; SET work_mem = '64MB'")  # as the page does
        rows = await connection.fetch(
            f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *tuple(parameters or ())
        )
    return "\n".join(row[0] for row in rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", type=int, default=3, help="how many queries to EXPLAIN")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it)")
    args = parser.parse_args()
    url = args.database_url
    if not args.keep or not await exists(url):
        await recreate_postgres(url.replace("+asyncpg", ""))
        fresh = True
    else:
        fresh = False
    app = bootstrap(Settings(database_url=url), clock=lambda: NOW)
    try:
        await upgrade(app.db, store_zone=app.program.club.timezone)
        filled = []
        if fresh:
            say(f"filling {args.members:,} members and {args.purchases:,} purchases ...")
            filled = await fill(app, args.members, args.purchases)
        session = await signed_in(app)
        web = create_app(app, background=False)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://bench",
            cookies={"office_session": session},
        )  # fmt: skip
        times = []
        statements = Statements(app)
        for run in range(args.runs):
            statements.seen.clear()
            started = time.perf_counter()
            page = await client.get("/office/figures")
            times.append(time.perf_counter() - started)
            assert page.status_code == 200 and page.text.count("<svg ") >= 10, page.status_code
            say(f"  run {run + 1}: {times[-1] * 1000:.0f} ms")
        page_statements = list(statements.seen)
        started = time.perf_counter()
        csv = await client.get("/office/figures/order-value-segment.csv")
        csv_time = time.perf_counter() - started
        await client.aclose()
        heaviest = sorted(page_statements, key=lambda s: -s[2])
        plans = [
            (sql, spent, await explain(url, sql, parameters))
            for sql, parameters, spent in heaviest[: args.plans]
        ]
    finally:
        await app.db.close()
        if not args.keep:
            await drop(url)

    print(f"## Figures page: {args.members:,} members, {args.purchases:,} purchases\n")
    print(machine(app) + "\n")
    print("| table | rows | fill s |\n|---|---:|---:|")
    for name, rows, seconds in filled:
        print(f"| {name} | {rows:,} | {seconds:.1f} |")
    print()
    print("| run | page ms |\n|---|---:|")
    for run, spent in enumerate(times, 1):
        print(f"| {run} | {spent * 1000:.0f} |")
    print(f"| **median** | **{statistics.median(times) * 1000:.0f}** |")
    print(f"\nOne CSV (order values by segment): {csv_time * 1000:.0f} ms, {len(csv.text)} bytes.")
    in_sql = sum(spent for _, _, spent in page_statements)
    print(
        f"\nThe last run's {len(page_statements)} statements took {in_sql * 1000:.0f} ms of its "
        f"{times[-1] * 1000:.0f} ms; the heaviest first (ms):\n"
    )
    for sql, _, spent in heaviest[:8]:
        print(f"- {spent * 1000:.0f}: `{' '.join(sql.split())[:110]}...`")
    for sql, spent, plan in plans:
        print(f"\n{spent * 1000:.0f} ms:\n\n```sql\n{' '.join(sql.split())}\n```\n")
        print(f"```\n{plan}\n```")


async def exists(url: str) -> bool:
    async with connected(url, "postgres") as connection:
        found = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", make_url(url).database
        )
    return bool(found)


async def drop(url: str) -> None:
    """The scratch database, dropped: the bench leaves nothing behind."""
    async with connected(url, "postgres") as connection:
        await connection.execute(
            f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
        )


if __name__ == "__main__":
    asyncio.run(main())
