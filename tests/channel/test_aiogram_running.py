"""The concierge in a shop's aiogram bot, started and stopped with the shop's Dispatcher and
sending in the background (bot/outbound.py: `running`): what a stop left open is handled at
the start, what others queue goes out through the shop's token, the stop leaves nothing
running or open, a start after a stop works as the first, and a schema behind the code
stops the start."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import select, text

from bot import outbound
from bot.bootstrap import Concierge
from bot.channels.aiogram import club_router
from bot.settings import ConfigError
from loyalty.consent import Channel, Purpose
from services import members, occasions
from storage.migrate import UPGRADE, head
from storage.models import InboundReceipt, OutboxMessage
from tests.channel.aiogram_shop import RecordingSession, running_shop
from tests.channel.conftest import TOKEN, FakeTelegram, left_open, telegram_settings
from tests.factories import PHONE, message_update, telegram_user

GIULIA = telegram_user()
MARCO = telegram_user(5_550_042, "Marco")
HOURS = "Opening hours (store time):"


@pytest.fixture
def rounds_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background sender looks again at once rather than every few seconds: it waits on
    its stop with that timeout, so a test waits for what it sends, never for a pause."""
    monkeypatch.setattr(outbound, "DRAIN_EVERY", 0.01)


async def born_today(concierge: Concierge, phone: str, chat: int, name: str) -> None:
    """A member born on this day, who agreed to birthday wishes on Telegram, and the worker's
    scan that queued them (another process: nothing here sends)."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, now - timedelta(days=400), phone, name=name,
            birthday="1990-11-24", locale="en",
        )  # fmt: skip
        await members.set_consent(
            uow, member, Purpose.BIRTHDAY, Channel.TELEGRAM, True, now, "test", "asked"
        )
        await uow.identities.link(member.id, "telegram", str(chat), "en", now)
        planned = await occasions.plan(uow, concierge.program, now)
        assert await occasions.queue(uow, concierge.program, now, planned) == 1
        await uow.commit()


async def outbox(concierge: Concierge) -> list[tuple[str, str, int]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.kind, row.status, row.attempts) for row in rows]


async def handled(concierge: Concierge) -> list[bool]:
    async with concierge.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(InboundReceipt.handled_at.is_not(None))))


async def stamp(concierge: Concierge, revision: str) -> None:
    """The schema's revision as the database records it."""
    async with concierge.db.unit_of_work() as uow:
        update = text("UPDATE alembic_version SET version_num = :revision")
        await uow.session.execute(update, {"revision": revision})
        await uow.commit()


def others() -> set[asyncio.Task[object]]:
    """The tasks running beside the test's own."""
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


async def test_an_update_a_stop_left_open_is_answered_once_when_the_shop_starts(
    concierge: Concierge, api: FakeTelegram
) -> None:
    await left_open(concierge, message_update("/hours", user=GIULIA))  # then the bot stopped
    app = telegram_settings(concierge)

    async with running_shop(app, api, background=True) as shop:
        answer = await api.until_sent(2)  # the hours, then the menu
        assert shop.got == []  # the shop's handlers never saw it

    assert {call.chat_id for call in answer} == {str(GIULIA["id"])}
    assert HOURS in answer[0].text
    assert await handled(concierge) == [True]
    assert await outbox(concierge) == [("reply", "sent", 1)] * 2

    async with running_shop(app, api, background=True):  # the next start: nothing left
        pass
    assert api.sent() == answer
    assert await outbox(concierge) == [("reply", "sent", 1)] * 2


async def test_what_the_worker_queues_goes_out_through_the_shops_token_once(
    concierge: Concierge, api: FakeTelegram, rounds_at_once: None
) -> None:
    async with running_shop(telegram_settings(concierge), api, background=True) as shop:
        await born_today(concierge, PHONE, GIULIA["id"], "Giulia Rossi")
        [wishes] = await api.until_sent(1)
        await born_today(concierge, "+393479876543", MARCO["id"], "Marco Esposito")
        sent = await api.until_sent(2)  # a later round: Giulia's wishes were not sent again
        assert shop.session.calls == []  # the shop's own session had nothing to do with it

    assert [call.chat_id for call in sent] == [str(GIULIA["id"]), str(MARCO["id"])]
    assert wishes.text.startswith("Happy birthday, Giulia!")
    assert [call.method for call in api.calls] == ["sendMessage", "sendMessage"]
    assert await outbox(concierge) == [("birthday", "sent", 1), ("birthday", "sent", 1)]


async def test_the_shops_stop_ends_the_sending_and_closes_what_it_held(
    concierge: Concierge, api: FakeTelegram, rounds_at_once: None
) -> None:
    app = telegram_settings(concierge)
    before = others()
    async with running_shop(app, api, background=True) as shop:
        await born_today(concierge, PHONE, GIULIA["id"], "Giulia Rossi")
        await api.until_sent(1)
        running = {task.get_coro().__qualname__ for task in others() - before}  # type: ignore[union-attr]
        assert "Sender.run" in running  # between its rounds
        [startup] = shop.dispatcher.sub_routers[0].startup.handlers
        channel = startup.callback.__self__.telegram  # type: ignore[attr-defined]

    assert others() - before == set()
    assert all(request._client.is_closed for request in channel.requests)  # Bot API's
    assert await outbox(concierge) == [("birthday", "sent", 1)]


async def test_the_shops_bot_stopped_and_started_again_in_one_process_still_answers(
    concierge: Concierge, api: FakeTelegram
) -> None:
    async with running_shop(telegram_settings(concierge), api, background=True) as shop:
        await shop.feed(message_update("/hours", user=MARCO))
        first = await api.until_sent(2)  # at once, or by the background's round
    await shop.dispatcher.emit_startup(bot=shop.bot)  # polling started again
    try:
        await shop.feed(message_update("/hours", user=MARCO))
        again = (await api.until_sent(4))[2:]
    finally:
        await shop.dispatcher.emit_shutdown(bot=shop.bot)

    assert HOURS in first[0].text
    assert [call.text for call in again] == [call.text for call in first]
    assert len(api.sent()) == 4
    assert await outbox(concierge) == [("reply", "sent", 1)] * 4


async def test_a_database_behind_the_code_stops_the_start_naming_what_to_run(
    concierge: Concierge, api: FakeTelegram
) -> None:
    """(A database with no tables at all: tests/test_examples.py.)"""
    newest = head()
    older = str(int(newest) - 1).zfill(len(newest))
    await born_today(concierge, PHONE, GIULIA["id"], "Giulia Rossi")
    await stamp(concierge, older)  # as the code before the newest migration left it
    router = club_router(telegram_settings(concierge))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    try:
        with pytest.raises(ConfigError) as stopped:
            await dispatcher.emit_startup(bot=Bot(TOKEN, session=RecordingSession()))
    finally:
        await stamp(concierge, newest)  # the run's database, for the tests after this one

    assert str(stopped.value) == f"the database is at revision {older}, not {newest}: {UPGRADE}"
    assert api.calls == []  # nothing was sent from a schema the code cannot use
    assert await outbox(concierge) == [("birthday", "pending", 0)]
    [startup] = router.startup.handlers
    channel = startup.callback.__self__.telegram  # type: ignore[attr-defined]
    assert all(request._client.is_closed for request in channel.requests)  # nothing left open


def test_the_router_needs_the_shops_token(concierge: Concierge) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN: not set"):
        club_router(concierge)
