"""Conversations with staff are kept only as long as the program says, then deleted with
their topic in the staff group (and at once when a member's data is erased)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Handoff
    from storage.unit_of_work import UnitOfWork

CHANNEL = "staff"  # the outbox's name for the staff group
GROUP = "group"  # its one address: the adapter knows the chat id
DELETE = "delete"  # a staff-group row that deletes a topic


async def forget(uow: UnitOfWork, handoffs: list[Handoff], now: datetime) -> list[int]:
    """Delete conversations and their transcripts; their topics go through the group's queue
    (a row holding only the thread id). Returns those rows' ids, for a caller to send them
    at once."""
    queued = []
    for handoff in handoffs:
        if handoff.thread_id is not None:
            row = await uow.outbox.add(
                now, channel=CHANNEL, address=GROUP, kind=DELETE, body="",
                variables={"thread": str(handoff.thread_id)},
            )  # fmt: skip
            queued.append(row.id)
    await uow.handoffs.delete(handoffs)
    return queued


async def purge(uow: UnitOfWork, now: datetime, retention_days: int) -> int:
    """Forget conversations closed more than `retention_days` ago; returns how many."""
    cutoff, total = now - timedelta(days=retention_days), 0
    while batch := await uow.handoffs.closed_before(cutoff):
        await forget(uow, batch, now)
        total += len(batch)
    return total
