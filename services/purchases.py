"""Ingesting purchases: the CSV import and the POS webhook both come through here."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any

from loyalty import account as rules
from loyalty.badges import Award, PurchaseFact
from loyalty.points import Entry, earn_entry, order_redeem_key, order_return, reversal
from loyalty.ports import Conflict
from loyalty.program import Program
from loyalty.purchases import PurchaseInput, Status, points_for, to_base
from loyalty.stores import UnitOfWork
from loyalty.tiers import TierState
from services import account_news

RETRIES = 3
HELD = 100_000  # purchases and ledger entries an import keeps between batches


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


class Histories:
    """The accounts an import settled, kept between its batches so that the next batch does
    not read back what the import itself wrote (`Accounts.load` checks they are current).

    Least recently settled out first beyond `limit` purchases and ledger entries held, so
    memory stays flat in the file's size; an account let go is read again if needed.
    """

    def __init__(self, limit: int = HELD) -> None:
        self.limit = limit
        self.accounts: OrderedDict[int, rules.Account] = OrderedDict()
        self._held = 0

    def keep(self, accounts: Iterable[rules.Account]) -> None:
        for acct in accounts:
            _in_order(acct)
            if (old := self.accounts.pop(acct.member_id, None)) is not None:
                self._held -= _size(old)
            self.accounts[acct.member_id] = acct
            self._held += _size(acct)
        while self._held > self.limit:
            self._held -= _size(self.accounts.popitem(last=False)[1])


def _size(acct: rules.Account) -> int:
    return len(acct.purchases) + len(acct.entries)


def _in_order(acct: rules.Account) -> None:
    """Histories as the database gives them back: by time, then in the order written."""
    acct.purchases.sort(key=attrgetter("at"))
    acct.entries.sort(key=attrgetter("occurred_at"))


async def ingest(
    units: Callable[[], UnitOfWork],
    batch: Sequence[PurchaseInput],
    source: str,
    now: datetime,
    program: Program,
    known: Histories | None = None,
) -> list[Outcome]:
    """Store a batch of purchases in one transaction: each order credits once, ever.

    When a concurrent writer stored one of these orders (or members) first, the whole
    batch is tried again and then sees that order as already stored. `known`: accounts an
    import keeps from one batch to the next, given those this one settled once committed.
    """
    for attempt in range(RETRIES):
        try:
            async with units() as uow:
                outcomes, accounts = await _ingest(uow, batch, source, now, program, known)
                await uow.commit()
            if known is not None:
                known.keep(accounts)
            return outcomes
        except Conflict:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


@dataclass
class _Plan:
    """What a batch adds, decided before anything is written."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> new purchase
    earns: list[tuple[int, Entry]] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    owner: dict[str, int] = field(default_factory=dict)  # order id -> member id
    outcomes: list[Outcome] = field(default_factory=list)


async def _ingest(
    uow: UnitOfWork,
    batch: Sequence[PurchaseInput],
    source: str,
    now: datetime,
    program: Program,
    known: Histories | None,
) -> tuple[list[Outcome], list[rules.Account]]:
    stored = await uow.purchases.by_order(list({p.order_id for p in batch}))
    members, newcomers = await _members(uow, batch, stored, now)
    plan = _plan(batch, stored, members, source, now, program)
    # points redeemed at the till against a refunded order go back to whoever redeemed them
    returns = await _returns(uow, _refunded(plan), now)
    touched = {o.member_id for o in plan.outcomes if o.result is not Result.UNCHANGED}
    touched |= {member_id for member_id, _ in returns}
    # read before this batch writes, then told what it writes: nothing is read back
    accounts = await uow.accounts.load(touched, known.accounts if known else None)
    dates = {acct.member_id: _dates(acct) for acct in accounts.values()}
    before = {member_id: acct.balance for member_id, acct in accounts.items()}
    await uow.purchases.add_many(list(plan.rows.values()))
    await uow.purchases.mark_refunded([stored[o].id for o in plan.refunds if o in stored])
    await uow.ledger.add_many(plan.earns, source, now)
    _record(accounts, plan)
    reversals: list[tuple[int, Entry]] = []
    for order_id in plan.refunds:
        acct = accounts[plan.owner[order_id]]
        entry = reversal(acct.entries, order_id, now, program.points.expiry_months)
        if entry is not None:
            reversals.append((acct.member_id, entry))
            acct.entries.append(entry)
    for member_id, entry in returns:
        accounts[member_id].entries.append(entry)
    for acct in accounts.values():
        first = min((p.at for p in acct.purchases), default=acct.joined_at)
        if first < acct.joined_at:  # an older purchase arrived later: a client since then
            acct.joined_at = first
            await uow.members.set_joined(acct.member_id, first)
    await uow.ledger.add_many(reversals + returns, source, now)
    earned = [(r["member_id"], r["purchased_at"]) for r in plan.rows.values() if r["points"]]
    days = await account_news.purchases(uow, program, now, earned)
    await settle_accounts(uow, list(accounts.values()), now, program, source)
    await account_news.within_reach(
        uow, program, now, [accounts[m] for m in days if m in accounts], before, days
    )
    moved = [m for m, acct in accounts.items() if m in newcomers or _dates(acct) != dates[m]]
    await uow.occasion_dates.refresh(moved, program.club.zone)
    return plan.outcomes, list(accounts.values())


async def _members(
    uow: UnitOfWork, batch: Sequence[PurchaseInput], stored: Mapping[str, Any], now: datetime
) -> tuple[dict[str, int], set[int]]:
    """Member ids by phone, newcomers enrolled, all of them held until commit; and the ids of
    the newcomers."""
    members = await uow.members.ids_by_phone(list({p.phone for p in batch}))
    newcomers: dict[str, dict[str, Any]] = {}
    for p in batch:
        if p.phone in members or p.order_id in stored:
            continue
        row = newcomers.setdefault(p.phone, {"phone": p.phone, "joined_at": p.purchased_at})
        row["joined_at"] = min(row["joined_at"], p.purchased_at, now)
        row.setdefault("name", p.name)
        row.setdefault("email", p.email)
    enrolled = await uow.members.add_many(list(newcomers.values()))
    members.update(enrolled)
    await uow.members.lock(members.values())
    return members, set(enrolled.values())


def _plan(
    batch: Sequence[PurchaseInput],
    stored: Mapping[str, Any],
    members: Mapping[str, int],
    source: str,
    now: datetime,
    program: Program,
) -> _Plan:
    """Each row's outcome, and the purchases and earns the batch adds, in file order."""
    plan = _Plan(owner={order: row.member_id for order, row in stored.items()})
    seen: dict[str, Status] = {order: Status(row.status) for order, row in stored.items()}
    for p in batch:
        status = seen.get(p.order_id)
        if status is not None:
            refund = status is Status.PAID and p.status is Status.REFUNDED
            if refund:
                plan.refunds.append(p.order_id)
                seen[p.order_id] = Status.REFUNDED
                if p.order_id in plan.rows:  # paid and refunded in the same batch
                    plan.rows[p.order_id]["status"] = Status.REFUNDED
            result = Result.REFUNDED if refund else Result.UNCHANGED
            plan.outcomes.append(Outcome(p.order_id, result, plan.owner[p.order_id], 0))
            continue
        member_id = members[p.phone]
        spend = to_base(p.amount, p.currency, program)
        points = points_for(spend, program) if p.status is Status.PAID else 0
        at = p.purchased_at.astimezone(UTC)  # as the database gives it back
        plan.rows[p.order_id] = {
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
            "purchased_at": at,
            "source": source,
            "recorded_at": now,
        }
        if points:
            plan.earns.append((member_id, earn_entry(p.order_id, points, at, p.store)))
        seen[p.order_id], plan.owner[p.order_id] = p.status, member_id
        plan.outcomes.append(Outcome(p.order_id, Result.CREATED, member_id, points))
    return plan


def _refunded(plan: _Plan) -> list[str]:
    """The orders this batch refunds: paid before, or told for the first time as refunded."""
    told = [order for order, row in plan.rows.items() if row["status"] == Status.REFUNDED]
    return list(dict.fromkeys(plan.refunds + told))


async def _returns(
    uow: UnitOfWork, order_ids: Sequence[str], now: datetime
) -> list[tuple[int, Entry]]:
    """The points redeemed at the till against these orders (`services.redemptions`), to
    give back now they are refunded: each refund is told once, and the entry's key makes
    sure of it."""
    wanted = {order_redeem_key(order): order for order in order_ids}
    found = await uow.ledger.keyed(list(wanted)) if wanted else {}
    return [
        (member_id, order_return(entry, wanted[key], now))
        for key, (member_id, entry) in found.items()
    ]


def _dates(acct: rules.Account) -> tuple[datetime, datetime | None]:
    """What of an account a member's yearly dates follow: join date, first paid purchase."""
    return acct.joined_at, min((p.at for p in acct.purchases if not p.refunded), default=None)


def _record(accounts: Mapping[int, rules.Account], plan: _Plan) -> None:
    """Fold what the batch wrote (purchases, earns, refunds) into its accounts: the same
    accounts as reading them back would give, once `Histories.keep` puts them in order (the
    rules order what they read themselves; what is appended here is in the order written)."""
    for row in plan.rows.values():
        accounts[row["member_id"]].purchases.append(
            PurchaseFact(
                row["order_id"],
                row["purchased_at"],
                row["base_amount"],
                row["points"],
                row["category"],
                row["limited_edition"],
                row["status"] == Status.REFUNDED,
            )
        )
    for member_id, entry in plan.earns:
        accounts[member_id].entries.append(entry)
    for order_id in plan.refunds:
        facts = accounts[plan.owner[order_id]].purchases
        index = next(i for i, fact in enumerate(facts) if fact.order_id == order_id)
        facts[index] = replace(facts[index], refunded=True)


async def settle_accounts(
    uow: UnitOfWork, accounts: list[rules.Account], now: datetime, program: Program, source: str
) -> int:
    """Settle accounts at `now` and write what that adds, one statement per table, with
    the account news it brings. The accounts in memory are brought up to date too; returns
    how many changed.
    """
    news: list[account_news.News] = []
    entries: list[tuple[int, Entry]] = []
    tiers: list[tuple[int, TierState]] = []
    awards: list[tuple[int, Award]] = []
    changed = 0
    for acct in accounts:
        before = acct.tier_state(program).tier
        settlement = rules.settle(acct, now, program)
        changed += bool(settlement)
        entries.extend((acct.member_id, entry) for entry in settlement.entries)
        if settlement.tier is not None:
            tiers.append((acct.member_id, settlement.tier))
        awards.extend((acct.member_id, award) for award in settlement.awards)
        rules.apply(acct, settlement)
        news += account_news.of_settlement(acct, before, settlement, now, program)
    await uow.ledger.add_many(entries, source, now)
    await uow.tiers.save_many(tiers)
    await uow.badges.add_many(awards)
    if news:
        await account_news.queue(uow, now, news)
    return changed
