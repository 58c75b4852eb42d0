"""Account news (loyalty/account_news.py): queued under the `account` purpose through the
one outbox path, each piece once by its key; worded when it goes (services/account_words.py).

Consent, quiet hours and the frequency cap are the outbox's, at queue and at send time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from loyalty import account_news as rules
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
) -> None:
    """News of the days of these new purchases that earned points (member id, when)."""
    days: dict[int, list[datetime]] = {}
    for member_id, at in bought:
        if rules.recent(at, now):
            days.setdefault(member_id, []).append(at)
    if not days:
        return
    members = await uow.members.many(list(days))
    news: list[News] = []
    for member_id, ats in days.items():
        member = members.get(member_id)
        zone = ZoneInfo(member.timezone) if member and member.timezone else program.club.zone
        news += rules.purchase_days(member_id, ats, now, zone)
    await queue(uow, now, news)


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
