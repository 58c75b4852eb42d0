"""Accounts: what the rules need about many members, read in a few queries, not a few each.

The queries name table columns, not mapped attributes, so the rows skip the ORM's per-row
loading machinery: this load is the hot path of a purchase import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, ScalarSelect, bindparam, func, select

from loyalty.account import Account
from loyalty.badges import PurchaseFact
from loyalty.purchases import Status
from loyalty.tiers import TierState
from storage.models import (
    Appointment,
    BadgeAward,
    LedgerEntry,
    Member,
    Purchase,
    Rsvp,
    TierStatus,
)
from storage.repositories import ENTRY_COLUMNS, Repository, chunks, core_table, entry_of

_MEMBER, _PURCHASE, _LEDGER = (
    core_table(Member).c,
    core_table(Purchase).c,
    core_table(LedgerEntry).c,
)
_TIER, _BADGE = core_table(TierStatus).c, core_table(BadgeAward).c
_BOOKING = core_table(Appointment).c
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)


def _count(model: type[Any], *where: ColumnElement[bool]) -> ScalarSelect[int]:
    """How many rows of `model` belong to the member of the row around it."""
    table = core_table(model)
    return (
        select(func.count())
        .select_from(table)
        .where(table.c.member_id == _MEMBER.id, *where)
        .scalar_subquery()
    )


_RSVP = core_table(Rsvp).c
_ATTENDED = (  # rsvp has no index by member: one pass over it, not one per member
    select(_RSVP.member_id, func.count().label("events"))
    .where(_RSVP.member_id.in_(_IDS), _RSVP.checked_in_at.is_not(None))
    .group_by(_RSVP.member_id)
    .subquery()
)

# Built once: the import runs these a few times a batch, and building a statement with its
# subqueries costs more than SQLAlchemy's cached compilation of it.
_STANDING = (
    select(
        _MEMBER.id, _MEMBER.joined_at, _MEMBER.erased_at,
        _TIER.tier, _TIER.since, _TIER.review_at, _TIER.invited,
        func.coalesce(_ATTENDED.c.events, 0),
        _count(BadgeAward),
        _count(Purchase),
        _count(Purchase, _PURCHASE.status == Status.REFUNDED),
        _count(LedgerEntry),
    )
    .outerjoin(core_table(TierStatus), _TIER.member_id == _MEMBER.id)
    .outerjoin(_ATTENDED, _ATTENDED.c.member_id == _MEMBER.id)
    .where(_MEMBER.id.in_(_IDS))
)  # fmt: skip
_BADGES = select(_BADGE.member_id, _BADGE.badge).where(_BADGE.member_id.in_(_IDS))
_BOOKED = (
    select(_BOOKING.member_id, _BOOKING.service)
    .where(_BOOKING.member_id.in_(_IDS), _BOOKING.status != "cancelled")
    .distinct()
)
_PURCHASES = (
    select(
        _PURCHASE.member_id, _PURCHASE.order_id, _PURCHASE.purchased_at, _PURCHASE.base_amount,
        _PURCHASE.points, _PURCHASE.category, _PURCHASE.limited_edition, _PURCHASE.status,
    )
    .where(_PURCHASE.member_id.in_(_IDS))
    .order_by(_PURCHASE.purchased_at, _PURCHASE.id)
)  # fmt: skip
_ENTRIES = (
    select(_LEDGER.member_id, *(_LEDGER[c.key] for c in ENTRY_COLUMNS))
    .where(_LEDGER.member_id.in_(_IDS))
    .order_by(_LEDGER.occurred_at, _LEDGER.id)
)


class Accounts(Repository):
    async def load(
        self, member_ids: Iterable[int], known: Mapping[int, Account] | None = None
    ) -> dict[int, Account]:
        """These members' accounts; histories (purchases, ledger) and badges read whole, or
        taken from `known` when they are still what the database holds.

        Purchases, ledger entries and badges are only ever added, and a purchase only goes
        from paid to refunded (erasure aside, whose members are always read), so a known
        account is current when the database holds as many of each, and as many refunded
        purchases, as it does: one statement counts them beside the join date, the tier and
        the events attended, which are always read. The accounts returned share no list or
        set with `known`.
        """
        known = known or {}
        accounts: dict[int, Account] = {}
        for part in chunks(sorted(set(member_ids))):
            found, stale = await self._standing(part, known)
            await self._booked(part, found)
            await self._read(stale, found)
            accounts.update(found)
        return accounts

    async def _standing(
        self, part: Sequence[int], known: Mapping[int, Account]
    ) -> tuple[dict[int, Account], list[int]]:
        """All but the booked services, histories and badges taken from `known` where they
        are current; and the members whose histories and badges are still to be read."""
        found: dict[int, Account] = {}
        stale: list[int] = []
        rows = await self.session.execute(_STANDING, {"ids": part})
        for mid, joined, erased_at, tier, since, review_at, invited, attended, *counts in rows:
            acct = found[mid] = Account(mid, joined, events_attended=attended)
            if tier is not None:
                acct.tier = TierState(tier, since, review_at, invited)
            held = known.get(mid)
            if erased_at is None and held is not None and counts == _counts(held):
                acct.purchases, acct.entries = list(held.purchases), list(held.entries)
                acct.badges = set(held.badges)
            else:
                stale.append(mid)
        return found, stale

    async def _booked(self, part: Sequence[int], found: dict[int, Account]) -> None:
        for mid, service in await self.session.execute(_BOOKED, {"ids": part}):
            found[mid].booked.add(service)

    async def _read(self, part: Sequence[int], found: dict[int, Account]) -> None:
        """Read these members' badges, purchases and ledger entries whole, oldest first."""
        if not part:
            return
        for mid, key in await self.session.execute(_BADGES, {"ids": part}):
            found[mid].badges.add(key)
        purchases = await self.session.execute(_PURCHASES, {"ids": part})
        for mid, order, at, spend, points, category, limited, status in purchases:
            found[mid].purchases.append(
                PurchaseFact(
                    order, at, spend, points, category, limited, status == Status.REFUNDED
                )
            )
        for mid, *columns in await self.session.execute(_ENTRIES, {"ids": part}):
            found[mid].entries.append(entry_of(*columns))


def _counts(acct: Account) -> list[int]:
    """What `_STANDING` counts of a member, as a known account holds it."""
    refunded = sum(1 for p in acct.purchases if p.refunded)
    return [len(acct.badges), len(acct.purchases), refunded, len(acct.entries)]
