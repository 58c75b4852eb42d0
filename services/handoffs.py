"""Conversations with staff are kept only as long as the program says, then deleted with
their topic in the staff group (and at once when a member's data is erased)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from loyalty.program import Program
from loyalty.records import Handoff, OutboxMessage
from loyalty.stores import UnitOfWork
from loyalty.text import split_text
from services.wording import staff_speaker

CHANNEL = "staff"  # the outbox's name for the staff group
GROUP = "group"  # its one address: the adapter knows the chat id
POST, CLOSE, DELETE = "post", "close", "delete"  # what a staff-group row asks of Telegram
MAX_POST = 4096  # Telegram's


async def post(
    uow: UnitOfWork,
    now: datetime,
    handoff: Handoff | None,
    body: str,
    kind: str = POST,
    photo: str | None = None,
    variables: dict[str, str] | None = None,
    member_id: int | None = None,
) -> list[int]:
    """Queue a post for the staff group, in the handoff's topic (None: the General topic).

    `member_id` names the member a post is about (a topic's posts: its member), so that
    erasing them finds it. Returns the posts' ids (a long text makes several).
    """
    about = member_id if member_id is not None else handoff.member_id if handoff else None
    queued = []
    for part in split_text(body, MAX_POST) if body else [""]:
        row = await uow.outbox.add(
            now, member_id=about, channel=CHANNEL, address=GROUP, kind=kind, body=part,
            photo=photo, handoff_id=handoff.id if handoff else None, variables=variables or {},
        )  # fmt: skip
        queued.append(row.id)
        photo = None
    return queued


async def open_ones(uow: UnitOfWork, limit: int = 100) -> Sequence[Handoff]:
    """The conversations still open with staff, the longest waiting first."""
    return await uow.handoffs.open_ones(limit)


async def thread_of(uow: UnitOfWork, handoff_id: int) -> int | None:
    """The conversation's topic in the staff group, once made."""
    handoff = await uow.handoffs.get(handoff_id)
    return handoff.thread_id if handoff is not None else None


async def made_topic(uow: UnitOfWork, handoff_id: int, thread: int) -> None:
    """Keep a conversation's new topic, so that it is never made twice."""
    await uow.handoffs.set_thread(handoff_id, thread)


async def undelivered(
    uow: UnitOfWork, program: Program, now: datetime, row: OutboxMessage, why: str | None
) -> None:
    """Staff are told in the topic when what they wrote did not reach the member."""
    if row.handoff_id is None or row.channel == CHANNEL:
        return
    handoff = await uow.handoffs.get(row.handoff_id)
    if handoff is None:
        return
    _ = staff_speaker(program).gettext
    notice = _("Not delivered to the member: {reason}").format(reason=why or _("refused"))
    await post(uow, now, handoff, notice)


async def forget(uow: UnitOfWork, handoffs: Sequence[Handoff], now: datetime) -> list[int]:
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
