"""Repositories for events: the events, their guest lists and the answers to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty import records
from loyalty.events import HOLDING, OFFERED, WAITING
from storage.models import Event, EventGuest, Rsvp


class Events:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, guests: Sequence[int], **fields: object) -> Event:
        event = Event(seats_taken=0, **fields)
        self.session.add(event)
        await self.session.flush()
        self.session.add_all(EventGuest(event_id=event.id, member_id=m) for m in set(guests))
        await self.session.flush()
        return event

    async def get(self, event_id: int, lock: bool = False) -> Event | None:
        """The event; with `lock`, held until the transaction ends (seats change under it)."""
        return await self.session.get(Event, event_id, with_for_update=lock or None)

    async def upcoming(self, now: datetime) -> list[Event]:
        return list(
            await self.session.scalars(
                select(Event)
                .where(Event.cancelled_at.is_(None), Event.ends_at > now)
                .order_by(Event.starts_at, Event.id)
            )
        )

    async def all(self) -> list[Event]:
        return list(await self.session.scalars(select(Event).order_by(Event.starts_at)))

    async def guests(self, event_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(EventGuest.member_id).where(EventGuest.event_id == event_id)
        )
        return set(rows)

    async def change(self, event: records.Event, guests: Iterable[int], **fields: object) -> None:
        for name, value in fields.items():
            setattr(event, name, value)
        await self.session.execute(delete(EventGuest).where(EventGuest.event_id == event.id))
        self.session.add_all(EventGuest(event_id=event.id, member_id=m) for m in set(guests))
        await self.session.flush()

    async def starting_between(self, start: datetime, end: datetime) -> list[Event]:
        return list(
            await self.session.scalars(
                select(Event).where(
                    Event.cancelled_at.is_(None), Event.starts_at > start, Event.starts_at <= end
                )
            )
        )


class Rsvps:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, event_id: int, member_id: int) -> Rsvp | None:
        return await self.session.scalar(
            select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.member_id == member_id)
        )

    async def change(self, row: records.Rsvp, **fields: object) -> None:
        """Write an answer's new state now: the next reads in the transaction (a place in
        line, the next waiting) see it."""
        for name, value in fields.items():
            setattr(row, name, value)
        await self.session.flush()

    async def add(self, **fields: object) -> Rsvp:
        row = Rsvp(**fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def of_member(self, member_id: int) -> dict[int, Rsvp]:
        rows = await self.session.scalars(select(Rsvp).where(Rsvp.member_id == member_id))
        return {row.event_id: row for row in rows}

    async def for_event(self, event_id: int, statuses: Sequence[str] | None = None) -> list[Rsvp]:
        query = select(Rsvp).where(Rsvp.event_id == event_id)
        if statuses is not None:
            query = query.where(Rsvp.status.in_(statuses))
        return list(await self.session.scalars(query.order_by(Rsvp.waiting_since, Rsvp.id)))

    async def first_waiting(self, event_id: int) -> Rsvp | None:
        return await self.session.scalar(
            select(Rsvp)
            .where(Rsvp.event_id == event_id, Rsvp.status == WAITING)
            .order_by(Rsvp.waiting_since, Rsvp.id)
            .limit(1)
        )

    async def place_in_line(self, row: records.Rsvp) -> int:
        """1 for the first waiting, 2 for the next..."""
        ahead = await self.session.scalar(
            select(func.count())
            .select_from(Rsvp)
            .where(
                Rsvp.event_id == row.event_id,
                Rsvp.status == WAITING,
                (Rsvp.waiting_since < row.waiting_since)
                | ((Rsvp.waiting_since == row.waiting_since) & (Rsvp.id < row.id)),
            )
        )
        return int(ahead or 0) + 1

    async def offers_expired(self, now: datetime) -> list[Rsvp]:
        return list(
            await self.session.scalars(
                select(Rsvp)
                .where(Rsvp.status == OFFERED, Rsvp.offered_until <= now)
                .order_by(Rsvp.offered_until)
            )
        )

    async def holding(self, event_id: int) -> int:
        seats = await self.session.scalar(
            select(func.coalesce(func.sum(1 + Rsvp.plus_ones), 0)).where(
                Rsvp.event_id == event_id, Rsvp.status.in_(HOLDING)
            )
        )
        return int(seats or 0)

    async def release_all(self, event_id: int, status: str, now: datetime) -> None:
        await self.session.execute(
            update(Rsvp).where(Rsvp.event_id == event_id).values(status=status, answered_at=now)
        )
