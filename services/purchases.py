"""Ingesting purchases: the CSV import and the POS webhook both come through here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from loyalty import account as rules
from loyalty.badges import Award
from loyalty.points import Entry, earn_entry, reversal
from loyalty.ports import Conflict
from loyalty.program import Program
from loyalty.purchases import PurchaseInput, Status, points_for, to_base
from loyalty.tiers import TierState

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork

RETRIES = 3


class Result(StrEnum):
    CREATED = "created"
    REFUNDED = "refunded"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Outcome:
    order_id: str
    result: Result
    member_id: int
    points: int


async def ingest(
    units: Callable[[], UnitOfWork],
    batch: Sequence[PurchaseInput],
    source: str,
    now: datetime,
    program: Program,
) -> list[Outcome]:
    """Store a batch of purchases in one transaction: each order credits once, ever.

    When a concurrent writer stored one of these orders (or members) first, the whole
    batch is tried again and then sees that order as already stored.
    """
    for attempt in range(RETRIES):
        try:
            async with units() as uow:
                outcomes = await _ingest(uow, batch, source, now, program)
                await uow.commit()
                return outcomes
        except Conflict:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def _ingest(
    uow: UnitOfWork, batch: Sequence[PurchaseInput], source: str, now: datetime, program: Program
) -> list[Outcome]:
    stored = await uow.purchases.by_order(list({p.order_id for p in batch}))
    members = await uow.members.ids_by_phone(list({p.phone for p in batch}))
    newcomers: dict[str, dict[str, Any]] = {}
    for p in batch:
        if p.phone in members or p.order_id in stored:
            continue
        row = newcomers.setdefault(p.phone, {"phone": p.phone, "joined_at": p.purchased_at})
        row["joined_at"] = min(row["joined_at"], p.purchased_at, now)
        row.setdefault("name", p.name)
        row.setdefault("email", p.email)
    members.update(await uow.members.add_many(list(newcomers.values())))
    await uow.members.lock(members.values())

    seen: dict[str, Status] = {order: Status(row.status) for order, row in stored.items()}
    owner: dict[str, int] = {order: row.member_id for order, row in stored.items()}
    rows: dict[str, dict[str, Any]] = {}  # order id -> the purchase row this batch adds
    earns: list[tuple[int, Entry]] = []
    refunds: list[str] = []
    outcomes: list[Outcome] = []
    for p in batch:
        status = seen.get(p.order_id)
        if status is not None:
            refund = status is Status.PAID and p.status is Status.REFUNDED
            if refund:
                refunds.append(p.order_id)
                seen[p.order_id] = Status.REFUNDED
                if p.order_id in rows:  # paid and refunded in the same batch
                    rows[p.order_id]["status"] = Status.REFUNDED
            result = Result.REFUNDED if refund else Result.UNCHANGED
            outcomes.append(Outcome(p.order_id, result, owner[p.order_id], 0))
            continue
        member_id = members[p.phone]
        spend = to_base(p.amount, p.currency, program)
        points = points_for(spend, program) if p.status is Status.PAID else 0
        rows[p.order_id] = {
            "order_id": p.order_id,
            "member_id": member_id,
            "amount": p.amount,
            "currency": p.currency,
            "base_amount": spend,
            "points": points,
            "category": p.category,
            "limited_edition": p.limited_edition,
            "store": p.store,
            "status": p.status,
            "purchased_at": p.purchased_at,
            "source": source,
            "recorded_at": now,
        }
        if points:
            earns.append((member_id, earn_entry(p.order_id, points, p.purchased_at, p.store)))
        seen[p.order_id], owner[p.order_id] = p.status, member_id
        outcomes.append(Outcome(p.order_id, Result.CREATED, member_id, points))

    await uow.purchases.add_many(list(rows.values()))
    await uow.purchases.mark_refunded([stored[o].id for o in refunds if o in stored])
    await uow.ledger.add_many(earns, source, now)
    touched = {o.member_id for o in outcomes if o.result is not Result.UNCHANGED}
    accounts = await uow.accounts.load(touched)
    reversals: list[tuple[int, Entry]] = []
    for order_id in refunds:
        acct = accounts[owner[order_id]]
        entry = reversal(acct.entries, order_id, now, program.points.expiry_months)
        if entry is not None:
            reversals.append((acct.member_id, entry))
            acct.entries.append(entry)
    for acct in accounts.values():
        first = min((p.at for p in acct.purchases), default=acct.joined_at)
        if first < acct.joined_at:  # an older purchase arrived later: a client since then
            acct.joined_at = first
            await uow.members.set_joined(acct.member_id, first)
    await uow.ledger.add_many(reversals, source, now)
    await settle_accounts(uow, list(accounts.values()), now, program, source)
    await uow.occasion_dates.refresh(list(touched), program.club.zone)  # join, first purchase
    return outcomes


async def settle_accounts(
    uow: UnitOfWork, accounts: list[rules.Account], now: datetime, program: Program, source: str
) -> int:
    """Settle accounts at `now` and write what that adds, one statement per table.

    The accounts in memory are brought up to date too; returns how many changed.
    """
    entries: list[tuple[int, Entry]] = []
    tiers: list[tuple[int, TierState]] = []
    awards: list[tuple[int, Award]] = []
    changed = 0
    for acct in accounts:
        settlement = rules.settle(acct, now, program)
        changed += bool(settlement)
        entries.extend((acct.member_id, entry) for entry in settlement.entries)
        if settlement.tier is not None:
            tiers.append((acct.member_id, settlement.tier))
        awards.extend((acct.member_id, award) for award in settlement.awards)
        rules.apply(acct, settlement)
    await uow.ledger.add_many(entries, source, now)
    await uow.tiers.save_many(tiers)
    await uow.badges.add_many(awards)
    return changed
