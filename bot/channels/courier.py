"""What waits in the outbox for one chat goes out oldest first, one at a time, in order.

Each transaction records the last call's outcome and claims the next message, so a
message is sent at most once and none is forgotten: what a stop leaves pending is sent by
the next flush (the chat's next message, or the next start).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.bootstrap import Concierge
from storage.models import OutboxMessage
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Outcome:
    """What became of one call: the status it leaves the message in, and what to do next."""

    row: OutboxMessage
    status: str
    provider_id: str | None = None
    error: str | None = None
    code: str | None = None
    stop: bool = False  # the provider is unreachable or busy: the rest waits for later
    wait: float = 0.0  # the provider asked us to slow down: seconds before the next call


class Post(Protocol):
    """How a channel sends one outbox message."""

    async def prepare(self, uow: UnitOfWork, row: OutboxMessage) -> Any | None:
        """The request for the provider; None when the message is not to go now (the
        channel has put it back or settled it)."""

    async def call(self, row: OutboxMessage, request: Any) -> Outcome: ...

    async def record(self, uow: UnitOfWork, outcome: Outcome) -> None: ...


Then = Callable[[set[tuple[str, str]]], Awaitable[None]]


class Courier:
    """One sender per chat in this process: a flush asked for while another runs is left
    to it (it looks again before it stops). What recording an outcome queued for other
    chats (staff told a message failed) goes to `then`."""

    def __init__(self, app: Concierge, channel: str, post: Post, then: Then | None = None) -> None:
        self.app = app
        self.channel = channel
        self.post = post
        self.then = then
        self._busy: set[str] = set()
        self._again: set[str] = set()

    async def flush(self, address: str) -> None:
        if address in self._busy:
            self._again.add(address)
            return
        self._busy.add(address)
        queued: set[tuple[str, str]] = set()
        try:
            await self._drain(address, queued)
        finally:
            self._busy.discard(address)
            self._again.discard(address)
        queued.discard((self.channel, address))
        if queued and self.then is not None:
            await self.then(queued)

    async def _drain(self, address: str, queued: set[tuple[str, str]]) -> None:
        outcome: Outcome | None = None
        while True:
            async with self.app.db.unit_of_work() as uow:
                row, request = None, None
                if outcome is not None:
                    await self.post.record(uow, outcome)
                if outcome is None or not (outcome.stop or outcome.wait):
                    row = await uow.outbox.claim_next(self.channel, address, self.app.clock())
                    request = await self.post.prepare(uow, row) if row is not None else None
                await uow.commit()
            queued |= uow.outbox.touched
            if outcome is not None and outcome.stop:
                return
            if outcome is not None and outcome.wait:
                await self.app.sleep(outcome.wait)
                outcome = None
                continue
            if row is None:
                if address not in self._again:
                    return
                self._again.discard(address)  # someone queued more meanwhile: look again
                outcome = None
                continue
            outcome = None
            if request is not None:
                outcome = await self.post.call(row, request)
