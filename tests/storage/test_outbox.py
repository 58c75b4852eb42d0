"""The outbox on a real database: a message is claimed by one sender, once, in order."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from storage.database import Database
from storage.models import OutboxMessage

ADDRESS = "+393471234567"


async def queue(database: Database, now: datetime, count: int) -> list[int]:
    async with database.unit_of_work() as uow:
        rows = [
            await uow.outbox.add(
                now, channel="whatsapp", address=ADDRESS, kind="reply", body=f"message {i}"
            )
            for i in range(count)
        ]
        await uow.commit()
        return [row.id for row in rows]


async def claim(database: Database, now: datetime) -> int | None:
    async with database.unit_of_work() as uow:
        row = await uow.outbox.claim_next("whatsapp", ADDRESS, now)
        await uow.commit()
        return row.id if row else None


async def test_concurrent_senders_claim_each_message_exactly_once(
    database: Database, now: datetime
) -> None:
    ids = await queue(database, now, 10)

    claimed = await asyncio.gather(*(claim(database, now) for _ in range(20)))

    taken = [row_id for row_id in claimed if row_id is not None]
    assert sorted(taken) == ids  # each once; the other claimers found nothing left
    async with database.unit_of_work() as uow:
        row = await uow.outbox.get(ids[0])
        assert row is not None and (row.status, row.attempts) == ("sending", 1)


async def test_messages_are_claimed_oldest_first(database: Database, now: datetime) -> None:
    ids = await queue(database, now, 3)
    assert [await claim(database, now) for _ in range(4)] == [*ids, None]


async def test_a_key_queues_a_message_once(database: Database, now: datetime) -> None:
    async def add_once() -> bool:
        async with database.unit_of_work() as uow:
            added = await uow.outbox.add_once(
                "reopen:+393471234567:2026-11-24", now, channel="whatsapp", address=ADDRESS,
                kind="reopen", body="",
            )  # fmt: skip
            await uow.commit()
            return added

    results = [await add_once(), await add_once()]

    assert results == [True, False]
    async with database.unit_of_work() as uow:
        rows = (await uow.session.scalars(OutboxMessage.__table__.select())).all()
    assert len(rows) == 1


async def test_a_reply_waiting_for_the_window_is_released_when_the_member_writes(
    database: Database, now: datetime
) -> None:
    [row_id] = await queue(database, now, 1)
    async with database.unit_of_work() as uow:
        row = await uow.outbox.get(row_id)
        assert row is not None
        await uow.outbox.put_back(row, "awaiting_window", "outside the window", now)
        await uow.commit()
    assert await claim(database, now) is None

    async with database.unit_of_work() as uow:
        assert await uow.outbox.release("whatsapp", ADDRESS, now + timedelta(days=2)) == 1
        await uow.commit()
    assert await claim(database, now) == row_id


async def test_a_message_with_a_consent_purpose_is_left_to_the_dispatcher(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        await uow.outbox.add(
            now, channel="whatsapp", address=ADDRESS, kind="birthday", body="", purpose="birthday"
        )
        await uow.commit()

    assert await claim(database, now) is None
    async with database.unit_of_work() as uow:
        assert await uow.outbox.addresses_pending("whatsapp") == []
