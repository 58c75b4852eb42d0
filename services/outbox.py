"""The outbox as staff see it: the newest messages, and their word on one (again, never)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

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


async def decide_in_office(
    uow: UnitOfWork, email: str, row_id: int, status: str, now: datetime
) -> OutboxMessage:
    """`decide`, by someone signed in to the back office: written in its audit log."""
    row = await decide(uow, row_id, status, now)
    done = "retried" if status == "pending" else "cancelled"
    await uow.office.audit(email, f"message-{done}:{row_id}", now)
    return row


async def queue(uow: UnitOfWork, now: datetime, rows: Sequence[Mapping[str, Any]]) -> None:
    """A message's replies, in order, written in the transaction that decided them; sent
    right after its commit."""
    await uow.outbox.add_replies(now, [dict(row) for row in rows])


async def advance(
    uow: UnitOfWork, row_id: int, channel: str, status: str, now: datetime,
    provider_id: str, error_code: str | None,
) -> OutboxMessage | None:  # fmt: skip
    """A platform's word on a message it took: the message, when its status moved forward;
    None when it is unknown, another channel's, about another message, or not forward."""
    row = await uow.outbox.get(row_id)
    if row is None or row.channel != channel:
        return None
    moved = await uow.outbox.advance(
        row, status, now, provider_id=provider_id, error_code=error_code
    )
    return row if moved else None


async def reported(
    uow: UnitOfWork, row_id: int, status: str, now: datetime, error_code: str | None = None
) -> None:
    """What became of a message sent before this database knew of it (a club's history
    brought in), as its provider last said: sent, delivered or read, or refused with the
    provider's code."""
    error = f"refused by the provider ({error_code})" if error_code else None
    await uow.outbox.settle(row_id, status, now, error=error, code=error_code, tried=True)
