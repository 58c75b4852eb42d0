"""Repositories: the narrow interface the services use; rows in, domain values out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    Table,
    delete,
    false,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty import records
from loyalty.badges import Award
from loyalty.consent import Channel, ConsentChange, Purpose
from loyalty.points import Entry, Kind, Reason
from loyalty.purchases import Status
from loyalty.tiers import TierState
from storage import summaries
from storage.models import (
    Anniversary,
    BadgeAward,
    ChannelIdentity,
    Consent,
    LedgerEntry,
    Member,
    OccasionDate,
    Purchase,
    TierStatus,
)

_CHUNK = 500  # stays under SQLite's and asyncpg's bound-parameter limits


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def at_chats(
    channel: SQLColumnExpression[str],
    address: SQLColumnExpression[str],
    chats: Sequence[tuple[str, str]],
) -> ColumnElement[bool]:
    """A condition: (channel, address) is one of these chats."""
    return tuple_(channel, address).in_(list(chats)) if chats else false()


def core_table(model: type[Any]) -> Table:
    """The model's table, for the bulk paths in Core: the ORM's bulk INSERT sends one
    statement per run of rows whose None fields differ and costs about twice as much a
    row, and its per-row loading is heavier than the import's account loads need."""
    table: Table = model.__table__
    return table


ENTRY_COLUMNS = (
    LedgerEntry.kind,
    LedgerEntry.points,
    LedgerEntry.occurred_at,
    LedgerEntry.key,
    LedgerEntry.reason,
    LedgerEntry.detail,
)


def entry_of(
    kind: str, points: int, at: datetime, key: str, reason: str, detail: dict[str, Any] | None
) -> Entry:
    return Entry(Kind(kind), points, at, key, Reason(reason), detail or {})


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Members(Repository):
    async def get(self, member_id: int) -> Member | None:
        return await self.session.get(Member, member_id)

    async def many(self, member_ids: Sequence[int]) -> dict[int, Member]:
        """These members (erased ones left out), by id."""
        found: dict[int, Member] = {}
        for part in chunks(sorted(set(member_ids))):
            rows = await self.session.scalars(
                select(Member).where(Member.id.in_(part), Member.erased_at.is_(None))
            )
            found.update({member.id: member for member in rows})
        return found

    async def named(self, text: str, limit: int) -> Sequence[Member]:
        """Members not erased whose name holds `text`, whatever the case, oldest first."""
        found = func.lower(Member.name).contains(text.lower(), autoescape=True)
        query = select(Member).where(found, Member.erased_at.is_(None))
        return (await self.session.scalars(query.order_by(Member.id).limit(limit))).all()

    async def by_phone(self, phone: str) -> Member | None:
        return await self.session.scalar(select(Member).where(Member.phone == phone))

    async def ids_by_phone(self, phones: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in chunks(phones):
            rows = await self.session.execute(
                select(Member.phone, Member.id).where(Member.phone.in_(part))
            )
            found.update({phone: member_id for phone, member_id in rows if phone is not None})
        return found

    async def add(self, **fields: Any) -> Member:
        member = Member(**fields)
        self.session.add(member)
        await self.session.flush()
        return member

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Insert members by phone; returns phone -> id."""
        if not rows:
            return {}
        await self.session.execute(insert(core_table(Member)), list(rows))
        return await self.ids_by_phone([row["phone"] for row in rows])

    async def ids_after(self, after: int, limit: int) -> list[int]:
        """Members not erased, by id: an erased member has no tier, badges or invitations."""
        rows = await self.session.scalars(
            select(Member.id)
            .where(Member.id > after, Member.erased_at.is_(None))
            .order_by(Member.id)
            .limit(limit)
        )
        return list(rows)

    async def set_joined(self, member_id: int, at: datetime) -> None:
        await self.session.execute(
            update(Member).where(Member.id == member_id).values(joined_at=at)
        )

    async def lock(self, member_ids: Iterable[int]) -> None:
        """Hold these members until commit (PostgreSQL; SQLite transactions are serial, and
        its FOR UPDATE would be a plain SELECT: nothing is sent)."""
        if self.session.get_bind().dialect.name == "sqlite":
            return
        ids = sorted(set(member_ids))
        for part in chunks(ids):
            await self.session.execute(
                select(Member.id).where(Member.id.in_(part)).order_by(Member.id).with_for_update()
            )

    async def anniversaries(self, member_id: int) -> list[Anniversary]:
        rows = await self.session.scalars(
            select(Anniversary).where(Anniversary.member_id == member_id)
        )
        return list(rows)

    async def set_anniversary(self, member_id: int, kind: str, on: date) -> None:
        await self.session.execute(
            delete(Anniversary).where(Anniversary.member_id == member_id, Anniversary.kind == kind)
        )
        self.session.add(Anniversary(member_id=member_id, kind=kind, on=on))
        await self.session.flush()

    async def identities(self, member_id: int) -> list[ChannelIdentity]:
        rows = await self.session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.member_id == member_id)
        )
        return list(rows)

    async def erase(self, member: records.Member, now: datetime) -> dict[str, int]:
        """Remove what identifies a member; ledger and purchase sums stay for the books.

        Purchases keep their order id (the till's own records name it), amounts, dates,
        store and status; what was bought (the category) goes.
        """
        removed = {}
        for model in (Anniversary, OccasionDate, ChannelIdentity, Consent, BadgeAward, TierStatus):
            result = await self.session.execute(delete(model).where(model.member_id == member.id))
            removed[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
        await self.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.member_id == member.id)
            .values(detail={}, source="erased")
        )
        await self.session.execute(
            update(Purchase).where(Purchase.member_id == member.id).values(category=None)
        )
        await summaries.refresh(self.session, [member.id])
        personal = (
            "name",
            "phone",
            "email",
            "locale",
            "timezone",
            "currency",
            "preferred_channel",
        )
        birthday = ("birthday_month", "birthday_day", "birthday_year")
        await self.session.execute(
            update(Member)
            .where(Member.id == member.id)
            .values({**dict.fromkeys(personal + birthday), "erased_at": now})
            .execution_options(synchronize_session=False)
        )
        return removed


class Purchases(Repository):
    async def by_order(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        found: dict[str, Purchase] = {}
        for part in chunks(order_ids):
            rows = await self.session.scalars(select(Purchase).where(Purchase.order_id.in_(part)))
            found.update({row.order_id: row for row in rows})
        return found

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(core_table(Purchase)), list(rows))
            await summaries.refresh(self.session, {row["member_id"] for row in rows})

    async def mark_refunded(self, purchase_ids: Sequence[int]) -> None:
        members: set[int] = set()
        for part in chunks(purchase_ids):
            refunded = update(Purchase).where(Purchase.id.in_(part))
            found = await self.session.scalars(
                refunded.values(status=Status.REFUNDED).returning(Purchase.member_id)
            )
            members.update(found)
        await summaries.refresh(self.session, members)

    async def for_member(self, member_id: int) -> list[Purchase]:
        rows = await self.session.scalars(
            select(Purchase).where(Purchase.member_id == member_id).order_by(Purchase.purchased_at)
        )
        return list(rows)


class Ledger(Repository):
    async def add(
        self, member_id: int, entries: Iterable[Entry], source: str, now: datetime
    ) -> None:
        await self.add_many([(member_id, entry) for entry in entries], source, now)

    async def add_many(
        self, entries: Sequence[tuple[int, Entry]], source: str, now: datetime
    ) -> None:
        rows = [
            {
                "member_id": member_id,
                "key": entry.key,
                "kind": entry.kind,
                "points": entry.points,
                "reason": entry.reason,
                "detail": entry.detail,
                "source": source,
                "occurred_at": entry.occurred_at,
                "recorded_at": now,
            }
            for member_id, entry in entries
        ]
        if rows:
            await self.session.execute(insert(core_table(LedgerEntry)), rows)

    async def keyed(self, keys: Sequence[str]) -> dict[str, tuple[int, Entry]]:
        """The entries with these keys, whoever's they are, by key (with their member)."""
        found: dict[str, tuple[int, Entry]] = {}
        for part in chunks(list(keys)):
            rows = await self.session.execute(
                select(LedgerEntry.member_id, *ENTRY_COLUMNS).where(LedgerEntry.key.in_(part))
            )
            for member_id, *entry in rows:
                found[entry[3]] = (member_id, entry_of(*entry))
        return found

    async def latest(self, member_id: int, limit: int) -> list[Entry]:
        """The member's newest entries first."""
        rows = await self.session.execute(
            select(*ENTRY_COLUMNS)
            .where(LedgerEntry.member_id == member_id)
            .order_by(LedgerEntry.occurred_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        )
        return [entry_of(*row) for row in rows]

    async def balance(self, member_id: int) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.member_id == member_id
            )
        )
        return int(total or 0)


class Tiers(Repository):
    async def current(self, member_id: int) -> str | None:
        """The member's tier key; None before the first settlement (the entry tier)."""
        return await self.session.scalar(
            select(TierStatus.tier).where(TierStatus.member_id == member_id)
        )

    async def save_many(self, states: Sequence[tuple[int, TierState]]) -> None:
        """`save` for many members: one query to tell rows to insert from rows to update."""
        latest = dict(states)  # as saving one after the other would leave them
        if not latest:
            return
        existing: set[int] = set()
        for part in chunks(sorted(latest)):
            existing.update(
                await self.session.scalars(
                    select(TierStatus.member_id).where(TierStatus.member_id.in_(part))
                )
            )
        new: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        for member_id, state in latest.items():
            row = {
                "member_id": member_id,
                "tier": state.tier,
                "since": state.since,
                "review_at": state.review_at,
                "invited": state.invited,
            }
            (changed if member_id in existing else new).append(row)
        if new:
            await self.session.execute(insert(core_table(TierStatus)), new)
        if changed:
            await self.session.execute(update(TierStatus), changed)


class Badges(Repository):
    async def add(self, member_id: int, awards: Iterable[Award]) -> None:
        await self.add_many([(member_id, award) for award in awards])

    async def add_many(self, awards: Sequence[tuple[int, Award]]) -> None:
        rows = [
            {
                "member_id": member_id,
                "badge": a.badge,
                "awarded_at": a.awarded_at,
                "detail": a.detail,
            }
            for member_id, a in awards
        ]
        if rows:
            await self.session.execute(insert(core_table(BadgeAward)), rows)

    async def for_member(self, member_id: int) -> list[BadgeAward]:
        rows = await self.session.scalars(
            select(BadgeAward)
            .where(BadgeAward.member_id == member_id)
            .order_by(BadgeAward.awarded_at)
        )
        return list(rows)


class Consents(Repository):
    async def record(self, member_id: int, change: ConsentChange) -> None:
        self.session.add(
            Consent(
                member_id=member_id,
                purpose=change.purpose,
                channel=change.channel,
                granted=change.granted,
                at=change.at,
                source=change.source,
                wording=change.wording,
            )
        )
        await self.session.flush()

    async def history(self, member_id: int) -> list[ConsentChange]:
        return (await self.histories([member_id])).get(member_id, [])

    async def histories(self, member_ids: Sequence[int]) -> dict[int, list[ConsentChange]]:
        """Each member's consent changes, oldest first."""
        found: dict[int, list[ConsentChange]] = {}
        for part in chunks(sorted(set(member_ids))):
            rows = await self.session.scalars(
                select(Consent).where(Consent.member_id.in_(part)).order_by(Consent.at, Consent.id)
            )
            for r in rows:
                found.setdefault(r.member_id, []).append(
                    ConsentChange(
                        Purpose(r.purpose), Channel(r.channel), r.granted, r.at, r.source,
                        r.wording,
                    )
                )  # fmt: skip
        return found
