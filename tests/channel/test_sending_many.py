"""Many sends in flight: one channel's pace never holds up another's; a call that missed
its moment takes a new one rather than crowd the calls that kept theirs; a stop ends the
round under way before what it held is given back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from loyalty.pace import InMemoryBudgets, Pace
from loyalty.ports import BeforeCall, Outcome, Outgoing, Sent
from services import sending as sending_module
from services.sending import BATCH, IN_FLIGHT, Sender
from storage.models import OutboxMessage


class Chats:
    """A channel that sends at once, or, `held`, only once `go` is set; no pace."""

    def __init__(self, name: str, held: bool = False) -> None:
        self.name = name
        self.go = asyncio.Event()
        if not held:
            self.go.set()
        self.sent: list[str] = []
        self.calls = 0  # calls made (answered or not)

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return []

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        await before_call()
        self.calls += 1
        await self.go.wait()
        self.sent.append(message.address)
        return Sent(f"{self.name}:{message.id}")


class Moments:
    """Budgets that grant each call the moment it asks for (or `ahead` of it), and note it."""

    def __init__(self, ahead: float = 0.0) -> None:
        self.asked: list[float] = []
        self.ahead = ahead

    async def reserve(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        self.asked.append(now)
        return now + self.ahead

    async def ready(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        return now

    async def forget_idle(self, before: float) -> int:
        return 0


async def queue(concierge: Concierge, channel: str, chats: int) -> None:
    async with concierge.db.unit_of_work() as uow:
        for n in range(chats):
            await uow.outbox.add(
                concierge.clock(), channel=channel, address=str(n), kind="reply",
                body=f"reply {n}", variables={},
            )  # fmt: skip
        await uow.commit()


def sender(
    concierge: Concierge,
    channels: list[Any],
    budgets: Any,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    monotonic: Callable[[], float] = lambda: 0.0,
) -> Sender:
    return Sender(
        concierge.db.unit_of_work, concierge.program, {c.name: c for c in channels}, budgets,
        concierge.clock, "test-sender", sleep=sleep or concierge.sleep, jitter=lambda: 1.0,
        monotonic=monotonic,
    )  # fmt: skip


async def test_a_channel_waiting_on_its_platform_does_not_hold_up_another(
    concierge: Concierge,
) -> None:
    slow, quick = Chats("telegram", held=True), Chats("whatsapp")
    await queue(concierge, "telegram", IN_FLIGHT + 6)  # more than a channel's sends at once
    await queue(concierge, "whatsapp", 250)  # more than one batch
    draining = asyncio.create_task(sender(concierge, [slow, quick], Moments()).drain())

    for _ in range(6000):  # up to a minute on a busy machine; done as soon as all went
        if len(quick.sent) == 250:
            break
        await asyncio.sleep(0.01)
    sent_meanwhile = len(quick.sent)
    slow.go.set()
    report = await draining

    assert sent_meanwhile == 250  # all of WhatsApp's while Telegram's calls hung
    assert report.sent == IN_FLIGHT + 6 + 250


class OneChatHangs(Chats):
    """A channel whose calls to chat "0" hang until `go` is set; every other chat's go."""

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        await before_call()
        if message.address == "0":
            await self.go.wait()
        self.sent.append(message.address)
        return Sent(f"{self.name}:{message.id}")


async def test_a_hanging_call_does_not_hold_up_the_chats_claimed_after_it(
    concierge: Concierge,
) -> None:
    channel = OneChatHangs("telegram", held=True)
    await queue(concierge, "telegram", BATCH + 50)  # chat "0" is claimed first
    draining = asyncio.create_task(sender(concierge, [channel], Moments()).drain())

    for _ in range(6000):  # up to a minute on a busy machine; done as soon as all went
        if len(channel.sent) == BATCH + 49:
            break
        await asyncio.sleep(0.01)
    sent_meanwhile = len(channel.sent)
    channel.go.set()
    report = await draining

    # more were claimed as those held went, not once the whole first claim was done
    assert sent_meanwhile == BATCH + 49 and "0" not in channel.sent[:-1]
    assert report.sent == BATCH + 50


class GroupAndChats(Chats):
    """A bot's chats on the bot's pace, each on its own too; "group" on a minute's."""

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        own = Pace.per_minute(1) if message.address == "group" else Pace.per_second(1, burst=3)
        return [("bot", Pace.per_second(25)), (message.address, own)]


async def test_a_post_waiting_for_its_groups_minute_holds_back_no_members_reply(
    concierge: Concierge,
) -> None:
    channel, budgets = GroupAndChats("telegram"), InMemoryBudgets()
    budgets.tats["group"] = concierge.clock().timestamp() + 60  # a post just went
    async with concierge.db.unit_of_work() as uow:
        await uow.outbox.add(
            concierge.clock(), channel="telegram", address="group", kind="reply", body="post",
            variables={},
        )  # fmt: skip
        await uow.commit()
    await queue(concierge, "telegram", 5)

    async def long_ones_never_end(seconds: float) -> None:
        await (forever(seconds) if seconds >= 10 else concierge.sleep(seconds))

    sending = sender(concierge, [channel], budgets, sleep=long_ones_never_end)
    round_ = asyncio.create_task(sending.drain())
    for _ in range(6000):  # up to a minute on a busy machine; done as soon as all went
        if len(channel.sent) == 5:
            break
        await asyncio.sleep(0.01)
    sent_meanwhile = sorted(channel.sent)
    await sending.release()

    assert sent_meanwhile == ["0", "1", "2", "3", "4"] and round_.done()


async def test_a_stop_while_messages_wait_for_their_moment_ends_the_round_at_once(
    concierge: Concierge,
) -> None:
    channel = Chats("telegram")
    await queue(concierge, "telegram", 5)
    sending = sender(concierge, [channel], Moments(ahead=60.0), sleep=forever)
    round_ = asyncio.create_task(sending.drain())  # as the worker's scheduler runs it
    while len(await held(concierge)) < 5:
        await asyncio.sleep(0.01)

    await sending.release()  # SIGTERM

    assert round_.done() and not round_.cancelled()  # it ended itself, between statements
    assert await held(concierge) == [] and channel.sent == []
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.outbox.latest(10)
    assert {(row.status, row.attempts) for row in rows} == {("pending", 0)}


async def test_a_stop_during_a_call_that_never_answers_ends_the_round(
    concierge: Concierge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending_module, "ROUND_END", 0.05)  # how long a stop waits for it
    hung = Chats("telegram", held=True)
    await queue(concierge, "telegram", 5)
    sending = sender(concierge, [hung], Moments())
    round_ = asyncio.create_task(sending.drain())
    while hung.calls < 5:  # every call out, none answered
        await asyncio.sleep(0.01)

    await sending.release()
    hung.go.set()
    await asyncio.sleep(0.05)

    assert round_.cancelled()
    assert await held(concierge) == [] and hung.sent == []


async def test_a_stop_during_a_reply_sent_at_once_waits_for_its_result(
    concierge: Concierge,
) -> None:
    """Cancelled between its call and its record, the reply would be given back and sent
    again by the next process."""
    channel = Chats("telegram", held=True)
    await queue(concierge, "telegram", 1)
    sending = sender(concierge, [channel], Moments())
    at_once = asyncio.create_task(sending.send_chats({("telegram", "0")}))  # a web request's
    while channel.calls < 1:
        await asyncio.sleep(0.01)

    stopping = asyncio.create_task(sending.release())
    done, _ = await asyncio.wait({stopping}, timeout=0.2)
    channel.go.set()  # Telegram answers
    await stopping

    assert done == set()  # the stop waited for the answer
    assert at_once.done() and not at_once.cancelled()
    async with concierge.db.unit_of_work() as uow:
        [row] = await uow.outbox.latest(10)
    assert (row.status, row.attempts) == ("sent", 1)


async def forever(seconds: float) -> None:
    """A pause that lasts until it is cut short."""
    await asyncio.Event().wait()


async def held(concierge: Concierge) -> list[OutboxMessage]:
    async with concierge.db.unit_of_work() as uow:
        return list(
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.claimed_by.is_not(None))
            )
        )


class Overslept:
    """A busy process: each pause lasts a tenth of a second longer than asked."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + 0.1


async def test_a_call_that_missed_its_moment_takes_a_new_one(concierge: Concierge) -> None:
    await queue(concierge, "telegram", 1)
    channel, budgets, busy = Chats("telegram"), Moments(ahead=0.5), Overslept()

    report = await sender(concierge, [channel], budgets, busy.sleep, busy.monotonic).drain()

    assert report.sent == 1
    assert len(budgets.asked) == 2  # its pause outlasted its moment: a new moment
