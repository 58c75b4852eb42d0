"""Many sends in flight: one channel's pace never holds up another's; a call that missed
its moment takes a new one rather than crowd the calls that kept theirs; a stop ends the
round under way before what it held is given back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from sqlalchemy import select

from bot.bootstrap import Concierge
from loyalty.pace import Pace
from loyalty.ports import BeforeCall, Outcome, Outgoing, Sent
from loyalty.services.sending import IN_FLIGHT, Sender
from storage.models import OutboxMessage
from storage.unit_of_work import UnitOfWork


class Chats:
    """A channel that sends at once, or, `held`, only once `go` is set; no pace."""

    def __init__(self, name: str, held: bool = False) -> None:
        self.name = name
        self.go = asyncio.Event()
        if not held:
            self.go.set()
        self.sent: list[str] = []

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return []

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        await before_call()
        await self.go.wait()
        self.sent.append(message.address)
        return Sent(f"{self.name}:{message.id}")


class Moments:
    """Budgets that grant each call a moment just after it asks, and note it."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def reserve(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        self.asked.append(now)
        return now + 0.01  # its turn comes a moment later

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


def sender(concierge: Concierge, channels: list[Any], budgets: Any, units: Any = None) -> Sender:
    return Sender(
        units or concierge.db.unit_of_work, concierge.program, {c.name: c for c in channels},
        budgets, concierge.clock, "test-sender", sleep=concierge.sleep, jitter=lambda: 1.0,
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


async def test_a_stop_during_a_round_ends_it_and_leaves_nothing_held(
    concierge: Concierge,
) -> None:
    hung = Chats("telegram", held=True)
    await queue(concierge, "telegram", 5)
    sending = sender(concierge, [hung], Moments())
    round_ = asyncio.create_task(sending.drain())  # as the worker's scheduler runs it
    while len(await held(concierge)) < 5:
        await asyncio.sleep(0.01)

    await sending.release()  # SIGTERM
    hung.go.set()
    await asyncio.sleep(0.05)

    assert round_.cancelled()
    assert await held(concierge) == [] and hung.sent == []


async def held(concierge: Concierge) -> list[OutboxMessage]:
    async with concierge.db.unit_of_work() as uow:
        return list(
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.claimed_by.is_not(None))
            )
        )


class SlowUnits:
    """Every transaction takes a tenth of a second (a busy process or database)."""

    def __init__(self, concierge: Concierge) -> None:
        self.concierge = concierge

    def __call__(self) -> SlowUnits:
        self.unit = self.concierge.db.unit_of_work()
        return self

    async def __aenter__(self) -> UnitOfWork:
        await asyncio.sleep(0.1)
        return await self.unit.__aenter__()  # type: ignore[no-any-return]

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.unit.__aexit__(kind, exc, tb)


async def test_a_call_that_missed_its_moment_takes_a_new_one(concierge: Concierge) -> None:
    await queue(concierge, "telegram", 1)
    channel, budgets = Chats("telegram"), Moments()

    report = await sender(concierge, [channel], budgets, SlowUnits(concierge)).drain()

    assert report.sent == 1
    assert len(budgets.asked) == 2  # noted as under way after its moment: a new moment
