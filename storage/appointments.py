"""Repositories for appointments: staff hours, store closures, bookings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.booking import BOOKED, Busy
from storage.models import Appointment, Closure, Staff, StaffHours


class Schedules:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def set_hours(
        self, staff_id: int, weekday: int, start: time | None, end: time | None
    ) -> None:
        """A staff member's hours on a weekday (None: not working that day)."""
        await self.session.execute(
            delete(StaffHours).where(
                StaffHours.staff_id == staff_id, StaffHours.weekday == weekday
            )
        )
        if start is not None and end is not None:
            self.session.add(StaffHours(staff_id=staff_id, weekday=weekday, start=start, end=end))
        await self.session.flush()

    async def hours(self, staff_ids: Sequence[int]) -> dict[int, list[tuple[int, time, time]]]:
        rows = await self.session.execute(
            select(StaffHours.staff_id, StaffHours.weekday, StaffHours.start, StaffHours.end)
            .where(StaffHours.staff_id.in_(staff_ids))
            .order_by(StaffHours.staff_id, StaffHours.weekday, StaffHours.start)
        )
        found: dict[int, list[tuple[int, time, time]]] = {}
        for staff_id, weekday, start, end in rows:
            found.setdefault(staff_id, []).append((weekday, start, end))
        return found

    async def lock_staff(self, staff_ids: Sequence[int]) -> None:
        """Hold these staff members' rows: their bookings change one transaction at a time."""
        await self.session.execute(
            select(Staff.id)
            .where(Staff.id.in_(sorted(staff_ids)))
            .order_by(Staff.id)
            .with_for_update()
        )

    async def close(self, day: date, reason: str) -> None:
        row = await self.session.get(Closure, day)
        if row is None:
            self.session.add(Closure(day=day, reason=reason))
        else:
            row.reason = reason
        await self.session.flush()

    async def reopen(self, day: date) -> bool:
        result = await self.session.execute(delete(Closure).where(Closure.day == day))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def closures(self, since: date | None = None) -> list[Closure]:
        query = select(Closure).order_by(Closure.day)
        if since is not None:
            query = query.where(Closure.day >= since)
        return list(await self.session.scalars(query))


class Appointments:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **fields: object) -> Appointment:
        row = Appointment(status=BOOKED, **fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, appointment_id: int, lock: bool = False) -> Appointment | None:
        """The booking; `lock`: held until the transaction ends, so that two changes to it
        take turns and the second sees what the first did."""
        return await self.session.get(Appointment, appointment_id, with_for_update=lock or None)

    async def busy(
        self,
        staff_ids: Sequence[int],
        start: datetime,
        end: datetime,
        excluding: int | None = None,
    ) -> list[Busy]:
        """Booked time (with buffers) of these staff members that reaches into [start, end)."""
        query = select(Appointment).where(
            Appointment.staff_id.in_(staff_ids), Appointment.status == BOOKED,
            Appointment.starts_at < end, Appointment.block_end > start,
        )  # fmt: skip
        if excluding is not None:
            query = query.where(Appointment.id != excluding)
        return [
            Busy(a.staff_id, a.starts_at, a.block_end) for a in await self.session.scalars(query)
        ]

    async def upcoming(self, member_id: int, now: datetime) -> list[Appointment]:
        return list(
            await self.session.scalars(
                select(Appointment)
                .where(
                    Appointment.member_id == member_id,
                    Appointment.status == BOOKED,
                    Appointment.starts_at > now,
                )
                .order_by(Appointment.starts_at)
            )
        )

    async def between(self, start: datetime, end: datetime) -> list[Appointment]:
        return list(
            await self.session.scalars(
                select(Appointment)
                .where(Appointment.starts_at >= start, Appointment.starts_at < end)
                .order_by(Appointment.starts_at, Appointment.id)
            )
        )

    async def of_member(self, member_id: int) -> list[Appointment]:
        """Every booking of a member, past and to come, cancelled too."""
        return list(
            await self.session.scalars(
                select(Appointment)
                .where(Appointment.member_id == member_id)
                .order_by(Appointment.starts_at, Appointment.id)
            )
        )

    async def forget_notes(self, member_id: int) -> int:
        """Clear what a member wrote or showed for their bookings (notes, photos)."""
        result = await self.session.execute(
            update(Appointment)
            .where(Appointment.member_id == member_id)
            .values(note="", photo=None)
            .execution_options(synchronize_session="fetch")
        )
        return result.rowcount  # type: ignore[attr-defined]
