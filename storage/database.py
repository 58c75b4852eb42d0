"""The engine and sessions: nothing connects until a Database is opened."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.direct import READS_ALONE
from storage.unit_of_work import Reading, UnitOfWork

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def database_url(raw: str) -> URL:
    """The async URL for `raw`; plain ``sqlite:`` / ``postgres(ql):`` get the async driver.

    Raises ValueError naming what is wrong.
    """
    try:
        url = make_url(raw.replace("postgres://", "postgresql://", 1))
    except ArgumentError:
        raise ValueError("not a database URL (e.g. sqlite+aiosqlite:///./concierge.db)") from None
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return url.set(drivername=_ASYNC_DRIVERS[backend])


def _sqlite_connections(engine: AsyncEngine, *settings: str) -> None:
    """SQLite: each connection in the write-ahead log's mode, SQLAlchemy issuing no BEGIN of
    its own, with our `settings`."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves (or none)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten: see scrub
        for setting in settings:
            cursor.execute(setting)
        cursor.close()


def _sqlite_writes_serialized(engine: AsyncEngine) -> None:
    """SQLite: every transaction begins IMMEDIATE, so concurrent writers queue, never race."""
    _sqlite_connections(engine)

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One per process: an engine, a session factory, units of work on demand; a second
    engine for reads alone (`reading`)."""

    def __init__(self, url: str | URL, **engine_options: Any) -> None:
        self.url = database_url(str(url)) if isinstance(url, str) else url
        # Sessions and connections here always end their transaction before closing, so the
        # pool's own reset (one more round trip per checkout) is not needed. A database error
        # never shows its parameters: they are phone numbers, names, messages, keys.
        options: dict[str, Any] = {"pool_reset_on_return": None, "hide_parameters": True}
        if self.url.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": 30}
        else:
            options["pool_pre_ping"] = True
        options.update(engine_options)
        self.engine = create_async_engine(self.url, **options)
        # Its own pool: a connection that reads in autocommit and can write nothing (a write
        # by mistake fails in the database, it is never committed on its own). No BEGIN, no
        # ROLLBACK: SQLite takes no write lock, PostgreSQL makes no extra round trips.
        reads = {**options, "isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
        if not self.is_sqlite:
            server = {**options.get("connect_args", {}).get("server_settings", {}),
                      "default_transaction_read_only": "on"}  # fmt: skip
            reads["connect_args"] = {**options.get("connect_args", {}), "server_settings": server}
        self.reader = create_async_engine(self.url, **reads)
        if self.is_sqlite:
            _sqlite_writes_serialized(self.engine)
            _sqlite_connections(self.reader, "PRAGMA query_only=ON")
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.reading_sessions = async_sessionmaker(
            self.reader, autoflush=False, info={READS_ALONE: True}
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def unit_of_work(self, bulk: bool = False) -> UnitOfWork:
        """`bulk`: a bulk writer's (the import's). PostgreSQL plans each statement for its own
        values and compiles none; SQLite copies its log into the database less often (see
        UnitOfWork)."""
        return UnitOfWork(self.sessions, bulk, self.is_sqlite)

    def reading(self) -> Reading:
        """A unit of work that only reads, each statement seeing what is committed when it
        runs (no snapshot across statements), holding no lock a writer waits for: for a
        question asked of every message, answered in one statement."""
        return Reading(self.reading_sessions)

    async def scrub(self) -> bool:
        """Leave nothing of what was just deleted readable in the files (after an erasure).

        SQLite overwrites deleted content with zeros (secure_delete, on every connection);
        the checkpoint copies the write-ahead log into the database and empties it, so the
        log keeps no older copy of a page. False when a reader held it back past the busy
        timeout (the last connection to close empties the log). PostgreSQL keeps deleted
        rows as dead tuples until autovacuum reuses their space: nothing to do here (see the
        README).
        """
        if not self.is_sqlite:
            return True
        async with self.engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None  # a connection just taken is not invalidated
            # outside any transaction (ours would hold the log): the driver's own connection
            cursor = await raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _, _ = await cursor.fetchone()
            await cursor.close()
        return busy == 0

    def open_file(self) -> None:
        """SQLite: open the file as every connection will (WAL), here on this thread; a file
        that cannot be opened or written raises sqlite3.Error now, not in aiosqlite's thread,
        whose failed connection answers a loop that may be closed by then."""
        if not self.is_sqlite or self.url.database in (None, "", ":memory:"):
            return
        with contextlib.closing(sqlite3.connect(self.url.database, timeout=30)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    @asynccontextmanager
    async def only_one(self, name: str) -> AsyncIterator[bool]:
        """Hold a lock no other process can hold at once (PostgreSQL advisory lock, kept
        for the block's lifetime); False when someone holds it. SQLite: one host, True."""
        if self.is_sqlite:
            yield True
            return
        async with self.engine.connect() as connection:
            held = await connection.scalar(
                text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": name}
            )
            await connection.commit()
            try:
                yield bool(held)
            finally:
                if held:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": name}
                    )
                    await connection.commit()

    async def close(self) -> None:
        await self.reader.dispose()
        await self.engine.dispose()
