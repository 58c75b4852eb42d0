"""The club's figures as SQL aggregates (loyalty.figures.FiguresStore): every query groups on
the server and answers a few rows per month, on SQLite as on PostgreSQL.

Months are not truncated in SQL (each database does it its own way, and in UTC): a row falls
in the month whose edges, computed in the club's zone, surround it (a CASE over the edges).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from loyalty.figures import EventFigures, Sums, Tally
from loyalty.program import Program
from loyalty.purchases import Status
from loyalty.segments import Segment
from storage.flags import KEPT, segment_flags
from storage.models import (
    Appointment,
    Consent,
    Event,
    Handoff,
    Member,
    OutboxMessage,
    Purchase,
    PurchaseSummary,
    Rsvp,
    TierStatus,
    TranscriptLine,
)

EVENTS_SHOWN = 100


def _month(column: Any, edges: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the month `column` falls in (rows outside are filtered by `_within`)."""
    return case(*[(column < edge, index) for index, edge in enumerate(edges[1:])], else_=-1)


def _within(column: Any, edges: Sequence[datetime]) -> ColumnElement[bool]:
    return and_(column >= edges[0], column < edges[-1])


class Figures:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._ready = False

    async def _prepare(self) -> None:
        """PostgreSQL: no JIT for these queries, and room to aggregate in memory. The planner
        overrates their joins (millions of rows where there are thousands) and compiled one
        for 3.7 s to run it in 1.2 s; its sorts of the purchases spilled to disk at the default
        4 MB (docs/benchmarks.md, issue 19). Both settings end with the transaction."""
        if not self._ready and self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SET LOCAL jit = off"))
            await self.session.execute(text("SET LOCAL work_mem = '64MB'"))
        self._ready = True

    async def _run(self, query: Any) -> Any:
        await self._prepare()
        return await self.session.execute(query)

    async def _scalar(self, query: Any) -> Any:
        await self._prepare()
        return await self.session.scalar(query)

    def _days(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        """Days between two times, with their fraction."""
        if self.session.get_bind().dialect.name == "sqlite":
            return func.julianday(later) - func.julianday(earlier)
        return cast(func.extract("epoch", later - earlier), Float) / 86400

    async def _tallies(self, query: Any) -> list[Tally]:
        return [Tally(int(m), str(k), int(n)) for m, k, n in await self._run(query)]

    async def joined(self, edges: Sequence[datetime]) -> tuple[int, list[Tally]]:
        """Members (not erased) who joined before the range, and in each month of it."""
        alive = Member.erased_at.is_(None)
        before = await self._scalar(select(func.count()).where(alive, Member.joined_at < edges[0]))
        month = _month(Member.joined_at, edges)
        rows = await self._tallies(
            select(month, literal("joined"), func.count())
            .where(alive, _within(Member.joined_at, edges))
            .group_by(month)
        )
        return int(before or 0), rows

    async def tiers_now(self, entry: str) -> list[Tally]:
        """Members (not erased) by their tier now; one without a tier row is in `entry`."""
        tier = func.coalesce(TierStatus.tier, entry)
        return await self._tallies(
            select(literal(-1), tier, func.count())
            .select_from(Member)
            .outerjoin(TierStatus, TierStatus.member_id == Member.id)
            .where(Member.erased_at.is_(None))
            .group_by(tier)
        )

    async def tier_moves(self, edges: Sequence[datetime], entry: str) -> list[Tally]:
        """Members whose tier now began in each month, by that tier: only the latest move of
        each member is kept (tier_status). Back in `entry` after joining is a move down."""
        month = _month(TierStatus.since, edges)
        return await self._tallies(
            select(month, TierStatus.tier, func.count())
            .join(Member, Member.id == TierStatus.member_id)
            .where(
                Member.erased_at.is_(None),
                _within(TierStatus.since, edges),
                or_(TierStatus.tier != entry, TierStatus.since > Member.joined_at),
            )
            .group_by(month, TierStatus.tier)
        )

    async def segments_now(self, now: datetime, program: Program) -> list[Tally]:
        """How many members (not erased) are in each segment now; one may be in several."""
        flags = segment_flags(now, program)
        row = (await self._run(select(*[func.sum(flags.c[s]) for s in Segment]))).one()
        return [Tally(-1, str(s), int(n or 0)) for s, n in zip(Segment, row, strict=True)]

    async def returns(self, edges: Sequence[datetime], program: Program) -> list[Tally]:
        """By month: members whose first purchase it was, by whole days to their second (key),
        or none yet (key ""), read from their purchase summaries; and members who came back
        ("came_back"): their first purchase in the range followed a silence longer than the
        dormant days, after at least the dormant minimum spent. The range's purchases are
        summed by member (found by date); what was spent before is the summary's spend less
        that, and the last purchase before is looked up in the index only for the few left."""
        rules = program.segments
        start = edges[0]
        summary = PurchaseSummary
        gap = case(
            (
                summary.second_at.is_not(None),
                func.floor(self._days(summary.second_at, summary.first_at)),
            ),
            else_=-1,
        )
        firsts = select(_month(summary.first_at, edges).label("month"), gap.label("key")).where(
            _within(summary.first_at, edges)
        )
        since = (
            select(
                Purchase.member_id,
                func.min(
                    case((_within(Purchase.purchased_at, edges), Purchase.purchased_at))
                ).label("back_at"),
                func.sum(Purchase.base_amount).label("spent"),
            )
            .where(KEPT, Purchase.purchased_at >= start)
            .group_by(Purchase.member_id)
            .subquery()
        )
        earlier = aliased(Purchase)
        last_before = (
            select(func.max(earlier.purchased_at))
            .where(
                earlier.member_id == since.c.member_id,
                earlier.purchased_at < start,
                earlier.status != Status.REFUNDED,
            )
            .scalar_subquery()
        )
        back = (
            select(_month(since.c.back_at, edges).label("month"), literal(-2).label("key"))
            .join(summary, summary.member_id == since.c.member_id)
            .where(
                since.c.back_at.is_not(None),
                summary.first_at < start,  # so there is a purchase before
                func.round(summary.spend - since.c.spent, 2) >= rules.dormant_min_spend,
                self._days(since.c.back_at, last_before) > rules.dormant_days,
            )
        )
        both = union_all(firsts, back).subquery()
        rows = await self._run(
            select(both.c.month, both.c.key, func.count()).group_by(both.c.month, both.c.key)
        )
        names = {-1: "", -2: "came_back"}
        return [Tally(int(m), names.get(int(k), str(int(k))), int(n)) for m, k, n in rows]

    async def orders(self, edges: Sequence[datetime]) -> list[Tally]:
        """Kept purchases, and the members who made them, by month."""
        month = _month(Purchase.purchased_at, edges)
        rows = await self._run(
            select(month, func.count(), func.count(distinct(Purchase.member_id)))
            .where(KEPT, _within(Purchase.purchased_at, edges))
            .group_by(month)
        )
        out = []
        for m, orders, buyers in rows:
            out += [Tally(int(m), "orders", int(orders)), Tally(int(m), "buyers", int(buyers))]
        return out

    async def order_values(
        self, edges: Sequence[datetime], now: datetime, program: Program
    ) -> list[Sums]:
        """Kept purchases' count and total by month, by the buyer's tier now ("tier:<key>")
        and segments now ("segment:<key>"). One pass over the range's purchases, grouped by
        month and tier: a member has one tier, so a month's segment sums are its tiers'."""
        month = _month(Purchase.purchased_at, edges)
        entry = program.tiers.public[0].key
        tier = func.coalesce(TierStatus.tier, entry)
        flags = segment_flags(now, program)
        sums = []
        for s in Segment:
            sums += [
                func.sum(func.coalesce(flags.c[s], 0)),
                func.sum(case((flags.c[s] == 1, Purchase.base_amount), else_=0)),
            ]
        rows = await self._run(
            select(month, tier, func.count(), func.sum(Purchase.base_amount), *sums)
            .outerjoin(TierStatus, TierStatus.member_id == Purchase.member_id)
            .outerjoin(flags, flags.c.member_id == Purchase.member_id)
            .where(KEPT, _within(Purchase.purchased_at, edges))
            .group_by(month, tier)
        )
        out = []
        by_segment: dict[tuple[int, Segment], tuple[int, Decimal]] = {}
        for m, k, n, total, *values in rows:
            out.append(Sums(int(m), f"tier:{k}", int(n), total))
            for i, s in enumerate(Segment):
                count, spent = by_segment.get((int(m), s), (0, Decimal(0)))
                by_segment[int(m), s] = (count + values[2 * i], spent + values[2 * i + 1])
        for (m, s), (count, spent) in sorted(by_segment.items()):
            if count:
                out.append(Sums(m, f"segment:{s}", int(count), spent))
        return out

    async def events(self, edges: Sequence[datetime], days: int) -> list[EventFigures]:
        """Each event (not cancelled) starting in the range, and its guests' numbers. Who was
        invited is counted for all the events at once: an invitation is found by its key's
        prefix, which no index serves, so the messages are read once rather than per event."""
        found = await self._run(
            select(Event.id, Event.title, Event.starts_at, Event.ends_at)
            .where(Event.cancelled_at.is_(None), _within(Event.starts_at, edges))
            .order_by(Event.starts_at)
            .limit(EVENTS_SHOWN)
        )
        shown = found.all()
        ids = [event_id for event_id, *_ in shown]
        prefix = literal("invitation:") + cast(Event.id, String) + ":%"
        invited = union(
            select(Event.id.label("event_id"), OutboxMessage.member_id)
            .join(OutboxMessage, OutboxMessage.key.like(prefix))
            .where(Event.id.in_(ids), OutboxMessage.key.like("invitation:%")),
            select(Rsvp.event_id, Rsvp.member_id).where(Rsvp.event_id.in_(ids)),
        ).subquery()
        counts: dict[int, int] = {}
        if ids:
            per_event = select(invited.c.event_id, func.count()).group_by(invited.c.event_id)
            counts = {int(e): int(n) for e, n in await self._run(per_event)}
        out = []
        for event_id, title, starts, ends in shown:
            guests = Rsvp.event_id == event_id
            came = Rsvp.checked_in_at.is_not(None)
            bought = (
                select(Purchase.id)
                .where(
                    Purchase.member_id == Rsvp.member_id,
                    Purchase.status == Status.PAID,
                    Purchase.purchased_at.between(starts, ends + timedelta(days=days)),
                )
                .exists()
            )
            row = (
                await self._run(
                    select(
                        select(func.count())
                        .where(guests, or_(Rsvp.status == "going", came))
                        .scalar_subquery(),
                        select(func.count()).where(guests, came).scalar_subquery(),
                        select(func.count()).where(guests, came, bought).scalar_subquery(),
                    )
                )
            ).one()
            invitations = counts.get(event_id, 0)
            out.append(EventFigures(event_id, title, starts, invitations, *map(int, row)))
        return out

    async def concierge(self, edges: Sequence[datetime], now: datetime) -> list[Tally]:
        """By month: handoffs asked for ("handoffs"); minutes to staff's first answer
        ("answer:<minutes>", by the month asked); appointments booked ("booked"); and of
        those due before now, not cancelled ("due"), the no-shows ("no_show")."""
        month = _month(Handoff.requested_at, edges)
        out = await self._tallies(
            select(month, literal("handoffs"), func.count())
            .where(_within(Handoff.requested_at, edges))
            .group_by(month)
        )
        first = (
            select(Handoff.id, Handoff.requested_at, func.min(TranscriptLine.at).label("at"))
            .join(TranscriptLine, TranscriptLine.handoff_id == Handoff.id)
            .where(TranscriptLine.author == "staff", _within(Handoff.requested_at, edges))
            .group_by(Handoff.id, Handoff.requested_at)
            .subquery()
        )
        minutes = func.floor(self._days(first.c.at, first.c.requested_at) * 1440)
        asked = _month(first.c.requested_at, edges)
        for m, gap, n in await self._run(
            select(asked, minutes, func.count()).group_by(asked, minutes)
        ):
            out.append(Tally(int(m), f"answer:{int(gap)}", int(n)))
        made = _month(Appointment.created_at, edges)
        out += await self._tallies(
            select(made, literal("booked"), func.count())
            .where(_within(Appointment.created_at, edges))
            .group_by(made)
        )
        due = _month(Appointment.starts_at, edges)
        for m, n, missed in await self._run(
            select(
                due,
                func.count(),
                func.sum(case((Appointment.status == "no_show", 1), else_=0)),
            )
            .where(
                _within(Appointment.starts_at, edges),
                Appointment.starts_at < now,
                Appointment.status != "cancelled",
            )
            .group_by(due)
        ):
            out += [Tally(int(m), "due", int(n)), Tally(int(m), "no_show", int(missed or 0))]
        return out

    async def messages(self, edges: Sequence[datetime]) -> list[Tally]:
        """Outbox rows by the month written, kind, channel and status ("kind|channel|status")."""
        month = _month(OutboxMessage.created_at, edges)
        rows = await self._run(
            select(
                month,
                OutboxMessage.kind,
                OutboxMessage.channel,
                OutboxMessage.status,
                func.count(),
            )
            .where(_within(OutboxMessage.created_at, edges))
            .group_by(month, OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status)
        )
        return [Tally(int(m), f"{k}|{c}|{s}", int(n)) for m, k, c, s, n in rows]

    async def opt_outs(self, edges: Sequence[datetime]) -> list[Tally]:
        """Members who withdrew a consent, by month and purpose."""
        month = _month(Consent.at, edges)
        return await self._tallies(
            select(month, Consent.purpose, func.count(distinct(Consent.member_id)))
            .where(Consent.granted.is_(False), _within(Consent.at, edges))
            .group_by(month, Consent.purpose)
        )
