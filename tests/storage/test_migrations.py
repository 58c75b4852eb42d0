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


async def upgraded_from(
    tmp_path: Path, revision: str, statements: list[str], query: str, store_zone: str = "UTC"
) -> list[tuple[object, ...]]:
    """A database at an old `revision` holding the rows `statements` write, upgraded to the
    head: what `query` reads from it then."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(db, revision)
        async with db.engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
        await upgrade(db, store_zone=store_zone)
        async with db.engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(text(query))).all()]
    finally:
        await db.close()


async def test_migration_0004_files_the_dates_of_members_already_there(tmp_path: Path) -> None:
    rows = await upgraded_from(
        tmp_path,
        "0003",
        [
            "INSERT INTO member (id, name, joined_at, birthday_month, birthday_day, timezone) "
            "VALUES (1, 'Giulia', '2024-03-01 23:30:00', 2, 29, NULL), "
            "(2, 'Erased', '2024-03-01 10:00:00', 5, 5, NULL)",
            "UPDATE member SET erased_at = joined_at WHERE id = 2",
            'INSERT INTO anniversary (member_id, kind, "on") '
            "VALUES (1, 'wedding', '2010-09-18')",
        ],
        "SELECT member_id, kind, month, day FROM occasion_date ORDER BY kind",
        store_zone="Europe/Rome",
    )
    assert rows == [
        (1, "birthday", 2, 29),
        (1, "club_anniversary", 3, 2),  # 23:30 UTC is already the 2nd in Rome
        (1, "wedding", 9, 18),
    ]


async def test_migration_0006_closes_requests_made_before_there_was_a_staff_group(
    tmp_path: Path,
) -> None:
    rows = await upgraded_from(
        tmp_path,
        "0005",
        [
            "INSERT INTO handoff (channel, address, status, requested_at) "
            "VALUES ('telegram', '4242', 'open', '2026-11-01 10:00:00')"
        ],
        "SELECT status FROM handoff",
    )
    assert rows == [("closed",)]  # else the bot would stay silent for a topic nobody sees


async def test_migration_0010_leaves_messages_received_before_open_with_no_try_counted(
    tmp_path: Path,
) -> None:
    rows = await upgraded_from(
        tmp_path,
        "0009",
        [
            "INSERT INTO inbound_receipt (channel, message_id, payload, received_at) "
            "VALUES ('telegram', '700000001', '{\"update_id\": 700000001}', "
            "'2026-12-01 10:00:00')"
        ],
        "SELECT attempts, failed_at, error, handled_at FROM inbound_receipt",
    )
    assert rows == [(0, None, None, None)]  # three tries left at the next start


async def test_migration_0018_sums_up_the_kept_purchases_already_there(tmp_path: Path) -> None:
    def bought(n: int, member: int, at: str, amount: str, category: str, status: str) -> str:
        return (
            "INSERT INTO purchase (order_id, member_id, amount, currency, base_amount, points, "
            "category, limited_edition, store, status, purchased_at, source, recorded_at) "
            f"VALUES ('o{n}', {member}, {amount}, 'EUR', {amount}, 0, {category}, 0, NULL, "
            f"'{status}', '{at}', 'pos', '{at}')"
        )

    rows = await upgraded_from(
        tmp_path,
        "0017",
        [
            "INSERT INTO member (id, name, joined_at) VALUES "
            "(1, 'Giulia', '2024-03-01 10:00:00'), (2, 'Refunded', '2024-03-01 10:00:00')",
            bought(1, 1, "2025-01-05 10:00:00", "100.50", "'rings'", "paid"),
            bought(2, 1, "2025-01-03 10:00:00", "900.00", "'watches'", "refunded"),
            bought(3, 1, "2025-02-01 10:00:00", "20.00", "NULL", "paid"),
            bought(4, 1, "2025-03-01 10:00:00", "30.00", "'rings'", "paid"),
            bought(5, 2, "2025-03-01 10:00:00", "30.00", "'rings'", "refunded"),
        ],
        "SELECT member_id, purchases, spend, first_at, second_at, last_at, kinds, categories "
        "FROM purchase_summary",
    )
    [(member, purchases, spend, first, second, last, kinds, categories)] = rows
    assert (member, purchases, float(spend), kinds) == (1, 3, 150.5, 1)
    assert [str(first)[:10], str(second)[:10], str(last)[:10]] == [
        "2025-01-05", "2025-02-01", "2025-03-01",
    ]  # fmt: skip
    assert categories == "\nrings\n"
