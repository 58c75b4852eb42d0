"""Conversations with staff in the database: one open per chat, staff registry, retention."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from loyalty.ports import Conflict
from services import handoffs
from storage.database import Database
from storage.models import Handoff, OutboxMessage, TranscriptLine


async def test_two_messages_opening_one_chat_at_once_open_it_once(
    database: Database, now: datetime
) -> None:
    async def ask() -> bool:
        try:
            async with database.unit_of_work() as uow:
                _, new = await uow.handoffs.open(None, "whatsapp", "+393471234567", "asked", now)
                await uow.commit()
                return new
        except Conflict:
            return False

    opened = await asyncio.gather(*(ask() for _ in range(10)))

    assert opened.count(True) >= 1
    async with database.unit_of_work() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(Handoff))
        assert count == 1


async def test_a_chat_may_open_again_once_closed(database: Database, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        first, _ = await uow.handoffs.open(None, "telegram", "4242", "asked", now)
        await uow.handoffs.close(first, None, now)
        second, new = await uow.handoffs.open(None, "telegram", "4242", "asked", now)
        await uow.commit()
    assert new and second.id != first.id


async def test_removed_staff_may_no_longer_act_and_come_back_when_added(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        await uow.staff.add(6660001, "Anna Bianchi", "concierge", now)
        await uow.staff.remove(6660001, now)
        assert await uow.staff.acting(6660001) is None
        again = await uow.staff.add(6660001, "Anna B.", "manager", now)
        assert (await uow.staff.acting(6660001)) is again and again.role == "manager"
        await uow.commit()


async def test_purge_forgets_only_conversations_closed_before_the_retention(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        for days_ago, thread in ((400, 11), (366, 12), (10, 13)):
            row, _ = await uow.handoffs.open(None, "telegram", str(thread), "asked", now)
            row.thread_id = thread
            await uow.transcripts.add(row.id, "member", f"said {days_ago} days ago", now)
            await uow.handoffs.close(row, None, now - timedelta(days=days_ago))
        await uow.handoffs.open(None, "telegram", "open-one", "asked", now)
        await uow.commit()

    async with database.unit_of_work() as uow:
        assert await handoffs.purge(uow, now, retention_days=365) == 2
        await uow.commit()

    async with database.unit_of_work() as uow:
        left = await uow.session.scalars(select(TranscriptLine.text))
        assert list(left) == ["said 10 days ago"]
        deletes = await uow.session.scalars(
            select(OutboxMessage.variables).where(OutboxMessage.kind == "delete")
        )
        assert sorted(v["thread"] for v in deletes) == ["11", "12"]
        assert await uow.session.scalar(select(func.count()).select_from(Handoff)) == 2


async def test_a_conversation_keeps_the_topic_made_for_it(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        handoff, _ = await uow.handoffs.open(None, "telegram", "4242", "asked", now)
        await uow.commit()
    async with database.unit_of_work() as uow:
        await handoffs.made_topic(uow, handoff.id, 77)
        await uow.commit()

    async with database.unit_of_work() as uow:
        assert await handoffs.thread_of(uow, handoff.id) == 77
