"""The purchase import, measured: rows per second on SQLite and PostgreSQL, and peak memory.

    python -m bench.import_purchases [--rows 100000 --members 20000 --database both]
                                     [--repeat 3] [--no-trace] [--postgres-custom-plans]
    python -m bench.import_purchases --steps | --profile DIR     (where the time goes)

A CSV of purchases is generated deterministically (seeded) into a temporary directory and
imported, as `concierge import purchases` does, into a fresh database. Every import runs in
a child process of its own, so each one's memory is its own: `--repeat` times untraced
(wall time, rows/s, resident memory; the median is shown) and once under tracemalloc (peak
of Python allocations; several times slower). A second file, a quarter of the rows and
of the members by default, shows whether memory follows the file's size: an import that
streams peaks about the same on both.

The import runs at a fixed clock (ANCHOR) and the purchases fall in the three years before
it, so point expiry, tier reviews and badges do real work. After each import the stored
state (members, purchases, ledger, tiers, badges) is hashed: SQLite and PostgreSQL must
agree, and so must a run before and after a change to the import code.

PostgreSQL: the database named in --postgres-url (default postgresql://postgres@127.0.0.1:
5432/concierge_bench, or $CONCIERGE_BENCH_POSTGRES_URL) is dropped and created again before
each run; its name must contain "bench". --postgres-custom-plans adds a run of the big file
with plan_cache_mode=force_custom_plan set on that database, to show what cached generic
plans cost while the tables grow from empty.

Results go to stdout as a Markdown table, and every run's figures to
bench/out/import_purchases.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import gc
import hashlib
import json
import math
import os
import platform
import pstats
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
ANCHOR = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # the import's clock; purchases precede it
DAYS = 3 * 365
SEED = 20261101
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/concierge_bench"
ROME = ZoneInfo("Europe/Rome")

# Italian mobile prefixes (TIM, Vodafone, WindTre, Iliad, ...): all valid for `phonenumbers`.
MOBILE_PREFIXES = (
    "320",
    "324",
    "327",
    "328",
    "329",
    "330",
    "331",
    "333",
    "334",
    "335",
    "336",
    "337",
    "338",
    "339",
    "340",
    "342",
    "345",
    "346",
    "347",
    "348",
    "349",
    "350",
    "351",
    "366",
    "368",
    "370",
    "371",
    "377",
    "380",
    "388",
    "389",
    "391",
    "392",
    "393",
)
FIRST_NAMES = (
    "Giulia",
    "Francesca",
    "Chiara",
    "Sofia",
    "Aurora",
    "Beatrice",
    "Elena",
    "Alessandra",
    "Martina",
    "Valentina",
    "Marco",
    "Luca",
    "Alessandro",
    "Matteo",
    "Lorenzo",
    "Andrea",
    "Giovanni",
    "Francesco",
    "Davide",
    "Riccardo",
    "Claire",
    "Camille",
    "Emma",
    "Charlotte",
    "Olivia",
    "James",
    "William",
    "Sophie",
    "Hannah",
    "Amelia",
)
LAST_NAMES = (
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
    "Dubois",
    "Laurent",
    "Smith",
    "Taylor",
    "Brown",
)
# category: (weight, lowest and highest price in the purchase's currency)
CATEGORIES: dict[str, tuple[int, float, float]] = {
    "rings": (18, 250, 6000),
    "earrings": (15, 150, 3500),
    "necklaces": (14, 200, 5000),
    "bracelets": (12, 180, 4500),
    "watches": (6, 1500, 18000),
    "engagement": (5, 1800, 15000),
    "wedding": (5, 400, 3500),
    "anniversary": (4, 500, 8000),
    "gift": (8, 60, 1200),
    "repair": (6, 30, 400),
    "resize": (4, 30, 150),
    "bespoke": (3, 2500, 20000),
}
CURRENCIES = {"EUR": 85, "USD": 10, "GBP": 3, "CHF": 2}
STORES = {
    "MI": "Milano Montenapoleone",
    "RM": "Roma Via Condotti",
    "FI": "Firenze Tornabuoni",
    "VE": "Venezia San Marco",
    "WEB": "Online",
}
STORE_WEIGHTS = (35, 25, 15, 10, 15)
REFUND_SHARE = 0.025  # rows that refund an order imported earlier in the file
RESENT_SHARE = 0.005  # rows the till sent twice: the second is unchanged
BORN_REFUNDED = 0.01  # orders whose first row already says refunded: stored, no points
LIMITED_SHARE = 0.06
PARETO_CAP = 80  # the keenest buyers: ~135 purchases in 3 years for 100,000 rows
COLUMNS = (
    "order_id",
    "phone",
    "amount",
    "currency",
    "purchased_at",
    "name",
    "email",
    "category",
    "limited_edition",
    "store",
    "status",
)


# --- the file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a correct import of the generated file reports."""

    rows: int
    members: int
    created: int
    refunded: int
    unchanged: int
    rejected: int = 0


def _phones(rng: random.Random, count: int) -> list[str]:
    """`count` distinct valid Italian mobiles, written the ways a till writes them."""
    import phonenumbers

    seen: set[str] = set()
    written: list[str] = []
    while len(written) < count:
        prefix = rng.choice(MOBILE_PREFIXES)
        rest = f"{rng.randrange(10**7):07d}"
        national = prefix + rest
        if national in seen:
            continue
        if not phonenumbers.is_valid_number(phonenumbers.parse("+39" + national)):
            continue
        seen.add(national)
        style = rng.random()
        if style < 0.70:
            written.append(f"+39 {prefix} {rest[:3]} {rest[3:]}")
        elif style < 0.85:
            written.append(national)  # no country: the club's default (IT)
        elif style < 0.95:
            written.append("+39" + national)
        else:
            written.append(f"0039 {prefix} {rest}")
    return written


def _moment(rng: random.Random, online: bool) -> datetime:
    """A purchase time in the three years before ANCHOR, in opening hours unless online."""
    day = ANCHOR.astimezone(ROME).date() - timedelta(days=rng.randrange(1, DAYS + 1))
    minutes = rng.randrange(24 * 60) if online else 10 * 60 + rng.randrange(9 * 60 + 30)
    local = datetime(day.year, day.month, day.day, tzinfo=ROME) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _written_time(rng: random.Random, moment: datetime) -> str:
    """ISO 8601 three ways: store-local without offset, with the offset, and UTC."""
    style = rng.random()
    local = moment.astimezone(ROME)
    if style < 0.5:
        return local.replace(tzinfo=None).isoformat(timespec="seconds")
    if style < 0.8:
        return local.isoformat(timespec="seconds")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(path: Path, rows: int, members: int, seed: int = SEED) -> Expected:
    """Write `rows` purchase rows for `members` members to `path`, the same for the same seed.

    Every member buys at least once; a few buy much more than most (Pareto, capped). The
    rows are in the order a till exports them (by time); a refund row follows its order by
    1 to 45 days, a resent row by up to 10 days.
    """
    refunds = round(rows * REFUND_SHARE)
    resent = round(rows * RESENT_SHARE)
    orders = rows - refunds - resent
    if orders < members:
        raise ValueError(f"{rows} rows cannot give each of {members} members a purchase")
    rng = random.Random(seed)
    phones = _phones(rng, members)
    people = []
    for phone in phones:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}{rng.randrange(100)}@example.com".lower().replace(" ", "")
        people.append((phone, f"{first} {last}", email if rng.random() < 0.8 else ""))
    weights = [min(rng.paretovariate(1.5), PARETO_CAP) for _ in range(members)]
    buyers = list(range(members))
    rng.shuffle(buyers)
    buyers += rng.choices(range(members), weights=weights, k=orders - members)

    names = list(CATEGORIES)
    category_weights = [CATEGORIES[name][0] for name in names]
    currencies, currency_weights = list(CURRENCIES), list(CURRENCIES.values())
    codes = list(STORES)
    events: list[tuple[datetime, int, dict[str, str]]] = []  # (when it is sent, tie, row)
    paid: list[tuple[datetime, dict[str, str]]] = []
    for number, buyer in enumerate(buyers):
        phone, name, email = people[buyer]
        code = rng.choices(codes, weights=STORE_WEIGHTS)[0]
        category = rng.choices(names, weights=category_weights)[0]
        _, low, high = CATEGORIES[category]
        amount = math.exp(rng.uniform(math.log(low), math.log(high)))
        moment = _moment(rng, code == "WEB")
        born_refunded = rng.random() < BORN_REFUNDED
        row = {
            "order_id": f"{code}-{number + 1:07d}",
            "phone": phone,
            "amount": f"{amount:.2f}" if amount < 1000 else f"{round(amount, -1):.2f}",
            "currency": rng.choices(currencies, weights=currency_weights)[0],
            "purchased_at": _written_time(rng, moment),
            "name": name if rng.random() < 0.9 else "",
            "email": email,
            "category": category.capitalize() if rng.random() < 0.1 else category,
            "limited_edition": "true"
            if category not in ("repair", "resize") and rng.random() < LIMITED_SHARE
            else "",
            "store": STORES[code],
            "status": "refunded" if born_refunded else "paid",
        }
        events.append((moment, len(events), row))
        if not born_refunded:
            paid.append((moment, row))

    refundable = [(m, row) for m, row in paid if m + timedelta(days=46) < ANCHOR]
    for moment, row in rng.sample(refundable, refunds):
        later = moment + timedelta(days=rng.randrange(1, 46), minutes=rng.randrange(600))
        events.append((later, len(events), {**row, "status": "refunded"}))
    for moment, row in rng.sample(paid, resent):
        later = min(moment + timedelta(minutes=rng.randrange(1, 10 * 24 * 60)), ANCHOR)
        events.append((later, len(events), dict(row)))
    events.sort(key=lambda event: (event[0], event[1]))

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row for _, _, row in events)
    return Expected(rows, members, created=orders, refunded=refunds, unchanged=resent)


# --- one import, in a child process -----------------------------------------------------


def _memory_kib(field: str) -> int | None:
    """VmRSS / VmHWM of this process in KiB (Linux), None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+), so the peak is the import's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def _state(app: Any) -> dict[str, Any]:
    """A digest of everything the import stored, keyed by phone and order (not ids)."""
    from sqlalchemy import select

    from storage.models import BadgeAward, LedgerEntry, Member, Purchase, TierStatus

    def money(value: Decimal) -> str:
        return str(Decimal(value).quantize(Decimal("0.01")))

    async with app.db.sessions() as session:
        phones = dict((await session.execute(select(Member.id, Member.phone))).all())
        tables: dict[str, list[tuple[Any, ...]]] = {}
        members = await session.execute(
            select(Member.phone, Member.name, Member.email, Member.joined_at)
        )
        tables["member"] = [(p, n, e, j.isoformat()) for p, n, e, j in members]
        purchases = await session.execute(
            select(
                Purchase.order_id,
                Purchase.member_id,
                Purchase.amount,
                Purchase.currency,
                Purchase.base_amount,
                Purchase.points,
                Purchase.category,
                Purchase.limited_edition,
                Purchase.store,
                Purchase.status,
                Purchase.purchased_at,
            )
        )
        tables["purchase"] = [
            (o, phones[m], money(a), c, money(b), pts, cat, bool(le), s, st, at.isoformat())
            for o, m, a, c, b, pts, cat, le, s, st, at in purchases
        ]
        entries = await session.execute(
            select(
                LedgerEntry.key,
                LedgerEntry.member_id,
                LedgerEntry.kind,
                LedgerEntry.points,
                LedgerEntry.reason,
                LedgerEntry.detail,
                LedgerEntry.occurred_at,
            )
        )
        tables["ledger_entry"] = [
            (k, phones[m], kind, pts, r, json.dumps(d, sort_keys=True), at.isoformat())
            for k, m, kind, pts, r, d, at in entries
        ]
        tiers = await session.execute(
            select(
                TierStatus.member_id,
                TierStatus.tier,
                TierStatus.since,
                TierStatus.review_at,
                TierStatus.invited,
            )
        )
        tables["tier_status"] = [
            (phones[m], t, s.isoformat(), r.isoformat() if r else None, bool(i))
            for m, t, s, r, i in tiers
        ]
        badges = await session.execute(
            select(BadgeAward.member_id, BadgeAward.badge, BadgeAward.awarded_at)
        )
        tables["badge_award"] = [(phones[m], b, at.isoformat()) for m, b, at in badges]

    digest = hashlib.sha256()
    for name, rows in tables.items():
        digest.update(name.encode())
        for row in sorted(rows, key=repr):
            digest.update(repr(row).encode())
    ledger = tables["ledger_entry"]
    return {
        "digest": digest.hexdigest(),
        "counts": {name: len(rows) for name, rows in tables.items()},
        "ledger": dict(sorted(Counter(row[2] for row in ledger).items())),
        "points_balance": sum(row[3] for row in ledger),
        "tiers": dict(sorted(Counter(row[1] for row in tables["tier_status"]).items())),
        "badges": dict(sorted(Counter(row[1] for row in tables["badge_award"]).items())),
        "refunded_purchases": sum(1 for row in tables["purchase"] if row[9] == "refunded"),
    }


def _time_steps(app: Any) -> dict[str, list[float]]:
    """Wrap the import's steps in wall-clock timers: {step: [seconds, calls]}.

    A diagnosis (--steps), cheaper to read than cProfile through asyncio and greenlets.
    Repository calls may nest: Members.add_many includes an ids_by_phone.
    """
    import functools
    import inspect

    from sqlalchemy import event

    import bot.importer
    import loyalty.account
    import loyalty.purchases
    import services.purchases
    from storage import accounts, occasions, repositories
    from storage.unit_of_work import UnitOfWork

    spent: dict[str, list[float]] = {}

    def timed(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        slot = spent.setdefault(label, [0.0, 0])
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    slot[0] += time.perf_counter() - started
                    slot[1] += 1

            setattr(owner, name, wrapper)
            return

        @functools.wraps(original)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                slot[0] += time.perf_counter() - started
                slot[1] += 1

        setattr(owner, name, sync_wrapper)

    timed(bot.importer, "parse_purchase", "parse a row (parse_purchase)")
    timed(loyalty.purchases, "normalize_phone", "  of which normalize_phone")
    for repository in (
        repositories.Members,
        repositories.Purchases,
        repositories.Ledger,
        accounts.Accounts,
        occasions.OccasionDates,
        repositories.Tiers,
        repositories.Badges,
    ):
        for name, value in list(vars(repository).items()):
            if inspect.iscoroutinefunction(value) and not name.startswith("_"):
                timed(repository, name, f"storage: {repository.__name__}.{name}")
    timed(UnitOfWork, "commit", "storage: commit")
    timed(loyalty.account, "settle", "rules: settle (expiry, tier, badges)")
    timed(services.purchases, "reversal", "rules: reversal")
    driver = spent.setdefault("all statements in the driver (execute + fetch)", [0.0, 0])

    @event.listens_for(app.db.engine.sync_engine, "before_cursor_execute")
    def _before(connection: Any, *_: Any) -> None:
        connection.info["bench_started"] = time.perf_counter()

    @event.listens_for(app.db.engine.sync_engine, "after_cursor_execute")
    def _after(connection: Any, *_: Any) -> None:
        driver[0] += time.perf_counter() - connection.info.pop("bench_started")
        driver[1] += 1

    return spent


async def _import_once(
    url: str, path: Path, batch_size: int, trace: bool, profile: Path | None, steps: bool
) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.importer import import_purchases
    from bot.settings import Settings
    from storage.migrate import upgrade

    app = bootstrap(Settings(database_url=url, program=None), clock=lambda: ANCHOR)
    await upgrade(app.db)
    rejects: list[str] = []

    def reject(line: int, reason: str) -> None:
        rejects.append(f"line {line}: {reason}")

    spent = _time_steps(app) if steps else None
    gc.collect()
    rss_start = _memory_kib("VmRSS")
    peak_reset = _reset_peak_rss()
    maxrss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profiler = cProfile.Profile() if profile else None
    if trace:
        tracemalloc.start()
    if profiler:
        profiler.enable()
    cpu_start, started = time.process_time(), time.perf_counter()
    report = await import_purchases(app, path, reject, batch_size=batch_size)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_start
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)  # type: ignore[arg-type]
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    tracemalloc.stop()
    rss_peak = _memory_kib("VmHWM") if peak_reset else None
    maxrss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    state = await _state(app)
    await app.db.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "report": asdict(report),
        "rejects": rejects[:5],
        "rss_start_kib": rss_start,
        "rss_peak_kib": rss_peak if rss_peak is not None else maxrss_end,
        "rss_peak_is_own": peak_reset,
        "maxrss_growth_kib": maxrss_end - maxrss_start,
        "traced_peak_bytes": traced_peak,
        "steps": spent,
        **state,
    }


# --- the runs, from the parent process --------------------------------------------------


def _postgres_admin(url: str) -> tuple[dict[str, Any], str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to drop the database {name!r}: its name must contain 'bench'")
    connect = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": parsed.username or "postgres",
        "password": parsed.password,
        "database": "postgres",
    }
    return connect, name


def recreate_postgres(url: str, custom_plans: bool = False) -> None:
    """Drop and create the benchmark's PostgreSQL database: every run starts empty.

    `custom_plans` sets plan_cache_mode=force_custom_plan on that database (a diagnosis:
    see "PostgreSQL and cached plans" in docs/benchmarks.md).
    """
    import asyncpg

    connect, name = _postgres_admin(url)

    async def work() -> None:
        connection = await asyncpg.connect(**connect)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
            if custom_plans:
                await connection.execute(
                    f'ALTER DATABASE "{name}" SET plan_cache_mode = force_custom_plan'
                )
        finally:
            await connection.close()

    asyncio.run(work())


def _postgres_facts(url: str) -> str:
    import asyncpg

    connect, _ = _postgres_admin(url)

    async def work() -> str:
        connection = await asyncpg.connect(**connect)
        try:
            version = await connection.fetchval("SHOW server_version")
            autovacuum = await connection.fetchval("SHOW autovacuum")
            return f"{version} (autovacuum {autovacuum})"
        finally:
            await connection.close()

    return asyncio.run(work())


@dataclass(frozen=True)
class Run:
    database: str  # sqlite | postgresql
    csv: Path
    expected: Expected
    trace: bool = False
    custom_plans: bool = False

    @property
    def label(self) -> str:
        return self.database + (", custom plans" if self.custom_plans else "")


def run_child(
    run: Run,
    workdir: Path,
    postgres_url: str,
    batch_size: int,
    profile: Path | None = None,
    steps: bool = False,
) -> dict[str, Any]:
    """One import in a fresh process on a fresh database; its figures as a dict."""
    if run.database == "sqlite":
        db_file = workdir / f"{run.csv.stem}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{db_file}"
    else:
        recreate_postgres(postgres_url, run.custom_plans)
        url = postgres_url
    command = [sys.executable, "-m", "bench.import_purchases", "--child", str(run.csv)]
    command += ["--database-url", url, "--batch-size", str(batch_size)]
    if run.trace:
        command.append("--trace")
    if profile:
        command += ["--profile-to", str(profile)]
    if steps:
        command.append("--steps")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {run.label} import of {run.csv.name} failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = run.expected.rows / result["wall_s"]
    if result["rss_start_kib"] is not None and result["rss_peak_is_own"]:
        result["rss_growth_kib"] = result["rss_peak_kib"] - result["rss_start_kib"]
    else:
        result["rss_growth_kib"] = result["maxrss_growth_kib"]
    result["as_expected"] = result["report"] == {
        "created": run.expected.created,
        "refunded": run.expected.refunded,
        "unchanged": run.expected.unchanged,
        "rejected": run.expected.rejected,
    }
    return result


@dataclass
class Measured:
    """The runs of one file on one database: timed ones, and the one under tracemalloc."""

    run: Run
    file_bytes: int
    timed: list[dict[str, Any]]
    traced: dict[str, Any] | None = None

    def median(self, key: str) -> float:
        return statistics.median(result[key] for result in self.timed)

    @property
    def consistent(self) -> bool:
        """Every run reported what the file holds and stored the same state."""
        results = self.timed + ([self.traced] if self.traced else [])
        return all(r["as_expected"] for r in results) and len({r["digest"] for r in results}) == 1


def _mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def machine(postgres_url: str | None) -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlalchemy

    info = {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "os": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
    }
    if postgres_url:
        info["postgresql"] = _postgres_facts(postgres_url)
    return info


def table(measured: list[Measured]) -> str:
    lines = [
        "| database | rows | members | file MiB | wall s | rows/s | rows/s range "
        "| RSS growth MiB | peak RSS MiB | tracemalloc peak MiB | outcomes and state |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in measured:
        rates = [r["rows_per_s"] for r in m.timed]
        traced = f"{m.traced['traced_peak_bytes'] / 2**20:.1f}" if m.traced else "not run"
        lines.append(
            f"| {m.run.label} | {m.run.expected.rows:,} | {m.run.expected.members:,} "
            f"| {m.file_bytes / 2**20:.1f} | {m.median('wall_s'):.1f} "
            f"| {m.median('rows_per_s'):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} "
            f"| {_mib(m.median('rss_growth_kib'))} | {_mib(m.median('rss_peak_kib'))} "
            f"| {traced} | {'as expected' if m.consistent else 'MISMATCH'} |"
        )
    return "\n".join(lines)


def findings(measured: list[Measured], rows: int) -> list[str]:
    """What the table says: memory against file size, the databases' agreement, the rules."""
    lines = []
    labels = list(dict.fromkeys(m.run.label for m in measured))
    for label in labels:
        mine = sorted(
            (m for m in measured if m.run.label == label), key=lambda m: m.run.expected.rows
        )
        if len(mine) < 2:
            continue
        small, big = mine[0], mine[-1]
        size = big.file_bytes / small.file_bytes
        parts = [f"{label}: the file is {size:.1f}x bigger"]
        if small.traced and big.traced:
            a, b = small.traced["traced_peak_bytes"], big.traced["traced_peak_bytes"]
            parts.append(f"tracemalloc peak {a / 2**20:.1f} -> {b / 2**20:.1f} MiB ({b / a:.2f}x)")
        a, b = small.median("rss_growth_kib"), big.median("rss_growth_kib")
        parts.append(f"RSS growth {_mib(a)} -> {_mib(b)} MiB ({b / a:.2f}x)")
        lines.append("; ".join(parts))
    for m in measured:
        if m.run.expected.rows != rows or m.run.custom_plans:
            continue
        r = m.timed[0]
        lines.append(
            f"{m.run.label}, {rows:,} rows: report {r['report']}; stored {r['counts']}; "
            f"ledger {r['ledger']}, balance {r['points_balance']:,}; tiers {r['tiers']}; "
            f"badges {r['badges']}; purchases stored as refunded {r['refunded_purchases']:,}; "
            f"state digest {r['digest'][:16]}"
        )
    by_rows: dict[int, set[str]] = {}
    for m in measured:
        by_rows.setdefault(m.run.expected.rows, set()).update(r["digest"] for r in m.timed)
    for count, digests in by_rows.items():
        if len({m.run.database for m in measured if m.run.expected.rows == count}) > 1:
            same = "the same state" if len(digests) == 1 else "DIFFERENT states"
            lines.append(f"{count:,} rows: SQLite and PostgreSQL stored {same}")
    return lines


def steps_table(result: dict[str, Any]) -> str:
    """The timed steps: parsing, then storage and rules by time spent, then the driver."""
    wall, steps = result["wall_s"], result["steps"]

    def by_time(prefix: str) -> list[str]:
        found = [label for label in steps if label.startswith(prefix) and steps[label][1]]
        return sorted(found, key=lambda label: -steps[label][0])

    order = [label for label in steps if label.startswith(("parse", "  of which"))]
    order += by_time("storage:") + by_time("rules:") + by_time("all statements")
    lines = ["| step | seconds | calls | share of the wall time |", "|---|---:|---:|---:|"]
    for label in order:
        seconds, calls = steps[label]
        if label.startswith("all statements"):
            label += ", inside the storage steps above"
        lines.append(f"| {label} | {seconds:.2f} | {calls:,} | {seconds / wall:.0%} |")
    lines.append(f"| **the import, wall** | {wall:.2f} | | 100% |")
    return "\n".join(lines)


def _print_profile(path: Path, limit: int = 30) -> None:
    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_purchases",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument(
        "--small-rows",
        type=int,
        default=None,
        help="rows of the second file (members in proportion); default rows/4, 0: none",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CONCIERGE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="dropped and re-created before each run; its name must contain 'bench'",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per file (median)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the importer's")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--no-trace", action="store_true", help="skip the tracemalloc runs (half the time)"
    )
    parser.add_argument(
        "--postgres-custom-plans",
        action="store_true",
        help="also import the big file into PostgreSQL with plan_cache_mode=force_custom_plan",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="instead of measuring: one cProfile'd import per database into DIR, top printed",
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="instead of measuring: one import per database with its steps timed",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the files there")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.batch_size is None:
        from bot.importer import BATCH

        args.batch_size = BATCH
    if args.child:
        result = asyncio.run(
            _import_once(
                args.database_url,
                args.child,
                args.batch_size,
                args.trace,
                args.profile_to,
                args.steps,
            )
        )
        print(json.dumps(result))
        return

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    small_rows = args.rows // 4 if args.small_rows is None else args.small_rows
    sizes = [(args.rows, args.members)]
    if small_rows:
        sizes.append((small_rows, max(1, round(args.members * small_rows / args.rows))))

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="concierge-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        files: list[tuple[Path, Expected]] = []
        for rows, members in sizes:
            path = workdir / f"purchases-{rows}.csv"
            started = time.perf_counter()
            expected = generate(path, rows, members, args.seed)
            say(
                f"generated {path.name}: {rows:,} rows, {members:,} members, "
                f"{path.stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - started:.1f}s"
            )
            files.append((path, expected))

        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            path, expected = files[0]
            for database in databases:
                target = args.profile.resolve() / f"{database}.prof"
                run = Run(database, path, expected)
                res = run_child(run, workdir, args.postgres_url, args.batch_size, target)
                print(f"## {database}: {res['rows_per_s']:,.0f} rows/s under cProfile")
                _print_profile(target)
            return

        if args.steps:
            path, expected = files[0]
            for database in databases:
                run = Run(database, path, expected)
                res = run_child(run, workdir, args.postgres_url, args.batch_size, steps=True)
                print(f"\n{database}, {expected.rows:,} rows: {res['rows_per_s']:,.0f} rows/s\n")
                print(steps_table(res))
            return

        info = machine(args.postgres_url if "postgresql" in databases else None)
        plan: list[Run] = [Run(db, path, exp) for db in databases for path, exp in files]
        if args.postgres_custom_plans and "postgresql" in databases:
            path, exp = files[0]
            plan.insert(
                len(plan) - (len(files) - 1), Run("postgresql", path, exp, custom_plans=True)
            )
        measured: list[Measured] = []
        for run in plan:
            m = Measured(run, run.csv.stat().st_size, [])
            traced = not args.no_trace and not run.custom_plans
            for attempt in range(args.repeat + traced):
                trace = attempt == args.repeat
                say(
                    f"importing {run.csv.name} into {run.label}"
                    f"{' under tracemalloc' if trace else f' ({attempt + 1}/{args.repeat})'}"
                )
                res = run_child(
                    replace(run, trace=trace), workdir, args.postgres_url, args.batch_size
                )
                say(
                    f"  {res['wall_s']:.1f}s, {res['rows_per_s']:,.0f} rows/s, "
                    f"report {res['report']}, digest {res['digest'][:12]}"
                )
                if trace:
                    m.traced = res
                else:
                    m.timed.append(res)
            measured.append(m)

    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(
        f"batch size {args.batch_size}, seed {args.seed}, clock {ANCHOR.isoformat()}, "
        f"{args.repeat} timed run(s) per line (median)"
    )
    print()
    print(table(measured))
    print()
    for line in findings(measured, args.rows):
        print(f"- {line}")
    OUT.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": info,
        "argv": sys.argv[1:] if argv is None else argv,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "measured": [
            {
                "database": m.run.label,
                "rows": m.run.expected.rows,
                "members": m.run.expected.members,
                "file_bytes": m.file_bytes,
                "timed": m.timed,
                "traced": m.traced,
            }
            for m in measured
        ],
    }
    (OUT / "import_purchases.json").write_text(json.dumps(record, indent=2))
    print(f"\n(every run's figures: {OUT.relative_to(ROOT) / 'import_purchases.json'})")


if __name__ == "__main__":
    main()
