"""Repositories for conversations with staff: who the staff are, open handoffs, transcripts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty import records
from storage.models import Handoff, Staff, TranscriptLine
from storage.repositories import at_chats

OPEN, CLOSED = "open", "closed"


class StaffMembers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, telegram_user_id: int, name: str, role: str, now: datetime) -> Staff:
        """Register someone (again: a removed person comes back with the new name and role)."""
        row = await self.session.scalar(
            select(Staff).where(Staff.telegram_user_id == telegram_user_id)
        )
        if row is None:
            row = Staff(telegram_user_id=telegram_user_id, added_at=now)
            self.session.add(row)
        row.name, row.role, row.removed_at = name, role, None
        await self.session.flush()
        return row

    async def remove(self, telegram_user_id: int, now: datetime) -> Staff | None:
        row = await self.acting(telegram_user_id)
        if row is not None:
            row.removed_at = now
        return row

    async def acting(self, telegram_user_id: int) -> Staff | None:
        """The registered (not removed) staff member with this Telegram id."""
        return await self.session.scalar(
            select(Staff).where(
                Staff.telegram_user_id == telegram_user_id, Staff.removed_at.is_(None)
            )
        )

    async def all(self) -> list[Staff]:
        return list(
            await self.session.scalars(
                select(Staff).where(Staff.removed_at.is_(None)).order_by(Staff.name)
            )
        )

    async def get(self, staff_id: int) -> Staff | None:
        return await self.session.get(Staff, staff_id)


class Handoffs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(
        self, member_id: int | None, channel: str, address: str, reason: str, now: datetime
    ) -> tuple[Handoff, bool]:
        """The open handoff of this chat, or a new one; True when new.

        Two messages opening one at once: the partial UNIQUE index lets one commit.
        """
        row = await self.open_for(channel, address)
        if row is not None:
            return row, False
        row = Handoff(
            member_id=member_id, channel=channel, address=address, status=OPEN, reason=reason,
            requested_at=now,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return row, True

    async def open_for(self, channel: str, address: str) -> Handoff | None:
        return await self.session.scalar(
            select(Handoff).where(
                Handoff.channel == channel, Handoff.address == address, Handoff.status == OPEN
            )
        )

    async def open_ones(self, limit: int) -> list[Handoff]:
        """The conversations still open with staff, the longest waiting first."""
        query = select(Handoff).where(Handoff.status == OPEN).order_by(Handoff.requested_at)
        return list(await self.session.scalars(query.limit(limit)))

    async def set_thread(self, handoff_id: int, thread_id: int) -> None:
        await self.session.execute(
            update(Handoff).where(Handoff.id == handoff_id).values(thread_id=thread_id)
        )

    async def by_thread(self, thread_id: int) -> Handoff | None:
        """The conversation a staff-group topic holds (the latest, should one be reused)."""
        return await self.session.scalar(
            select(Handoff)
            .where(Handoff.thread_id == thread_id)
            .order_by(Handoff.id.desc())
            .limit(1)
        )

    async def get(self, handoff_id: int) -> Handoff | None:
        return await self.session.get(Handoff, handoff_id)

    async def close(self, row: records.Handoff, staff_id: int | None, now: datetime) -> None:
        row.status, row.closed_at, row.closed_by = CLOSED, now, staff_id
        await self.session.flush()

    async def of_member(
        self, member_id: int, chats: Sequence[tuple[str, str]] = ()
    ) -> list[Handoff]:
        """A member's conversations with staff, and those from their `chats` before they
        joined (no member then)."""
        before = and_(
            Handoff.member_id.is_(None), at_chats(Handoff.channel, Handoff.address, chats)
        )
        return list(
            await self.session.scalars(
                select(Handoff)
                .where(or_(Handoff.member_id == member_id, before))
                .order_by(Handoff.id)
            )
        )

    async def closed_before(self, cutoff: datetime, limit: int = 500) -> list[Handoff]:
        """Conversations past the retention period, oldest first."""
        return list(
            await self.session.scalars(
                select(Handoff)
                .where(Handoff.status == CLOSED, Handoff.closed_at < cutoff)
                .order_by(Handoff.closed_at)
                .limit(limit)
            )
        )

    async def delete(self, rows: Sequence[records.Handoff]) -> None:
        """Delete conversations with their transcripts (and what waited to be posted)."""
        ids = [row.id for row in rows]
        if ids:
            await self.session.execute(
                delete(TranscriptLine).where(TranscriptLine.handoff_id.in_(ids))
            )
            await self.session.execute(delete(Handoff).where(Handoff.id.in_(ids)))


class Transcripts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        handoff_id: int,
        author: str,
        text: str,
        now: datetime,
        staff_id: int | None = None,
        photo: str | None = None,
    ) -> None:
        self.session.add(
            TranscriptLine(
                handoff_id=handoff_id, author=author, text=text, at=now, staff_id=staff_id,
                photo=photo,
            )
        )  # fmt: skip

    async def of(self, handoff_id: int) -> list[TranscriptLine]:
        return list(
            await self.session.scalars(
                select(TranscriptLine)
                .where(TranscriptLine.handoff_id == handoff_id)
                .order_by(TranscriptLine.id)
            )
        )
