"""The outbox's leases: which sender holds which message, until when, and what goes back
when a sender stops or its lease runs out.

Apart from the outbox's contents (storage/outbox.py): these are the statements the senders
race on, and the only ones that may skip a row another holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage
from storage.outbox import CLAIMED, HELD, PENDING, SENDING, UNCERTAIN, UNDER_WAY


class Leases:
    """Claims on outbox rows, by sender (`worker`), each with a lease renewed while alive."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_ready(
        self, worker: str, now: datetime, lease: timedelta, limit: int, channels: Sequence[str]
    ) -> list[OutboxMessage]:
        """Due messages on these channels, held by `worker` until the lease ends: the
        scheduled ones, and the first waiting of each chat's ordered ones (replies, relays,
        staff-group posts go one after the other).

        PostgreSQL skips rows another sender holds (FOR UPDATE SKIP LOCKED); SQLite's
        writers take turns anyway (BEGIN IMMEDIATE).
        """
        ready = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.channel.in_(channels),
                or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now),
                or_(OutboxMessage.purpose.is_not(None), ~_behind()),
            )
            .order_by(
                func.coalesce(OutboxMessage.due_at, OutboxMessage.created_at), OutboxMessage.id
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return await self._hold(OutboxMessage.id.in_(ready.scalar_subquery()), worker, now, lease)

    async def claim_head(
        self, channel: str, address: str, worker: str, now: datetime, lease: timedelta
    ) -> OutboxMessage | None:
        """The first of this chat's ordered messages, when it is due and no other sender
        holds it; held by `worker`."""
        head = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.purpose.is_(None),
                OutboxMessage.status.in_(UNDER_WAY),
            )
            .order_by(OutboxMessage.id)
            .limit(1)
            .scalar_subquery()
        )
        due = or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now)
        rows = await self._hold(
            and_(OutboxMessage.id == head, OutboxMessage.status == PENDING, due),
            worker,
            now,
            lease,
        )
        return rows[0] if rows else None

    async def claim_one(
        self, row_id: int, worker: str, now: datetime, lease: timedelta
    ) -> OutboxMessage | None:
        """This pending message, held by `worker`, whatever its turn; None when it is not
        pending (any more)."""
        rows = await self._hold(
            and_(OutboxMessage.id == row_id, OutboxMessage.status == PENDING), worker, now, lease
        )
        return rows[0] if rows else None

    async def _hold(
        self, which: ColumnElement[bool], worker: str, now: datetime, lease: timedelta
    ) -> list[OutboxMessage]:
        rows = await self.session.scalars(
            update(OutboxMessage)
            .where(which)
            .values(status=CLAIMED, claimed_by=worker, lease_until=now + lease, updated_at=now)
            .returning(OutboxMessage),
            execution_options={"populate_existing": True},
        )
        return sorted(rows.all(), key=lambda row: row.id)

    async def renew(self, worker: str, now: datetime, lease: timedelta) -> int:
        """`worker` is alive: the messages it holds stay its own a lease longer."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by == worker, OutboxMessage.status.in_(HELD))
            .values(lease_until=now + lease)
        )
        return result.rowcount  # type: ignore[attr-defined]

    async def start_call(self, row_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
        """Mark a held message sending, just before its call; False if no longer ours."""
        started = await self.session.scalar(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == CLAIMED,
                OutboxMessage.claimed_by == worker,
            )
            .values(
                status=SENDING,
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
                lease_until=now + lease,
            )
            .returning(OutboxMessage.id)
        )
        return started is not None

    async def let_go(self, worker: str, now: datetime) -> tuple[int, int]:
        """`worker` stops: what it holds is given back now, as if its lease had ended."""
        return await self._give_back(OutboxMessage.claimed_by == worker, now)

    async def expire_leases(self, now: datetime) -> tuple[int, int]:
        """After a sender stopped: what it held but had not begun goes back to pending, and
        so do ordered messages it was sending (a reply may come twice, never not at all);
        scheduled ones it was sending become uncertain, for staff to decide. Returns (taken
        back, uncertain)."""
        return await self._give_back(OutboxMessage.lease_until < now, now)

    async def _give_back(self, whose: ColumnElement[bool], now: datetime) -> tuple[int, int]:
        back = await self.session.execute(
            update(OutboxMessage)
            .where(
                whose,
                or_(
                    OutboxMessage.status == CLAIMED,
                    and_(OutboxMessage.status == SENDING, OutboxMessage.purpose.is_(None)),
                ),
            )
            .values(status=PENDING, claimed_by=None, lease_until=None, updated_at=now)
        )
        stuck = await self.session.execute(
            update(OutboxMessage)
            .where(whose, OutboxMessage.status == SENDING, OutboxMessage.purpose.is_not(None))
            .values(
                status=UNCERTAIN, updated_at=now, claimed_by=None, lease_until=None,
                last_error="the sender stopped during the call: it may have been sent",
            )
        )  # fmt: skip
        return back.rowcount, stuck.rowcount  # type: ignore[attr-defined]


def _behind() -> ColumnElement[bool]:
    """An ordered message with an older one of its chat not yet sent: it waits its turn."""
    older = aliased(OutboxMessage)
    return (
        select(older.id)
        .where(
            older.channel == OutboxMessage.channel,
            older.address == OutboxMessage.address,
            older.purpose.is_(None),
            older.id < OutboxMessage.id,
            older.status.in_(UNDER_WAY),
        )
        .exists()
    )
