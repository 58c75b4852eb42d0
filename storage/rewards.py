"""Vouchers and rewards' stock: every change a conditional UPDATE, so that of members or
tills acting at once on the same thing, only as many as may take effect do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from loyalty import rewards
from loyalty.booking import BOOKED
from storage.models import Appointment, RewardStock, Voucher
from storage.repositories import Repository, chunks


def _voucher(row: Voucher) -> rewards.Voucher:
    return rewards.Voucher(
        row.id, row.member_id, row.reward, row.points, row.discount,
        rewards.Status(row.status), row.taken_at, row.expires_at, row.ended_at,
        row.appointment_id, row.used_by,
    )  # fmt: skip


class Rewards(Repository):
    async def take_stock(self, reward: str, stock: int) -> bool:
        """One more of `reward` out, unless `stock` are out already: False then."""
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        await self.session.execute(
            dialect.insert(RewardStock)
            .values(reward=reward, taken=0)
            .on_conflict_do_nothing(index_elements=["reward"])
        )
        taken = await self.session.execute(
            update(RewardStock)
            .where(RewardStock.reward == reward, RewardStock.taken < stock)
            .values(taken=RewardStock.taken + 1)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]

    async def put_back(self, reward: str) -> None:
        """One of `reward` back in stock (a voucher given back)."""
        await self.session.execute(
            update(RewardStock)
            .where(RewardStock.reward == reward, RewardStock.taken > 0)
            .values(taken=RewardStock.taken - 1)
        )

    async def out(self) -> dict[str, int]:
        """How many of each reward with a stock are out (held or used)."""
        rows = await self.session.execute(select(RewardStock.reward, RewardStock.taken))
        return {reward: taken for reward, taken in rows}

    async def taken(self, member_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """How many vouchers of each reward these members ever took, whatever became of them."""
        found: dict[int, dict[str, int]] = {}
        for part in chunks(sorted(set(member_ids))):
            rows = await self.session.execute(
                select(Voucher.member_id, Voucher.reward, func.count())
                .where(Voucher.member_id.in_(part))
                .group_by(Voucher.member_id, Voucher.reward)
            )
            for member_id, reward, count in rows:
                found.setdefault(member_id, {})[reward] = count
        return found

    async def add(
        self,
        member_id: int,
        reward: str,
        points: int,
        discount: Decimal | None,
        now: datetime,
        expires_at: datetime | None,
        appointment_id: int | None = None,
    ) -> rewards.Voucher:
        row = Voucher(
            member_id=member_id, reward=reward, points=points, discount=discount,
            status=rewards.Status.HELD, taken_at=now, expires_at=expires_at,
            appointment_id=appointment_id,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return _voucher(row)

    async def get(self, voucher_id: int) -> rewards.Voucher | None:
        row = await self.session.get(Voucher, voucher_id, populate_existing=True)
        return _voucher(row) if row is not None else None

    async def of_member(self, member_id: int) -> list[rewards.Voucher]:
        """The member's vouchers, newest first."""
        rows = await self.session.scalars(
            select(Voucher).where(Voucher.member_id == member_id).order_by(Voucher.id.desc())
        )
        return [_voucher(row) for row in rows]

    async def due(self, now: datetime, limit: int) -> list[rewards.Voucher]:
        """Held vouchers whose time is over, oldest first."""
        rows = await self.session.scalars(
            select(Voucher)
            .where(Voucher.status == rewards.Status.HELD, Voucher.expires_at <= now)
            .order_by(Voucher.expires_at, Voucher.id)
            .limit(limit)
        )
        return [_voucher(row) for row in rows]

    async def of_appointment(self, appointment_id: int) -> rewards.Voucher | None:
        """The voucher of the experience that booked `appointment_id`, if one did."""
        row = await self.session.scalar(
            select(Voucher)
            .where(Voucher.appointment_id == appointment_id)
            .execution_options(populate_existing=True)
        )
        return _voucher(row) if row is not None else None

    async def happened(self, now: datetime, limit: int) -> list[rewards.Voucher]:
        """Held vouchers of experiences whose appointment is over, still booked (a no-show
        or a cancellation ended its voucher then), soonest over first."""
        rows = await self.session.scalars(
            select(Voucher)
            .join(Appointment, Appointment.id == Voucher.appointment_id)
            .where(
                Voucher.status == rewards.Status.HELD,
                Appointment.ends_at <= now,
                Appointment.status == BOOKED,
            )
            .order_by(Appointment.ends_at, Voucher.id)
            .limit(limit)
        )
        return [_voucher(row) for row in rows]

    async def end(
        self,
        voucher_id: int,
        status: rewards.Status,
        now: datetime,
        valid_at: datetime | None = None,
        used_by: str | None = None,
    ) -> bool:
        """Move a held voucher to `status` (still valid at `valid_at`, when given), saying
        what used it; False when it is no longer held, or no longer valid: someone else
        ended it first."""
        still = [Voucher.id == voucher_id, Voucher.status == rewards.Status.HELD]
        if valid_at is not None:
            still.append(or_(Voucher.expires_at.is_(None), Voucher.expires_at > valid_at))
        ended = await self.session.execute(
            update(Voucher)
            .where(*still)
            .values(status=status, ended_at=now, used_by=used_by)
            .execution_options(synchronize_session=False)
        )
        return bool(ended.rowcount)  # type: ignore[attr-defined]
