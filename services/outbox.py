"""The outbox as staff see it: the newest messages, and their word on one (again, never)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from loyalty.records import OutboxMessage
from loyalty.stores import UnitOfWork


class OutboxError(ValueError):
    """A message staff cannot change; the text says why."""


async def latest(uow: UnitOfWork, last: int, status: str | None) -> Sequence[OutboxMessage]:
    return await uow.outbox.latest(last, status)


async def decide(uow: UnitOfWork, row_id: int, status: str, now: datetime) -> OutboxMessage:
    """Send a message again (pending) or never (cancelled), if it is not under way."""
    row = await uow.outbox.decide(row_id, status, now)
    if row is None:
        raise OutboxError(f"message {row_id}: no such message, or it cannot change now")
    return row
