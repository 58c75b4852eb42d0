"""Account news on a real database: queued once per day of sales, per expiry, and never for
the old sales of a launch import; a reward within reach once until taken, inside the day's
message while it waits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from loyalty.consent import Channel, Purpose
from loyalty.program import Program
from services import members, privacy, rewards
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


async def reach(database: Database) -> list[tuple[str, str, str | None]]:
    """The news of rewards within reach: key, status, why it was not sent on its own."""
    async with database.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.last_error)
            .where(OutboxMessage.kind == "reward_within_reach")
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def days_message(database: Database) -> tuple[str, str, dict[str, str]]:
    async with database.unit_of_work() as uow:
        row = await uow.session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "points_earned")
        )
        assert row is not None
        return row.key, row.status, dict(row.variables)


async def sent(database: Database, key: str) -> None:
    async with database.unit_of_work() as uow:
        row = await uow.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert row is not None
        row.status = "sent"
        await uow.commit()


async def test_a_reward_within_reach_rides_in_the_waiting_days_message_else_goes_alone(
    database: Database, program: Program, now: datetime
) -> None:
    ada = await agreed(database, program, now)
    await ingest(
        database.unit_of_work, [purchase(now - timedelta(hours=3), "200.00")], "pos", now, program
    )
    day, status, variables = await days_message(database)
    assert (status, variables["rewards"]) == ("pending", "cleaning")  # 200 points: 150 needed
    assert await reach(database) == [(f"reach:{ada}:cleaning:0", "cancelled", f"told in {day}")]

    await sent(database, day)
    await ingest(
        database.unit_of_work, [purchase(now - timedelta(hours=1), "150.00")], "pos", now, program
    )
    assert (await days_message(database))[2]["rewards"] == "cleaning"  # gone: left as it was
    assert (await reach(database))[1:] == [(f"reach:{ada}:care_kit:0", "pending", None)]


async def test_taking_a_reward_makes_covering_it_again_news_again(
    database: Database, program: Program, now: datetime
) -> None:
    ada = await agreed(database, program, now)
    async with database.unit_of_work() as uow:
        found = await uow.members.get(ada)
        assert found is not None
        await members.adjust(uow, found, 300, "gift", "welcome", now, program)  # 300: care kit
        await rewards.take(uow, found, "care_kit", now, program)  # back to 0
        await members.adjust(uow, found, 300, "gift-2", "again", now, program)
        await uow.commit()
    assert [key for key, *_ in await reach(database)] == [
        f"reach:{ada}:cleaning:0", f"reach:{ada}:care_kit:0", f"reach:{ada}:care_kit:1",
    ]  # fmt: skip


async def test_a_reward_with_none_left_is_no_news(
    database: Database, program: Program, now: datetime
) -> None:
    ada = await agreed(database, program, now)
    async with database.unit_of_work() as uow:
        assert all([await uow.rewards.take_stock("care_kit", 25) for _ in range(25)])
        found = await uow.members.get(ada)
        assert found is not None
        await members.adjust(uow, found, 300, "gift", "welcome", now, program)
        await uow.commit()
    assert [key for key, *_ in await reach(database)] == [f"reach:{ada}:cleaning:0"]
