"""The migrations build exactly the schema the models describe, and re-running is harmless."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

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


async def test_migration_0004_files_the_dates_of_members_already_there(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(db, "0003")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO member (id, name, joined_at, birthday_month, birthday_day, "
                    "timezone) VALUES (1, 'Giulia', '2024-03-01 23:30:00', 2, 29, NULL), "
                    "(2, 'Erased', '2024-03-01 10:00:00', 5, 5, NULL)"
                )
            )
            await connection.execute(text("UPDATE member SET erased_at = joined_at WHERE id = 2"))
            await connection.execute(
                text(
                    'INSERT INTO anniversary (member_id, kind, "on") '
                    "VALUES (1, 'wedding', '2010-09-18')"
                )
            )
        await upgrade(db, store_zone="Europe/Rome")
        async with db.engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT member_id, kind, month, day FROM occasion_date ORDER BY kind")
                )
            ).all()
    finally:
        await db.close()
    assert [tuple(r) for r in rows] == [
        (1, "birthday", 2, 29),
        (1, "club_anniversary", 3, 2),  # 23:30 UTC is already the 2nd in Rome
        (1, "wedding", 9, 18),
    ]


async def test_migration_0006_closes_requests_made_before_there_was_a_staff_group(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(db, "0005")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO handoff (channel, address, status, requested_at) "
                    "VALUES ('telegram', '4242', 'open', '2026-11-01 10:00:00')"
                )
            )
        await upgrade(db)
        async with db.engine.connect() as connection:
            status = await connection.scalar(text("SELECT status FROM handoff"))
    finally:
        await db.close()
    assert status == "closed"  # else the bot would stay silent for a topic nobody sees
