"""Shared fixtures: the demo program, a fixed clock, and real databases.

Storage tests run on a real SQLite file and, when CONCIERGE_TEST_POSTGRES_URL is set,
on PostgreSQL too (the `database` fixture is parametrized over both).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.bootstrap import Concierge
from bot.settings import Settings, load_program
from loyalty.program import Program
from storage.database import Database
from storage.migrate import upgrade
from storage.models import Base

POSTGRES_URL = os.environ.get("CONCIERGE_TEST_POSTGRES_URL")
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


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    assert POSTGRES_URL is not None

    async def reset() -> None:
        db = Database(POSTGRES_URL)
        async with db.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await db.close()
        await _migrate(POSTGRES_URL)

    _run_apart(reset())
    yield POSTGRES_URL


# Every table emptied and every id counter back to 1, in one round trip (TRUNCATE … RESTART
# IDENTITY took about 150 ms a test).
EMPTY_POSTGRES = (
    "DO $$ DECLARE s record; BEGIN "
    + " ".join(f"DELETE FROM {t.name};" for t in reversed(Base.metadata.sorted_tables))
    + " FOR s IN SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = "
    "'public'::regnamespace LOOP EXECUTE format('ALTER SEQUENCE %I RESTART', s.relname); "
    "END LOOP; END $$"
)


def _backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    backends.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                POSTGRES_URL is None, reason="CONCIERGE_TEST_POSTGRES_URL is not set"
            ),
        )
    )
    return backends


@pytest.fixture(params=_backends())
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: a fresh SQLite file, or PostgreSQL with its tables emptied."""
    if request.param == "sqlite":
        path = tmp_path / "concierge.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("postgres_migrated"))
        async with db.engine.begin() as connection:
            await connection.execute(text(EMPTY_POSTGRES))
    yield db
    await db.close()


@pytest.fixture
def concierge(database: Database, program: Program, clock: Clock) -> Concierge:
    settings = Settings(database_url=str(database.url.render_as_string(hide_password=False)))
    return Concierge(settings, program, database, clock, clock.sleep, clock.monotonic)
