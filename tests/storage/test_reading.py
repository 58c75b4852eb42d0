"""The read path (`Database.reading`): what is committed, never a writer's lock, no writes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from loyalty.program import Program
from loyalty.records import Saved, Standing
from services import chats, members
from storage.database import Database

CHAT = ("telegram", "7001")
MENU = Saved(options=[["My card", "card"]])
WAIT = 10  # seconds: only a blocked read or writer comes near it (busy_timeout is 30 s)


async def where(database: Database, now: datetime, reading: bool = True) -> Standing:
    units = database.reading() if reading else database.unit_of_work()
    async with units as uow:
        return await chats.standing(uow, *CHAT, now, now - timedelta(hours=1))


async def test_a_read_sees_what_is_committed_and_not_what_a_writer_holds(
    database: Database, program: Program, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        member = await members.add(uow, program, now, "347 123 4567", name="Giulia")
        await chats.link(uow, member.id, *CHAT, "it", now)
        await uow.commit()

    async with database.unit_of_work() as writer:  # holds SQLite's write lock until it ends
        await writer.conversations.hold(*CHAT)
        await writer.conversations.save(*CHAT, MENU, now + timedelta(days=1))
        await writer.handoffs.open(member.id, *CHAT, "asked", now)
        await writer.session.flush()
        seen = await asyncio.wait_for(where(database, now), WAIT)
        assert seen == Standing(talking=False, with_staff=False, member=True, invited=False)
        await writer.commit()

    seen = await where(database, now)
    assert seen == Standing(talking=True, with_staff=True, member=True, invited=False)
    assert seen == await where(database, now, reading=False)  # as a transaction reads it
    async with database.reading() as reading:  # any repository reads through it
        assert await reading.conversations.get(*CHAT, now) == MENU


async def test_a_writer_begins_at_once_while_a_reading_unit_of_work_is_open(
    database: Database, now: datetime
) -> None:
    async with database.reading() as reading:
        assert not (await chats.standing(reading, *CHAT, now, now)).talking

        async def write() -> None:
            async with database.unit_of_work() as uow:
                await uow.conversations.save(*CHAT, MENU, now + timedelta(days=1))
                await uow.commit()

        await asyncio.wait_for(write(), WAIT)
        assert (await chats.standing(reading, *CHAT, now, now)).talking  # each read: the latest


async def test_a_reading_unit_of_work_writes_nothing(database: Database, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await uow.conversations.save(*CHAT, MENU, now + timedelta(days=1))
        await uow.commit()

    async with database.reading() as reading:
        with pytest.raises((OperationalError, DBAPIError)):  # read only, in the database
            await chats.forget_expired(reading, now + timedelta(days=2))
        with pytest.raises(TypeError):
            await reading.commit()

    assert (await where(database, now)).talking
