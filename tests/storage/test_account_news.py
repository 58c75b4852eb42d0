"""Account news on a real database: queued once per day of sales, per expiry, and never for
the old sales of a launch import."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from loyalty.consent import Channel, Purpose
from loyalty.program import Program
from services import members, privacy
from services.purchases import Histories, ingest
from services.reviews import settle_all
from storage.database import Database
from storage.models import OutboxMessage
from tests.factories import PHONE, purchase


async def agreed(database: Database, program: Program, now: datetime) -> int:
    """A member who agreed to account news on WhatsApp, at her phone number."""
    async with database.unit_of_work() as uow:
        member = await members.add(uow, program, now - timedelta(days=900), PHONE, name="Ada")
        await members.set_consent(
            uow, member, Purpose.ACCOUNT, Channel.WHATSAPP, True, now, "till", "asked"
        )
        await uow.commit()
        return member.id


async def news(database: Database) -> list[tuple[str, str, str]]:
    async with database.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.kind, OutboxMessage.purpose, OutboxMessage.channel)
            .where(OutboxMessage.purpose == Purpose.ACCOUNT.value)
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_five_lines_of_one_day_in_three_batches_are_one_message(
    database: Database, program: Program, now: datetime
) -> None:
    await agreed(database, program, now)
    lines = [purchase(now - timedelta(hours=h), "50.00", order_id=f"C-{h}") for h in range(5)]
    known = Histories()
    for batch in (lines[:2], lines[2:4], lines[4:]):
        await ingest(database.unit_of_work, batch, "import", now, program, known)

    assert [kind for kind, *_ in await news(database)].count("points_earned") == 1
    assert ("points_earned", "account", "whatsapp") in await news(database)


async def test_a_launch_import_of_old_sales_tells_only_of_points_about_to_expire(
    database: Database, program: Program, now: datetime
) -> None:
    await agreed(database, program, now)
    old = [
        purchase(now - timedelta(days=710), "3000.00", order_id="OLD-1"),  # expires in ~20 d
        purchase(now - timedelta(days=400), "80.00", order_id="OLD-2"),
    ]
    await ingest(database.unit_of_work, old, "import", now, program, Histories())

    assert await news(database) == [("points_expiring", "account", "whatsapp")]


async def test_the_daily_settle_tells_of_an_expiry_once(
    database: Database, program: Program, now: datetime
) -> None:
    await agreed(database, program, now)
    sold = now - timedelta(days=600)  # its points expire after 24 months
    await ingest(database.unit_of_work, [purchase(sold, "500.00")], "import", now, program)
    assert await news(database) == []

    for days in (100, 101, 120):  # expiry within 30 days from the first of these
        await settle_all(database.unit_of_work, now + timedelta(days=days), program)

    assert await news(database) == [("points_expiring", "account", "whatsapp")]


async def test_without_the_account_consent_nothing_is_queued(
    database: Database, program: Program, now: datetime
) -> None:
    await ingest(database.unit_of_work, [purchase(now, "900.00")], "pos", now, program)
    await settle_all(database.unit_of_work, now + timedelta(days=720), program)

    assert await news(database) == []


async def test_stop_withdraws_the_account_purpose_and_the_export_shows_both_changes(
    database: Database, program: Program, now: datetime
) -> None:
    member_id = await agreed(database, program, now)
    async with database.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        later = now + timedelta(minutes=1)
        stopped = await members.stop(
            uow, member, later, "chat:whatsapp:stop", "STOP", channels=[Channel.WHATSAPP]
        )
        exported = await privacy.export(uow, member)
        await uow.commit()
    assert stopped == 2  # the account news, and news of her own requests
    account = [c for c in exported["consents"] if c["purpose"] == "account"]
    assert [(c["granted"], c["source"]) for c in account] == [
        (True, "till"), (False, "chat:whatsapp:stop"),
    ]  # fmt: skip
    await ingest(database.unit_of_work, [purchase(later, "90.00")], "pos", later, program)
    assert await news(database) == []
