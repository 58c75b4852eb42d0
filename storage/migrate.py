"""Schema migrations, shipped inside the package so `concierge db upgrade` works anywhere."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE = "run `concierge db upgrade`"


def _config(connection: Connection | None = None, store_zone: str = "UTC") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["store_zone"] = store_zone  # for dates a migration files (0004)
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """Read once per process: every command checks the schema before its work."""
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision this code knows."""
    newest = _scripts().get_current_head()
    assert newest is not None  # the migrations are shipped with the package
    return newest


async def revision(db: Database) -> str | None:
    """The revision the database is at; None when it has no schema yet."""
    async with db.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


@dataclass(frozen=True)
class Upgraded:
    before: str | None  # None: the tables were created
    after: str


async def upgrade(db: Database, revision: str = "head", store_zone: str = "UTC") -> Upgraded:
    """Bring the database's schema to `revision` (the newest by default); where it was."""
    async with db.engine.begin() as connection:

        def migrate(sync: Connection) -> Upgraded:
            before = MigrationContext.configure(sync).get_current_revision()
            command.upgrade(_config(sync, store_zone), revision)
            return Upgraded(before, MigrationContext.configure(sync).get_current_revision() or "")

        return await connection.run_sync(migrate)


async def behind(db: Database) -> str | None:
    """None when the schema is the newest; else what it is and what to run."""
    current, newest = await revision(db), head()
    if current == newest:
        return None
    if current is None:
        return f"the database has no tables yet: {UPGRADE}"
    if _scripts().get_revision(current) is None:  # written by a newer Concierge
        return f"the database is at revision {current}, newer than this code ({newest})"
    return f"the database is at revision {current}, not {newest}: {UPGRADE}"
