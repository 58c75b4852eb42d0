"""The migrations build exactly the schema the models describe, and re-running is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.database import Database
from storage.migrate import upgrade
from storage.models import Base


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    await upgrade(database)  # already at head: nothing to do, nothing fails

    def differences(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with database.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []
