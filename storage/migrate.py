"""Schema migrations, shipped inside the package so `concierge db upgrade` works anywhere."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
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
