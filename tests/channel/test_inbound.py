"""A message in is one transaction: its receipt, the state, its effects and its replies
commit together before the webhook answers; the replies go after, in order, once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.bootstrap import Concierge
from handlers.conversation.dialog import Reply, State, Turn
from handlers.conversation.router import Router
from services import members
from services.sending import LEASE, Report
from storage.models import ConversationState, InboundReceipt, OutboxMessage
from tests.channel.conftest import FakeTelegram, Telegram, sender
from tests.channel.twilio import WhatsApp
from tests.conftest import Clock
from tests.factories import PHONE, callback_update, message_update, whatsapp_form

ME = str(message_update()["message"]["chat"]["id"])


class Killed(BaseException):
    """The process ended (kill -9): nothing after it runs, no handler catches it."""


@contextmanager
def transactions(concierge: Concierge) -> Iterator[list[int]]:
    """Transactions begun on the database while inside (one entry each)."""
    begun: list[int] = []

    def begin(_connection: Any) -> None:
        begun.append(1)

    engine = concierge.db.engine.sync_engine
    event.listen(engine, "begin", begin)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", begin)


async def enrol(concierge: Concierge) -> int:
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, concierge.clock(), PHONE, name="Giulia Rossi", locale="en"
        )
        await uow.commit()
        return member.id


async def receipts(concierge: Concierge) -> list[tuple[str, int, bool, str | None, bool]]:
    """(channel, tries, handled, reason, payload kept) of every receipt."""
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(InboundReceipt).order_by(InboundReceipt.id))
        return [
            (r.channel, r.attempts, r.handled_at is not None, r.error, r.payload is not None)
            for r in rows
        ]


async def outbox(concierge: Concierge) -> list[OutboxMessage]:
    async with concierge.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def breaking_once(broke: list[str]) -> Router:
    """A concierge that, the first time, saves a state and queues a reply, then breaks."""
    router = Router()

    @router.otherwise
    async def answer(turn: Turn) -> list[Reply]:
        if not broke:
            broke.append(turn.inbound.text or "")
            turn.state = State("half-done", {"step": 1})
            await turn.uow.outbox.add(
                turn.now, channel=turn.inbound.channel, address=turn.inbound.address,
                kind="reply", body="half an answer", variables={},
            )  # fmt: skip
            raise ConnectionResetError(f"lost the connection reading {turn.inbound.text}")
        return [Reply(f"Answered: {turn.inbound.text}")]

    return router


# -- one transaction ---------------------------------------------------------------------------


async def test_a_telegram_message_is_one_transaction_with_its_receipt_state_and_replies(
    telegram: Telegram, api: FakeTelegram
) -> None:
    concierge, channel = telegram.concierge, telegram.app.state.telegram
    await enrol(concierge)
    await telegram.send(message_update("/start"))
    before = len(api.calls)

    with transactions(concierge) as begun:
        later = await channel.receive(callback_update("card"))  # a button: its spinner too
    assert len(begun) == 1
    assert api.calls[before:] == []  # written, not sent: the webhook answers first
    assert {row.status for row in await outbox(concierge)} == {"sent", "pending"}
    assert await receipts(concierge) == [("telegram", 1, True, None, False)] * 2

    assert later is not None
    await later()
    assert [c.method for c in api.calls[before:]][:2] == ["answerCallbackQuery", "sendMessage"]
    assert {row.status for row in await outbox(concierge)} == {"sent"}


async def test_a_whatsapp_message_is_one_transaction_with_its_receipt_state_and_replies(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    channel = whatsapp.app.state.whatsapp

    with transactions(concierge) as begun:
        later = await channel.receive(whatsapp_form("Hello"))
    assert len(begun) == 1
    assert whatsapp.twilio.sent == []
    assert {row.status for row in await outbox(concierge)} == {"pending"}
    async with concierge.db.unit_of_work() as uow:  # the options offered, numbered
        state = await uow.session.get(ConversationState, ("whatsapp", PHONE))
        assert state is not None and state.options
    assert await receipts(concierge) == [("whatsapp", 1, True, None, False)]

    assert later is not None
    await later()
    assert whatsapp.twilio.sent[0].body.startswith("How may I help you")


# -- a failure, a repeat -----------------------------------------------------------------------


async def test_a_handler_that_breaks_is_answered_200_keeps_nothing_and_is_tried_again(
    telegram: Telegram, api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    concierge, channel = telegram.concierge, telegram.app.state.telegram
    broke: list[str] = []
    channel.engine.router = breaking_once(broke)

    response = await telegram.post(message_update("my secret wish list"))

    assert response.status_code == 200 and response.json() == {"ok": True}
    assert broke == ["my secret wish list"] and api.calls == []
    assert await outbox(concierge) == []  # the half answer rolled back with the rest
    async with concierge.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(ConversationState)) is None
    assert await receipts(concierge) == [("telegram", 1, False, "ConnectionResetError", True)]
    assert "wish list" not in caplog.text

    assert await channel.catch_up() == 1  # the next start

    assert [c.text for c in api.calls] == ["Answered: my secret wish list"]
    assert await receipts(concierge) == [("telegram", 2, True, "ConnectionResetError", False)]


async def test_a_whatsapp_handler_that_breaks_is_answered_and_tried_again(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    channel = whatsapp.app.state.whatsapp
    broke: list[str] = []
    channel.engine.router = breaking_once(broke)

    assert await whatsapp.send(whatsapp_form("Hello")) == []  # an empty TwiML all the same
    assert await outbox(concierge) == []
    assert await receipts(concierge) == [("whatsapp", 1, False, "ConnectionResetError", True)]

    assert await channel.catch_up() == 1
    assert [s.body for s in whatsapp.twilio.sent] == ["Answered: Hello"]


async def test_a_repeated_update_is_acknowledged_and_changes_nothing(
    telegram: Telegram, api: FakeTelegram
) -> None:
    concierge = telegram.concierge
    update = message_update("/start")
    first = await telegram.send(update)
    rows = len(await outbox(concierge))

    again = await telegram.send(update)  # Telegram sends it again: our 200 was lost

    assert first and again == []
    assert len(await outbox(concierge)) == rows
    assert await receipts(concierge) == [("telegram", 1, True, None, False)]


async def test_a_repeated_whatsapp_message_is_acknowledged_and_changes_nothing(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    form = whatsapp_form("Hello")
    first = await whatsapp.send(form)

    again = await whatsapp.send(form)

    assert first and again == []
    assert await receipts(concierge) == [("whatsapp", 1, True, None, False)]


# -- the replies after the commit ----------------------------------------------------------------


class DiesBeforeTheCall:
    """A channel whose process dies just before the platform is called."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.name = real.name
        self.paces = real.paces

    async def send(self, *args: Any) -> Any:
        raise Killed


async def test_a_web_process_killed_after_the_commit_leaves_the_reply_to_a_dispatcher(
    telegram: Telegram, api: FakeTelegram, clock: Clock
) -> None:
    concierge, channel = telegram.concierge, telegram.app.state.telegram
    sending = telegram.app.state.sending
    sending.channels["telegram"] = DiesBeforeTheCall(channel)
    later = await channel.receive(message_update("/start"))
    assert later is not None

    with pytest.raises(Killed):
        await later()  # the process ends with the reply claimed, never sent

    assert api.calls == []
    assert await sender(concierge, channel).drain() == Report()
    assert api.calls == []  # still held by the dead process
    clock.current += LEASE + timedelta(seconds=1)
    report = await sender(concierge, channel).drain()

    written = [row.body for row in await outbox(concierge)]
    assert (report.taken_back, report.sent) == (1, len(written))  # the head was held
    assert [c.text for c in api.calls] == written and written[0].startswith("Welcome")
    assert {c.chat_id for c in api.calls} == {ME}
    assert await sender(concierge, channel).drain() == Report()  # once only
    assert len(api.calls) == len(written)


def ordered(router: Router) -> Router:
    """Two replies to each message, naming it."""

    @router.otherwise
    async def twice(turn: Turn) -> list[Reply]:
        said = turn.inbound.text or ""
        return [Reply(f"{said}: first"), Reply(f"{said}: second")]

    return router


async def test_replies_to_messages_handled_at_once_arrive_in_the_order_written(
    telegram: Telegram, api: FakeTelegram
) -> None:
    concierge, channel = telegram.concierge, telegram.app.state.telegram
    channel.engine.router = ordered(Router())
    said = [f"message {n}" for n in range(6)]

    responses = await asyncio.gather(*(telegram.post(message_update(s)) for s in said))

    assert {r.status_code for r in responses} == {200}
    rows = await outbox(concierge)
    written = [row.body for row in rows]
    sent = [c.text for c in api.calls]
    assert sorted(sent) == sorted(f"{s}: {n}" for s in said for n in ("first", "second"))
    assert sent == written  # each exactly once, in the order the transactions wrote them
    for s in said:  # and each message's own replies in theirs
        assert sent.index(f"{s}: first") < sent.index(f"{s}: second")
    assert {row.status for row in rows} == {"sent"}
