"""Members' yearly dates, kept by month and day: a day's occasions by index, not a walk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.dates import Birthday
from loyalty.occasions import MemberDates, Yearly, yearly
from loyalty.purchases import Status
from storage.models import Anniversary, Member, OccasionDate, Purchase
from storage.repositories import chunks, core_table


class OccasionDates:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def refresh(self, member_ids: Sequence[int], store_zone: ZoneInfo) -> None:
        """Recompute the yearly dates of these members from what the club knows now."""
        for part in chunks(sorted(set(member_ids))):
            members = (
                await self.session.execute(
                    select(
                        Member.id, Member.timezone, Member.joined_at, Member.erased_at,
                        Member.birthday_month, Member.birthday_day, Member.birthday_year,
                    ).where(Member.id.in_(part))
                )
            ).all()  # fmt: skip
            firsts = dict(
                (
                    await self.session.execute(
                        select(Purchase.member_id, func.min(Purchase.purchased_at))
                        .where(Purchase.member_id.in_(part), Purchase.status == Status.PAID)
                        .group_by(Purchase.member_id)
                    )
                ).all()
            )
            declared: dict[int, dict[str, date]] = defaultdict(dict)
            rows = await self.session.execute(
                select(Anniversary.member_id, Anniversary.kind, Anniversary.on).where(
                    Anniversary.member_id.in_(part)
                )
            )
            for member_id, kind, on in rows:
                declared[member_id][kind] = on
            await self.session.execute(
                delete(OccasionDate).where(OccasionDate.member_id.in_(part))
            )
            dates = []
            for m in members:
                if m.erased_at is not None:
                    continue
                zone = ZoneInfo(m.timezone) if m.timezone else store_zone
                first = firsts.get(m.id)
                member = MemberDates(
                    m.id, zone,
                    birthday=Birthday(m.birthday_month, m.birthday_day, m.birthday_year)
                    if m.birthday_month else None,
                    joined=m.joined_at.astimezone(zone).date(),
                    first_purchase=first.astimezone(zone).date() if first else None,
                    declared=declared[m.id],
                )  # fmt: skip
                dates += [
                    {"member_id": m.id, "kind": y.kind, "month": y.month, "day": y.day,
                     "since": y.since}
                    for y in yearly(member)
                ]  # fmt: skip
            if dates:
                await self.session.execute(insert(core_table(OccasionDate)), dates)

    async def on(self, pairs: Sequence[tuple[int, int]]) -> dict[int, list[Yearly]]:
        """Members with a yearly date on one of these (month, day), by member id."""
        rows = await self.session.execute(
            select(
                OccasionDate.member_id, OccasionDate.kind, OccasionDate.month, OccasionDate.day,
                OccasionDate.since,
            ).where(or_(*(and_(OccasionDate.month == m, OccasionDate.day == d) for m, d in pairs)))
        )  # fmt: skip
        found: dict[int, list[Yearly]] = defaultdict(list)
        for member_id, kind, month, day, since in rows:
            found[member_id].append(Yearly(kind, month, day, since))
        return found

    async def of_member(self, member_id: int) -> list[Yearly]:
        """One member's yearly dates (for their export)."""
        rows = await self.session.execute(
            select(OccasionDate.kind, OccasionDate.month, OccasionDate.day, OccasionDate.since)
            .where(OccasionDate.member_id == member_id)
            .order_by(OccasionDate.month, OccasionDate.day, OccasionDate.kind)
        )
        return [Yearly(kind, month, day, since) for kind, month, day, since in rows]
