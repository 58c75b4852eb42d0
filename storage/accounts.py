"""Accounts: what the rules need about many members, read in a few queries, not a few each.

The queries name table columns, not mapped attributes, so the rows skip the ORM's per-row
loading machinery: this load is the hot path of a purchase import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func, select

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


class Accounts(Repository):
    async def load(
        self, member_ids: Iterable[int], known: Mapping[int, Account] | None = None
    ) -> dict[int, Account]:
        """These members' accounts; each history (purchases, ledger) read whole, or taken
        from `known` when it is still what the database holds.

        Purchases and ledger entries are only ever added, and a purchase only goes from
        paid to refunded (erasure aside, whose members are always read), so a known history
        is current when the database holds as many of each, and as many refunded, as it
        does. The rest of an account (join date, tier, badges, events, bookings) is small
        and always read. The accounts returned share no list with `known`.
        """
        known = known or {}
        accounts: dict[int, Account] = {}
        for part in chunks(sorted(set(member_ids))):
            found, erased = await self._standing(part)
            candidates = [known[m] for m in part if m in known and m in found and m not in erased]
            kept = await self._current(candidates)
            for acct in kept:
                found[acct.member_id].purchases = list(acct.purchases)
                found[acct.member_id].entries = list(acct.entries)
            held = {acct.member_id for acct in kept}
            await self._histories([m for m in found if m not in held], found)
            accounts.update(found)
        return accounts

    async def _standing(self, part: Sequence[int]) -> tuple[dict[int, Account], set[int]]:
        """All but the histories; and which of these members are erased."""
        members = await self.session.execute(
            select(_MEMBER.id, _MEMBER.joined_at, _MEMBER.erased_at).where(_MEMBER.id.in_(part))
        )
        found: dict[int, Account] = {}
        erased: set[int] = set()
        for mid, joined, erased_at in members:
            found[mid] = Account(mid, joined)
            if erased_at is not None:
                erased.add(mid)
        tiers = await self.session.execute(
            select(_TIER.member_id, _TIER.tier, _TIER.since, _TIER.review_at, _TIER.invited).where(
                _TIER.member_id.in_(part)
            )
        )
        for mid, key, since, review_at, invited in tiers:
            found[mid].tier = TierState(key, since, review_at, invited)
        awarded = await self.session.execute(
            select(_BADGE.member_id, _BADGE.badge).where(_BADGE.member_id.in_(part))
        )
        for mid, key in awarded:
            found[mid].badges.add(key)
        attended = await self.session.execute(
            select(Rsvp.member_id, func.count())
            .where(Rsvp.member_id.in_(part), Rsvp.checked_in_at.is_not(None))
            .group_by(Rsvp.member_id)
        )
        for mid, count in attended:
            found[mid].events_attended = count
        booked = await self.session.execute(
            select(Appointment.member_id, Appointment.service)
            .where(Appointment.member_id.in_(part), Appointment.status != "cancelled")
            .distinct()
        )
        for mid, service in booked:
            found[mid].booked.add(service)
        return found, erased

    async def _current(self, known: Sequence[Account]) -> list[Account]:
        """The known accounts whose histories the database holds no more and no less of."""
        if not known:
            return []
        ids = [acct.member_id for acct in known]
        refunded = func.count().filter(_PURCHASE.status == Status.REFUNDED)
        purchases = {
            mid: (count, refunds)
            for mid, count, refunds in await self.session.execute(
                select(_PURCHASE.member_id, func.count(), refunded)
                .where(_PURCHASE.member_id.in_(ids))
                .group_by(_PURCHASE.member_id)
            )
        }
        entries = dict(
            (
                await self.session.execute(
                    select(_LEDGER.member_id, func.count())
                    .where(_LEDGER.member_id.in_(ids))
                    .group_by(_LEDGER.member_id)
                )
            ).all()
        )
        return [
            acct
            for acct in known
            if purchases.get(acct.member_id, (0, 0))
            == (len(acct.purchases), sum(p.refunded for p in acct.purchases))
            and entries.get(acct.member_id, 0) == len(acct.entries)
        ]

    async def _histories(self, part: Sequence[int], found: dict[int, Account]) -> None:
        """Read these members' purchases and ledger entries whole, oldest first."""
        if not part:
            return
        purchases = await self.session.execute(
            select(
                _PURCHASE.member_id,
                _PURCHASE.order_id,
                _PURCHASE.purchased_at,
                _PURCHASE.base_amount,
                _PURCHASE.points,
                _PURCHASE.category,
                _PURCHASE.limited_edition,
                _PURCHASE.status,
            )
            .where(_PURCHASE.member_id.in_(part))
            .order_by(_PURCHASE.purchased_at, _PURCHASE.id)
        )
        for mid, order, at, spend, points, category, limited, status in purchases:
            found[mid].purchases.append(
                PurchaseFact(
                    order, at, spend, points, category, limited, status == Status.REFUNDED
                )
            )
        entries = await self.session.execute(
            select(_LEDGER.member_id, *(_LEDGER[c.key] for c in ENTRY_COLUMNS))
            .where(_LEDGER.member_id.in_(part))
            .order_by(_LEDGER.occurred_at, _LEDGER.id)
        )
        for mid, *columns in entries:
            found[mid].entries.append(entry_of(*columns))
