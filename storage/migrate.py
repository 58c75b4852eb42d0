"""Schema migrations, shipped inside the package so `concierge db upgrade` works anywhere."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None, store_zone: str = "UTC") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["store_zone"] = store_zone  # for dates a migration files (0004)
    return config


async def upgrade(db: Database, revision: str = "head", store_zone: str = "UTC") -> None:
    """Bring the database's schema to `revision` (the newest by default)."""
    async with db.engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(_config(sync, store_zone), revision)
        )


async def behind(db: Database) -> str | None:
    """None when the schema is the newest; else what it is and what to run."""
    async with db.engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if current == head:
        return None
    return (
        f"the database is at revision {current or 'none'}, not {head}: run `concierge db upgrade`"
    )
