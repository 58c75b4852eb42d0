"""Account news (loyalty/account_news.py): queued under the `account` purpose through the
one outbox path, each piece once by its key; worded when it goes (services/account_words.py).
A reward newly within reach rides in the day's purchase message while that one waits.

Consent, quiet hours and the frequency cap are the outbox's, at queue and at send time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from loyalty import account_news as rules
from loyalty import rewards
from loyalty.account import Account, Settlement
from loyalty.account_news import News as News
from loyalty.consent import Purpose
from loyalty.program import Program
from loyalty.stores import UnitOfWork
from services.notices import Notice, send_once


async def queue(uow: UnitOfWork, now: datetime, news: Sequence[News]) -> int:
    """Queue the news not queued before, to members who agreed to it; how many went in."""
    kinds: dict[str, list[Notice]] = {}
    for item in news:
        kinds.setdefault(item.kind, []).append(Notice(item.key, item.member_id, item.variables))
    return sum([await send_once(uow, now, k, Purpose.ACCOUNT, n) for k, n in kinds.items()])


async def purchases(
    uow: UnitOfWork, program: Program, now: datetime, bought: Iterable[tuple[int, datetime]]
) -> dict[int, str]:
    """News of the days of these new purchases that earned points (member id, when); the key
    of each member's latest day's news, for what else those purchases are news of."""
    days: dict[int, list[datetime]] = {}
    for member_id, at in bought:
        if rules.recent(at, now):
            days.setdefault(member_id, []).append(at)
    if not days:
        return {}
    members = await uow.members.many(list(days))
    news: list[News] = []
    latest: dict[int, str] = {}
    for member_id, ats in days.items():
        member = members.get(member_id)
        zone = ZoneInfo(member.timezone) if member and member.timezone else program.club.zone
        told = rules.purchase_days(member_id, ats, now, zone)
        news += told
        latest[member_id] = told[-1].key
    await queue(uow, now, news)
    return latest


async def within_reach(
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    accounts: Iterable[Account],
    before: Mapping[int, int],
    days: Mapping[int, str] | None = None,
) -> None:
    """News of the rewards these accounts' points (settled, at `now`) cover and did not at
    `before` (member id -> balance): inside the member's day's purchase message (`days`:
    member id -> its key) while it waits to go, else a message of its own."""
    rising = [a for a in accounts if a.member_id in before and a.balance > before[a.member_id]]
    if not rising or not program.rewards:
        return
    out = await uow.rewards.out()
    taken = await uow.rewards.taken([a.member_id for a in rising])
    news: list[News] = []
    for acct in rising:
        tier = acct.tier_state(program).tier
        offers = rewards.offers(program.rewards, tier, acct.badges, acct.balance, out)
        news += rules.within_reach(
            acct.member_id, offers, before[acct.member_id], taken.get(acct.member_id, {})
        )
    told = await uow.outbox.existing([item.key for item in news])
    alone: list[News] = []
    for item in (item for item in news if item.key not in told):
        into = (days or {}).get(item.member_id)
        row = {
            "key": item.key, "member_id": item.member_id, "kind": item.kind,
            "purpose": Purpose.ACCOUNT.value, "basis": f"consent: {Purpose.ACCOUNT.value}",
            "variables": item.variables,
        }  # fmt: skip
        reward = item.variables["reward"]
        if into is None or not await uow.outbox.fold(into, now, row, rules.REWARDS, reward):
            alone.append(item)
    await queue(uow, now, alone)


def of_settlement(
    acct: Account, before: str, settlement: Settlement, now: datetime, program: Program
) -> list[News]:
    """What settling `acct` (already applied) is news of: a tier, badges, points to expire."""
    news: list[News] = []
    if rules.active((p.at for p in acct.purchases if not p.refunded), now):
        if settlement.tier is not None:
            reached = rules.tier_reached(acct.member_id, before, settlement.tier, now, program)
            news += [reached] if reached else []
        news += rules.badges_earned(acct.member_id, settlement.awards, now)
    return news + rules.expiring(acct.member_id, acct.entries, now, program.points.expiry_months)
