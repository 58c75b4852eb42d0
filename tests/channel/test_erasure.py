"""`concierge members erase` with the staff group on (the Bot API faked at the wire): the
member's topics are deleted at once, staff learn of cancelled bookings by member number
only, and what Telegram does not take stays queued for the group's courier."""

from __future__ import annotations

import asyncio
import json
from datetime import time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from services import appointments
from services.handoffs import CHANNEL, DELETE
from storage.models import OutboxMessage
from tests.channel.conftest import API_HOST, TOKEN, Desk
from tests.channel.test_handoff import GIULIA, enrol, link, register, with_staff
from tests.conftest import Clock
from tests.factories import ANNA, PHONE, STAFF_CHAT_ID, TELEGRAM_USER_ID, message_update


async def run(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock, *args: str
) -> Result:
    """`concierge ...` against the test's database, the staff group on, at the test's
    moment; on its own loop, as a separate process would be."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("CONCIERGE_PROGRAM", raising=False)
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", desk.concierge.settings.database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"{API_HOST}/bot")
    monkeypatch.setenv("TELEGRAM_STAFF_CHAT_ID", str(STAFF_CHAT_ID))
    obj = {"clock": clock, "sleep": clock.sleep, "monotonic": clock.monotonic}
    return await asyncio.to_thread(
        CliRunner().invoke, main, list(args), catch_exceptions=False, obj=obj
    )


@pytest.fixture
async def giulia(desk: Desk) -> int:
    """Giulia on Telegram, with a resizing booked with Anna and a conversation with staff."""
    member_id = await enrol(desk.concierge, PHONE, "Giulia Rossi")
    await link(desk.concierge, member_id, "telegram", str(TELEGRAM_USER_ID))
    await register(desk.concierge, ANNA)
    program, now = desk.concierge.program, desk.concierge.clock()
    async with desk.concierge.db.unit_of_work() as uow:
        anna = await uow.staff.acting(int(str(ANNA["id"])))
        assert anna is not None
        for weekday in range(1, 6):
            await uow.schedules.set_hours(anna.id, weekday, time(10), time(18))
        member = await uow.members.get(member_id)
        assert member is not None
        [slot] = await appointments.slots(uow, program, "resize", now, limit=1)
        await appointments.book(uow, program, member, "resize", slot.start, now, "size 52")
        await uow.commit()
    return member_id


async def staff_rows(desk: Desk) -> list[OutboxMessage]:
    async with desk.concierge.db.unit_of_work() as uow:
        return list(
            await uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == CHANNEL)
                .order_by(OutboxMessage.id)
            )
        )


async def test_erase_deletes_the_topic_at_once_and_posts_the_cancelled_booking_by_number(
    desk: Desk, giulia: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock
) -> None:
    thread = await with_staff(desk, GIULIA)
    await desk.telegram.send(message_update("my ring size is 52", user=GIULIA))
    exported = await run(desk, monkeypatch, tmp_path, clock, "members", "export", "M00001")
    [talk] = json.loads(exported.stdout)["conversations_with_staff"]
    assert ("member", "my ring size is 52") in [(ln["from"], ln["text"]) for ln in talk["lines"]]

    erased = await run(desk, monkeypatch, tmp_path, clock, "members", "erase", "M1", "--yes")

    assert erased.exit_code == 0, erased.output
    assert erased.stdout.splitlines()[1:] == ["staff group: 1 topic(s) deleted, 1 post(s) sent"]
    assert desk.api.deleted == [thread]  # by the command itself: no web process flushed
    [notice] = [c for c in desk.api.posts() if "erased" in c.text]
    assert notice.text == (
        "Booking cancelled, the member's data erased: Ring resizing · "
        "Tue, Nov 24 at 3:00\u202fPM · M00001 · Anna Bianchi"
    )
    assert "message_thread_id" not in notice.params  # the General topic
    assert [(r.kind, r.status) for r in await staff_rows(desk)] == [
        (DELETE, "sent"), ("post", "sent"),
    ]  # fmt: skip


async def test_a_topic_telegram_cannot_delete_now_stays_queued_and_the_command_says_so(
    desk: Desk, giulia: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock
) -> None:
    thread = await with_staff(desk, GIULIA)
    desk.api.down.add("deleteForumTopic")

    erased = await run(desk, monkeypatch, tmp_path, clock, "members", "erase", "M1", "--yes")

    assert erased.exit_code == 0, erased.output
    assert erased.stdout.splitlines()[1:] == [
        "staff group: 0 topic(s) deleted, 1 post(s) sent",
        "staff group: Telegram did not take a topic's deletion now (Bad Gateway): it stays "
        "queued and goes with the group's next posts",
    ]
    [queued] = [r for r in await staff_rows(desk) if r.kind == DELETE]
    assert (queued.status, queued.body, queued.variables, queued.member_id) == (
        "pending", "", {"thread": str(thread)}, None,
    )  # fmt: skip
    assert desk.api.deleted == []

    desk.api.down.clear()
    clock.current += timedelta(minutes=5)  # past its backoff
    await desk.telegram.app.state.sending.drain()
    assert desk.api.deleted == [thread]


async def test_an_erased_member_is_a_stranger_to_the_chat_and_is_not_erased_twice(
    desk: Desk, giulia: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock
) -> None:
    await run(desk, monkeypatch, tmp_path, clock, "members", "erase", "M1", "--yes")

    again = await run(desk, monkeypatch, tmp_path, clock, "members", "erase", "M1", "--yes")
    answer = "\n".join(
        c.text for c in await desk.telegram.send(message_update("card", user=GIULIA))
    )

    assert again.exit_code == 1
    assert again.stderr == "concierge: M00001 was erased on 2026-11-24\n"
    assert "Giulia" not in answer and "M00001" not in answer
