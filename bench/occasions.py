"""The day's occasion scan and enqueue at club scale: 1,000,000 members, SQLite or PostgreSQL.

    python -m bench.occasions [--members 1000000] [--date 2026-07-14] [--database-url URL]
                              [--reuse] [--profile FILE]

Issue 5 asks for the scan of one day (who has a birthday or an anniversary, on which
channel) and its enqueue to be timed over a million members, under 10 s on PostgreSQL,
with the selection made by index rather than by walking a table, and the query plan shown.

The members are seeded with bulk Core inserts (one executemany of 10,000 rows a table, one
transaction per 10,000 members), not through the services one by one: that would take
hours and is not what is measured. Everything is generated with a fixed seed:

- members: name, unique phone (+447900000000 + i), locale en, joined over the six years
  before the date, 60% in the club's zone (no zone of their own), the rest in one of five
  others; 90% gave a birthday (day of a leap year, uniform: 29 February included), 40% of
  those with the year;
- their occasion_date rows, from `loyalty.occasions.yearly` as `OccasionDates.refresh`
  files them (birthday, club anniversary in the member's zone);
- consent, source and wording "bench", at the moment they joined: 60% birthday on
  WhatsApp (5% of those withdrawn again a day later), 40% anniversary on WhatsApp;
- a WhatsApp identity each (address = phone), 97% reachable.

Then, for `--date` (a Tuesday in July by default), at 04:05 UTC that day (the hourly
worker's minute), each in a unit of work of its own:

1. `occasions.plan(uow, program, now, day)`, the dry run (`concierge occasions preview`);
2. `plan` + `queue` + commit (`concierge occasions run`): the first enqueue;
3. the same again, which must queue nothing;
4. `plan(uow, program, now)` without a day, as the hourly worker calls it (every date it is
   somewhere on Earth: two (month, day) pairs here).

Each repository call of the scan is timed, and so is every statement in the driver, so the
table says where the time goes. The query plan of the candidate selection is that of the
exact SELECT `OccasionDates.on` sent (captured from the engine, with its parameters):
`EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite.

PostgreSQL: the database in --database-url must have "bench" in its name; it is dropped and
created again (e.g. postgresql://postgres@127.0.0.1/concierge_occbench), and ANALYZEd after
seeding. SQLite (default): a fresh file in a temporary directory, or the file named.
--reuse keeps a database seeded by an earlier run (its outbox and ledger emptied first) to
time the scan again without seeding.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import inspect
import os
import platform
import pstats
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.postgres import connected
from bot.bootstrap import Concierge, bootstrap
from bot.settings import Settings
from loyalty import reach
from loyalty.dates import Birthday
from loyalty.occasions import MemberDates, yearly
from loyalty.program import Program
from services import occasions
from storage import conversations, outbox, repositories
from storage import occasions as occasion_storage
from storage.migrate import upgrade
from storage.models import (
    ChannelIdentity,
    Consent,
    LedgerEntry,
    Member,
    OccasionDate,
    OutboxMessage,
)
from storage.unit_of_work import UnitOfWork

SEED = 20260714
CHUNK = 10_000  # members a transaction while seeding
DEFAULT_DATE = date(2026, 7, 14)
SCAN_AT = clock_time(4, 5)  # UTC: the hourly worker's minute, on the date
JOINED_YEARS = 6
ZONES = ("Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
OWN_ZONE = 0.4  # members with a zone of their own; the others live in the club's
BIRTHDAY_GIVEN = 0.9
BIRTH_YEAR_GIVEN = 0.4
BIRTHDAY_CONSENT = 0.6
BIRTHDAY_WITHDRAWN = 0.05  # of those who agreed
ANNIVERSARY_CONSENT = 0.4
REACHABLE = 0.97
LEAP_DAYS = [date(2000, 1, 1) + timedelta(days=n) for n in range(366)]
DRIVER = "SQL in the driver"  # every statement: execute and fetch
REST = "the rest: Python between the calls (rules, sorting)"
SKIPS = {reach.NO_CONSENT: "no consent", reach.NO_CHAT: "unreachable",
         occasions.QUEUED: "already queued"}  # fmt: skip


# --- seeding ------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What was written, by table, and how long it took."""

    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def member_batch(
    rng: random.Random, first: int, count: int, day: date, store: ZoneInfo
) -> dict[str, list[dict[str, Any]]]:
    """Rows for members `first`..`first + count - 1` (ids from 1), by table.

    One random source consumed in member order, so a run with the same size is the same
    club whatever the chunking.
    """
    start = datetime.combine(day, clock_time(0), UTC) - timedelta(days=365 * JOINED_YEARS)
    span = int(timedelta(days=365 * JOINED_YEARS - 1).total_seconds())
    tables: dict[str, list[dict[str, Any]]] = {
        "member": [],
        "occasion_date": [],
        "consent": [],
        "channel_identity": [],
    }
    for index in range(first, first + count):
        member_id = index + 1
        phone = f"+{447_900_000_000 + index}"
        timezone = rng.choice(ZONES) if rng.random() < OWN_ZONE else None
        zone = ZoneInfo(timezone) if timezone else store
        joined = start + timedelta(seconds=rng.randrange(span))
        birthday = None
        if rng.random() < BIRTHDAY_GIVEN:
            born = rng.choice(LEAP_DAYS)
            year = rng.randint(1950, 2005) if rng.random() < BIRTH_YEAR_GIVEN else None
            if year is not None and (born.month, born.day) == (2, 29):
                year -= year % 4  # a leap year, for 29 February to exist in it
            birthday = Birthday(born.month, born.day, year)
        tables["member"].append(
            {
                "id": member_id, "name": f"Member {index}", "phone": phone, "locale": "en",
                "timezone": timezone, "joined_at": joined,
                "birthday_month": birthday.month if birthday else None,
                "birthday_day": birthday.day if birthday else None,
                "birthday_year": birthday.year if birthday else None,
            }
        )  # fmt: skip
        dates = MemberDates(
            member_id, zone, birthday=birthday, joined=joined.astimezone(zone).date()
        )
        tables["occasion_date"] += [
            {"member_id": member_id, "kind": y.kind, "month": y.month, "day": y.day,
             "since": y.since}
            for y in yearly(dates)
        ]  # fmt: skip
        agreed = joined + timedelta(minutes=1)
        consent = {"member_id": member_id, "channel": "whatsapp", "source": "bench",
                   "wording": "bench"}  # fmt: skip
        if rng.random() < BIRTHDAY_CONSENT:
            tables["consent"].append(consent | {"purpose": "birthday", "granted": True,
                                                "at": agreed})  # fmt: skip
            if rng.random() < BIRTHDAY_WITHDRAWN:
                tables["consent"].append(consent | {"purpose": "birthday", "granted": False,
                                                    "at": agreed + timedelta(days=1)})  # fmt: skip
        if rng.random() < ANNIVERSARY_CONSENT:
            tables["consent"].append(consent | {"purpose": "anniversary", "granted": True,
                                                "at": agreed})  # fmt: skip
        tables["channel_identity"].append(
            {"member_id": member_id, "channel": "whatsapp", "address": phone,
             "reachable": rng.random() < REACHABLE, "language": "en", "created_at": joined}
        )  # fmt: skip
    return tables


async def seed(app: Concierge, members: int, day: date, say: Callable[[str], None]) -> Seeded:
    """Bulk Core inserts, one transaction per CHUNK members; ANALYZE on PostgreSQL."""
    tables = {
        "member": repositories.core_table(Member),
        "occasion_date": repositories.core_table(OccasionDate),
        "consent": repositories.core_table(Consent),
        "channel_identity": repositories.core_table(ChannelIdentity),
    }
    rng = random.Random(SEED)
    seeded = Seeded()
    began = time.perf_counter()
    for first in range(0, members, CHUNK):
        batch = member_batch(rng, first, min(CHUNK, members - first), day, app.program.club.zone)
        async with app.db.engine.begin() as connection:
            for name, rows in batch.items():
                if rows:
                    await connection.execute(insert(tables[name]), rows)
                    seeded.rows[name] += len(rows)
        done = first + len(batch["member"])
        if done % 100_000 == 0 or done == members:
            say(f"  seeded {done:,} members ({time.perf_counter() - began:.0f} s)")
    if not app.db.is_sqlite:
        async with app.db.engine.begin() as connection:
            # ids were given explicitly: the sequence must not hand them out again
            await connection.execute(
                text("SELECT setval(pg_get_serial_sequence('member', 'id'), :top)"),
                {"top": members},
            )
        async with app.db.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    seeded.seconds = time.perf_counter() - began
    return seeded


async def clear_scan_results(app: Concierge) -> None:
    """--reuse: forget what an earlier run queued (messages and birthday gifts)."""
    async with app.db.engine.begin() as connection:
        await connection.execute(delete(repositories.core_table(OutboxMessage)))
        await connection.execute(delete(repositories.core_table(LedgerEntry)))


async def row_counts(app: Concierge) -> dict[str, int]:
    """Rows by table, as counted in the database (also what a --reuse run works on)."""
    counts = {}
    async with app.db.engine.connect() as connection:
        for model in (Member, OccasionDate, Consent, ChannelIdentity):
            table = repositories.core_table(model)
            counts[table.name] = await connection.scalar(select(func.count()).select_from(table))
    return counts


# --- timing the scan ----------------------------------------------------------------------


class Steps:
    """Wall-clock time of each repository call of the scan, and of every SQL statement.

    The repository methods are wrapped on their classes for the whole run (the wrappers
    cost a microsecond a call); `take` returns what was spent since the last take.
    """

    WATCHED: tuple[tuple[type[Any], str], ...] = (
        (occasion_storage.OccasionDates, "on"),
        (repositories.Members, "many"),
        (repositories.Consents, "histories"),
        (conversations.Identities, "of_members"),
        (outbox.Outbox, "existing"),
        (outbox.Outbox, "add_many_once"),
        (repositories.Ledger, "add"),
        (UnitOfWork, "commit"),
    )

    def __init__(self, app: Concierge) -> None:
        self.spent: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.statements: list[tuple[str, Any]] = []  # (SQL, parameters) as the driver got them
        self.found: Counter[str] = Counter()  # size of what each call returned
        for owner, name in self.WATCHED:
            self._wrap(owner, name)
        engine = app.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _wrap(self, owner: type[Any], name: str) -> None:
        original = getattr(owner, name)
        assert inspect.iscoroutinefunction(original), f"{owner.__name__}.{name}"
        label = f"{owner.__name__}.{name}"

        @functools.wraps(original)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = await original(*args, **kwargs)
                if isinstance(result, dict | set | list):
                    self.found[label] += len(result)
                return result
            finally:
                self.spent[label] += time.perf_counter() - started
                self.calls[label] += 1

        setattr(owner, name, timed)

    def _before(
        self, connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        connection.info["bench_started"] = time.perf_counter()
        if len(self.statements) < 5_000:
            self.statements.append((statement, parameters))

    def _after(self, connection: Any, *_: Any) -> None:
        self.spent[DRIVER] += time.perf_counter() - connection.info.pop("bench_started")
        self.calls[DRIVER] += 1

    def take(self) -> tuple[Counter[str], Counter[str], Counter[str], list[tuple[str, Any]]]:
        taken = self.spent, self.calls, self.found, self.statements
        self.spent, self.calls, self.found, self.statements = Counter(), Counter(), Counter(), []
        return taken


@dataclass
class Scan:
    """One timed run of the scan."""

    name: str
    candidates: int = 0  # members with a yearly date on the day's (month, day) pairs
    planned: int = 0  # occasions falling on the day (in each member's zone)
    to_send: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    queued: int | None = None  # None: plan only
    seconds: float = 0.0
    plan_seconds: float = 0.0
    queue_seconds: float = 0.0
    commit_seconds: float = 0.0
    spent: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    statements: list[tuple[str, Any]] = field(default_factory=list)


async def scan(
    name: str,
    app: Concierge,
    steps: Steps,
    now: datetime,
    day: date | None,
    enqueue: bool,
    profile: cProfile.Profile | None = None,
) -> Scan:
    """Time `plan` (and `queue` + commit) in a unit of work of its own."""
    result = Scan(name)
    steps.take()
    if profile is not None:
        profile.enable()
    began = time.perf_counter()
    async with app.db.unit_of_work() as uow:
        planned = await occasions.plan(uow, app.program, now, day)
        result.plan_seconds = time.perf_counter() - began
        if enqueue:
            result.queued = await occasions.queue(uow, app.program, now, planned)
            queued = time.perf_counter()
            result.queue_seconds = queued - began - result.plan_seconds
            await uow.commit()
            result.commit_seconds = time.perf_counter() - queued
    result.seconds = time.perf_counter() - began
    if profile is not None:
        profile.disable()
    result.spent, result.calls, found, result.statements = steps.take()
    result.candidates = found["OccasionDates.on"]
    result.planned = len(planned)
    result.to_send = sum(p.skip is None for p in planned)
    result.skipped = Counter(p.skip for p in planned if p.skip is not None)
    return result


async def query_plan(app: Concierge, statements: list[tuple[str, Any]]) -> tuple[str, str]:
    """The candidate selection as `OccasionDates.on` sent it, and the database's plan of it."""
    sql, parameters = next(
        (s, p) for s, p in statements if "FROM occasion_date" in s and s.startswith("SELECT")
    )
    explain = "EXPLAIN QUERY PLAN " if app.db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    async with app.db.engine.connect() as connection:
        rows = (await connection.exec_driver_sql(explain + sql, parameters)).all()
    lines = [row[-1] if app.db.is_sqlite else row[0] for row in rows]  # SQLite: the detail
    return with_values(sql, parameters, app.db.is_sqlite), "\n".join(lines)


async def access_paths(app: Concierge, statements: list[tuple[str, Any]]) -> list[str]:
    """How each other SELECT of the dry run reaches its rows (plain EXPLAIN): a table walk
    (SQLite "SCAN", PostgreSQL "Seq Scan") anywhere would grow with the club, not the day."""
    explain = "EXPLAIN QUERY PLAN " if app.db.is_sqlite else "EXPLAIN "
    seen: dict[str, tuple[str, Any]] = {}  # one of each, whatever the number of ids
    for sql, parameters in statements:
        if sql.startswith("SELECT") and "FROM occasion_date" not in sql:
            shape = re.sub(r" IN \([^)]*\)", " IN (...)", " ".join(sql.split()))
            seen.setdefault(shape.split(" FROM ", 1)[1], (sql, parameters))
    found = []
    async with app.db.engine.connect() as connection:
        for where, (sql, parameters) in seen.items():
            rows = (await connection.exec_driver_sql(explain + sql, parameters)).all()
            steps = [row[-1] if app.db.is_sqlite else row[0].strip() for row in rows]
            if not app.db.is_sqlite:  # the scan nodes, without their costs
                steps = [line.split("  (")[0].lstrip("-> ") for line in steps if "Scan" in line]
            found.append(f"FROM {where}: {'; '.join(steps)}")
    return found


def with_values(sql: str, parameters: Any, sqlite: bool) -> str:
    """The statement with its parameters written in, for reading (not for running)."""
    shown = " ".join(sql.split())
    if sqlite:
        for value in parameters:
            shown = shown.replace("?", str(value), 1)
        return shown
    for number, value in reversed(list(enumerate(parameters, start=1))):
        shown = shown.replace(f"${number}::SMALLINT", str(value)).replace(f"${number}", str(value))
    return shown


# --- reporting ----------------------------------------------------------------------------


def machine(app: Concierge) -> str:
    """One line on where the figures come from: they compare only on the same machine."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{os.cpu_count()} vCPUs, {cpu}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; database {app.db.url.get_backend_name()}"
    )


def scans_table(scans: list[Scan]) -> str:
    """The runs as a Markdown table, the total in bold: the figure the target is about."""
    lines = [
        "| run | candidates | occasions | to send | skipped | queued | plan s | queue s "
        "| commit s | total s |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scans:
        skipped = ", ".join(f"{SKIPS[why]} {n:,}" for why, n in sorted(s.skipped.items()))
        queued = "–" if s.queued is None else f"{s.queued:,}"
        lines.append(
            f"| {s.name} | {s.candidates:,} | {s.planned:,} | {s.to_send:,} | {skipped} | "
            f"{queued} | {s.plan_seconds:.2f} | {s.queue_seconds:.2f} | "
            f"{s.commit_seconds:.2f} | **{s.seconds:.2f}** |"
        )
    return "\n".join(lines)


def steps_table(s: Scan) -> str:
    """Where one run's time went; "SQL in the driver" is inside the repository calls."""
    lines = [
        f"Where the time of “{s.name}” goes ({s.seconds:.2f} s):",
        "",
        "| step | seconds | calls | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    calls = sorted(
        ((label, t, f"{s.calls[label]:,}") for label, t in s.spent.items() if label != DRIVER),
        key=lambda row: -row[1],
    )
    rest = s.seconds - sum(t for _, t, _ in calls)
    driver = (f"{DRIVER} (inside the calls above)", s.spent[DRIVER], f"{s.calls[DRIVER]:,}")
    for label, seconds, count in [*calls, (REST, rest, ""), driver]:
        lines.append(f"| {label} | {seconds:.3f} | {count} | {seconds / s.seconds:.0%} |")
    return "\n".join(lines)


def print_profile(profile: cProfile.Profile, path: Path, limit: int = 25) -> None:
    """Keep the profile for a closer look, and show its heaviest functions."""
    profile.dump_stats(str(path))
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(limit)


# --- the run ------------------------------------------------------------------------------


async def recreate_postgres(url: str) -> None:
    """Drop and create the benchmark's database: every run seeds an empty one."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to drop the database {name!r}: its name must contain 'bench'")
    async with connected(url, "postgres") as connection:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')


@asynccontextmanager
async def database(url: str | None, reuse: bool) -> AsyncIterator[str]:
    """The URL to run on: given, or a fresh SQLite file in a temporary directory."""
    if url is None:
        if reuse:
            raise SystemExit("--reuse needs --database-url")
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'occasions.db'}"
        return
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        if not reuse and path.exists():
            raise SystemExit(f"{path} exists: remove it, or give --reuse to time it again")
    elif not reuse:
        await recreate_postgres(url)
    yield url


def say(line: str) -> None:
    """Progress on stderr, so that stdout is only the Markdown to paste."""
    print(line, file=sys.stderr, flush=True)


async def main() -> None:
    """Seed (or reuse), time the four runs, explain the selection, print the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--date", type=date.fromisoformat, default=DEFAULT_DATE)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL (a 'bench' database: dropped and created) or a SQLite file; "
        "default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--reuse", action="store_true", help="time again, without seeding")
    parser.add_argument("--profile", type=Path, help="cProfile the first enqueue into FILE")
    args = parser.parse_args()
    day: date = args.date
    now = datetime.combine(day, SCAN_AT, UTC)

    async with database(args.database_url, args.reuse) as url:
        app = bootstrap(Settings(database_url=url), clock=lambda: now)
        program: Program = app.program
        seeded = Seeded()
        if args.reuse:
            await clear_scan_results(app)
        else:
            await upgrade(app.db, store_zone=program.club.timezone)
            say(f"seeding {args.members:,} members ...")
            seeded = await seed(app, args.members, day, say)
        counts = await row_counts(app)
        steps = Steps(app)
        profile = cProfile.Profile() if args.profile else None
        say("timing the scan ...")
        runs = [
            await scan("plan (dry run)", app, steps, now, day, enqueue=False),
            await scan("plan + queue + commit", app, steps, now, day, True, profile),
            await scan("again (must queue 0)", app, steps, now, day, enqueue=True),
            await scan("hourly worker: plan, day not given", app, steps, now, None, False),
        ]
        shown, plan = await query_plan(app, runs[0].statements)
        paths = await access_paths(app, runs[0].statements)
        size = await database_size(app, url)
        await app.db.close()

    print(f"## Occasion scan: {args.members:,} members, {day.isoformat()} (now {now:%H:%M} UTC)")
    print()
    print(machine(app))
    print()
    if not args.reuse:
        per_second = sum(seeded.rows.values()) / seeded.seconds
        print(
            f"Seeded in {seeded.seconds:.0f} s ({per_second:,.0f} rows/s): "
            + ", ".join(f"{name} {count:,}" for name, count in counts.items())
            + f"; database {size / 2**20:,.0f} MiB."
        )
    else:
        print("Reused: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    print()
    print(scans_table(runs))
    print()
    print(steps_table(runs[1]))
    print()
    print(steps_table(runs[0]))
    print()
    print("The candidate selection, as `OccasionDates.on` sent it:")
    print()
    print("```")
    print(shown)
    print("```")
    print()
    print("```")
    print(plan)
    print("```")
    print()
    print(
        "The other SELECTs of the dry run (each run for every 500 ids), as the database runs them:"
    )
    print()
    print("\n".join(f"- {path}" for path in paths))
    walks = [p for p in paths + plan.splitlines() if " SCAN " in f" {p}" or "Seq Scan" in p]
    print(f"\nTable walks in the scan: {'; '.join(walks) or 'none'}.")
    if runs[2].queued != 0:
        print(f"\n**The second run queued {runs[2].queued}: it must queue nothing.**")
    if profile is not None:
        print()
        print_profile(profile, args.profile)


async def database_size(app: Concierge, url: str) -> int:
    """Bytes on disk, to say what "a million members" weighs (SQLite: with its WAL)."""
    if app.db.is_sqlite:
        path = Path(make_url(url).database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    async with app.db.engine.connect() as connection:
        size = await connection.scalar(text("SELECT pg_database_size(current_database())"))
    return int(size or 0)


if __name__ == "__main__":
    asyncio.run(main())
