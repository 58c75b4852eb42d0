"""Shared fixtures: the demo program, a fixed clock, and real databases.

Storage tests run on a real SQLite file and, when CONCIERGE_TEST_POSTGRES_URL names a
server, on PostgreSQL too, in a database of their own (the `database` fixture is
parametrized over both).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import sys
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.bootstrap import Concierge
from bot.logs import CHATTY, PAYLOAD_LEVELS, MaskingFormatter
from bot.settings import Settings, load_program
from loyalty.program import Program
from storage.database import Database
from storage.migrate import upgrade
from storage.models import Base

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def program() -> Program:
    return load_program(None)


@pytest.fixture
def now() -> datetime:
    return NOW


class Clock:
    """A clock the test moves by hand; a pause moves it (and counts), never sleeps."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self.elapsed = 0.0  # monotonic seconds
        self.pauses: list[float] = []

    def __call__(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.elapsed += seconds
        self.current += timedelta(seconds=seconds)
        await asyncio.sleep(0)  # others may run, as in a real pause

    def monotonic(self) -> float:
        return self.elapsed


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def _run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run session set-up on its own loop: it may be first needed inside a test's loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _run_apart(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


class ScratchPostgres:
    """A database of the suite's own on the server CONCIERGE_TEST_POSTGRES_URL names: created
    (with a random name) on first use, migrated, dropped when the run ends. The database the
    URL names is only connected to, never written. `skipped` says why there is none."""

    def __init__(self, url: str | None) -> None:
        self.server = make_url(url) if url else None
        self.url: str | None = None
        self.dropped: str | None = None
        self.skipped: str | None = None if url else "CONCIERGE_TEST_POSTGRES_URL is not set"

    def _admin(self) -> Database:
        assert self.server is not None
        return Database(self.server, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5})

    async def _create(self) -> None:
        assert self.server is not None
        name = f"concierge_test_{secrets.token_hex(4)}"
        admin = self._admin()
        try:
            async with admin.engine.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
                # a scratch database need not outlive a crash of the server: a commit does
                # not wait for its log to reach the disk (for this database only)
                await connection.execute(
                    text(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
                )
        finally:
            await admin.close()
        self.url = self.server.set(database=name).render_as_string(hide_password=False)
        await _migrate(self.url)

    def create(self) -> str:
        """The scratch database's URL; pytest.skip (for every PostgreSQL test) without one."""
        if self.url is None and self.skipped is None:
            try:
                _run_apart(self._create())
            except Exception as exc:  # refused, unreachable, no CREATEDB: say it once
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
                self.skipped = f"{type(exc).__name__}: {reason[0] if reason else ''}"
        if self.skipped is not None:
            pytest.skip(f"PostgreSQL tests skipped: {self.skipped}")
        assert self.url is not None
        return self.url

    def drop(self) -> None:
        if self.url is None:
            return
        name = make_url(self.url).database

        async def drop() -> None:
            admin = self._admin()
            try:
                async with admin.engine.connect() as connection:
                    await connection.execute(
                        text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    )
            finally:
                await admin.close()

        _run_apart(drop())
        self.dropped = name

    def summary(self) -> str | None:
        """The line said after the results: why there was no database, or which it was."""
        if self.skipped is not None:
            return f"PostgreSQL tests skipped: {self.skipped}"
        if self.dropped is not None:
            return f"PostgreSQL tests ran in database {self.dropped}, dropped"
        return None


SCRATCH = ScratchPostgres(os.environ.get("CONCIERGE_TEST_POSTGRES_URL"))
WORKERS_SAID: list[str] = []  # each worker's line, when the suite runs on several (xdist)


def pytest_sessionfinish(session: pytest.Session) -> None:
    SCRATCH.drop()
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # a worker: each has its own database; the controller says it
        output["postgres"] = SCRATCH.summary()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    said = getattr(node, "workeroutput", {}).get("postgres")
    if said:
        WORKERS_SAID.append(said)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in dict.fromkeys(WORKERS_SAID or filter(None, [SCRATCH.summary()])):
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    """The URL of the run's own migrated PostgreSQL database (or the test is skipped)."""
    return SCRATCH.create()


# Every table emptied and every id counter back to 1, in one round trip (TRUNCATE … RESTART
# IDENTITY took about 150 ms a test; ALTER SEQUENCE … RESTART, one by one, 18 ms; setval 2).
# Sent as one simple query, by the driver itself: a prepared statement holds only one, and a
# DO block is compiled by PL/pgSQL again each time (twice the time).
EMPTY_POSTGRES = (
    " ".join(f"DELETE FROM {t.name};" for t in reversed(Base.metadata.sorted_tables))
    + " SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S' AND relnamespace = "
    "'public'::regnamespace"
)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: a fresh SQLite file, or PostgreSQL with its tables emptied."""
    if request.param == "sqlite":
        path = tmp_path / "concierge.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        db = SHARED_POSTGRES.get(request.getfixturevalue("postgres_migrated"))
        async with db.engine.begin() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute(EMPTY_POSTGRES)
        yield db
        return
    yield db
    await db.close()


class SharedPostgres:
    """One engine on the run's PostgreSQL database for all its tests (they share the run's
    event loop): its connections are made once, not for every test (~15 ms each).

    Without the pool's pre-ping: asyncpg's ping is three round trips (BEGIN, an empty
    statement, ROLLBACK) each time a connection is taken, about a fifth of the round trips of
    the PostgreSQL cases; it guards against a server that dropped an idle connection, which
    the run's own scratch server does not do. Engines the code under test makes itself (the
    CLI, `serve`) keep it, as in production."""

    def __init__(self) -> None:
        self.db: Database | None = None

    def get(self, url: str) -> Database:
        if self.db is None:
            self.db = Database(url, pool_pre_ping=False)
        return self.db


SHARED_POSTGRES = SharedPostgres()


@pytest.fixture(scope="session", autouse=True)
async def _close_shared_postgres() -> AsyncIterator[None]:
    yield
    if SHARED_POSTGRES.db is not None:
        await SHARED_POSTGRES.db.close()


@pytest.fixture
def concierge(database: Database, program: Program, clock: Clock) -> Concierge:
    settings = Settings(database_url=str(database.url.render_as_string(hide_password=False)))
    return Concierge(settings, program, database, clock, clock.sleep, clock.monotonic)


@pytest.fixture
def logging_kept() -> Iterator[None]:
    """What `bot.logs.configure` changes in the process, put back after the test: the
    levels, its handler, the hook for uncaught errors."""
    names = ["", *PAYLOAD_LEVELS, *CHATTY]
    levels = {name: logging.getLogger(name).level for name in names}
    hook = sys.excepthook
    yield
    sys.excepthook = hook
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if isinstance(handler.formatter, MaskingFormatter):
            root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
