"""The outbox on a real database: a message is claimed by one sender, once, in order; a
sender's lease runs out when it stops, renewed while it is alive."""

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


LEASE = timedelta(seconds=30)


async def claim(database: Database, now: datetime, worker: str = "a") -> int | None:
    """The chat's first message not yet sent, if it may go now and nobody holds it."""
    async with database.unit_of_work() as uow:
        row = await uow.leases.claim_head("whatsapp", ADDRESS, worker, now, LEASE)
        await uow.commit()
        return row.id if row else None


async def test_concurrent_senders_take_a_chats_first_message_once(
    database: Database, now: datetime
) -> None:
    ids = await queue(database, now, 10)

    claimed = await asyncio.gather(*(claim(database, now, f"s{n}") for n in range(20)))

    assert [row_id for row_id in claimed if row_id is not None] == ids[:1]  # one sender wins
    async with database.unit_of_work() as uow:
        row = await uow.outbox.get(ids[0])
        assert row is not None and (row.status, row.attempts) == ("claimed", 0)


async def test_a_chats_messages_go_one_after_the_other_oldest_first(
    database: Database, now: datetime
) -> None:
    ids = await queue(database, now, 3)

    assert await claim(database, now) == ids[0]
    assert await claim(database, now, "b") is None  # the first is not sent yet: the rest wait
    async with database.unit_of_work() as uow:
        assert await uow.leases.start_call(ids[0], "a", now, LEASE)
        await uow.outbox.sent(ids[0], "sent", "p1", now)
        ready = await uow.leases.claim_ready("b", now, LEASE, 10, ["whatsapp"])
        await uow.commit()
    assert [row.id for row in ready] == [ids[1]]  # only the chat's next


async def test_a_key_queues_a_message_once(database: Database, now: datetime) -> None:
    async def add_once() -> bool:
        key = "reopen:+393471234567:2026-11-24"
        async with database.unit_of_work() as uow:
            added = await uow.outbox.add_many_once(
                now, [{"key": key, "channel": "whatsapp", "address": ADDRESS, "kind": "reopen"}]
            )
            await uow.commit()
            return added == {key}

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


async def test_a_scheduled_message_keeps_no_chat_waiting(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        await uow.outbox.add(
            now, channel="whatsapp", address=ADDRESS, kind="birthday", body="",
            purpose="birthday", due_at=now + timedelta(hours=8),  # after the quiet hours
        )  # fmt: skip
        await uow.commit()
    [reply] = await queue(database, now, 1)

    assert await claim(database, now) == reply  # the greeting is not the chat's to order


async def queue_due(database: Database, now: datetime, count: int, **fields: object) -> list[int]:
    async with database.unit_of_work() as uow:
        ids = []
        for i in range(count):
            row = await uow.outbox.add(
                now, channel="whatsapp", address=f"+39347123{i:04d}", kind="birthday", body="",
                purpose="birthday", key=f"birthday:{i}:2026:{fields.get('tag', '')}",
                due_at=fields.get("due_at", now),
            )  # fmt: skip
            ids.append(row.id)
        await uow.commit()
        return ids


async def claim_due(database: Database, worker: str, now: datetime, limit: int = 5) -> list[int]:
    async with database.unit_of_work() as uow:
        rows = await uow.leases.claim_ready(worker, now, LEASE, limit, ["whatsapp"])
        await uow.commit()
        return [row.id for row in rows]


async def test_two_senders_never_claim_the_same_message(database: Database, now: datetime) -> None:
    ids = await queue_due(database, now, 20)

    async def drain(worker: str) -> list[int]:
        mine: list[int] = []
        while batch := await claim_due(database, worker, now, limit=3):
            mine += batch
        return mine

    first, second = await asyncio.gather(drain("a"), drain("b"))

    assert sorted(first + second) == ids  # every message claimed once, by one of them
    assert not set(first) & set(second)


async def test_only_due_messages_are_claimed(database: Database, now: datetime) -> None:
    [later] = await queue_due(database, now, 1, due_at=now + timedelta(hours=1), tag="later")

    assert await claim_due(database, "a", now) == []
    assert await claim_due(database, "a", now + timedelta(hours=1)) == [later]


async def test_a_sender_that_stopped_before_its_call_is_taken_over_and_one_during_it_is_not(
    database: Database, now: datetime
) -> None:
    before_call, during_call = await queue_due(database, now, 2)
    assert await claim_due(database, "crashed", now) == [before_call, during_call]
    async with database.unit_of_work() as uow:
        assert await uow.leases.start_call(during_call, "crashed", now, LEASE)
        assert not await uow.leases.start_call(before_call, "someone-else", now, LEASE)
        await uow.commit()

    later = now + LEASE + timedelta(seconds=1)
    async with database.unit_of_work() as uow:
        assert await uow.leases.expire_leases(later) == (1, 1)
        await uow.commit()

    assert await claim_due(database, "other", later) == [before_call]  # sent once, by other
    async with database.unit_of_work() as uow:
        row = await uow.outbox.get(during_call)
        assert row is not None and row.status == "uncertain"  # never sent blindly again


async def test_only_one_process_holds_the_worker_lock(database: Database) -> None:
    async with database.only_one("concierge-worker") as first:
        if database.is_sqlite:
            assert first  # one host: nothing to share
            return
        other = Database(database.url)
        try:
            async with other.only_one("concierge-worker") as second:
                assert (first, second) == (True, False)
        finally:
            await other.close()
    other = Database(database.url)
    try:
        async with other.only_one("concierge-worker") as after:
            assert after  # released with the first holder
    finally:
        await other.close()


async def test_a_reply_a_stopped_sender_was_sending_goes_again_and_a_live_sender_keeps_its_own(
    database: Database, now: datetime
) -> None:
    [reply] = await queue(database, now, 1)
    assert await claim(database, now, "web-1") == reply
    async with database.unit_of_work() as uow:
        assert await uow.leases.start_call(reply, "web-1", now, LEASE)
        assert await uow.leases.renew("web-1", now + LEASE / 2, LEASE) == 1  # alive
        assert await uow.leases.expire_leases(now + LEASE) == (0, 0)
        await uow.commit()

    later = now + LEASE * 2  # it stopped renewing: a reply goes twice rather than never
    async with database.unit_of_work() as uow:
        assert await uow.leases.expire_leases(later) == (1, 0)
        await uow.commit()
    assert await claim(database, later, "web-2") == reply


async def test_staff_may_retry_or_cancel_a_message_whose_sender_stopped(
    database: Database, now: datetime
) -> None:
    [greeting] = await queue_due(database, now, 1)
    assert await claim_due(database, "crashed", now) == [greeting]

    async with database.unit_of_work() as uow:
        assert await uow.outbox.decide(greeting, "pending", now) is None  # its sender lives
        retried = await uow.outbox.decide(greeting, "pending", now + LEASE * 2)
        await uow.commit()
    assert retried is not None and retried.status == "pending"
