"""Account news: what a member's points did, told under the `account` purpose.

Each piece of news has a key of its own, so it is queued once whatever replays it: a day of
purchases (one message however many lines that day had), a tier reached, a badge earned, a
lot of points about to expire, a reward newly within reach. News is of what happened lately:
a launch import of years of purchases, or tiers and badges those old purchases bring, tells
the member nothing.

A reward newly within reach: one the member may take, with some left, that their points now
cover and did not before they rose (a purchase, a gift). Once per reward until they take one
of it (`reach:<member>:<reward>:<vouchers of it taken>`): points dipping and rising again tell
nothing new; after taking one, covering it again is news again. It goes inside the day's
purchase message while that one waits to go (one message, not two), else on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from loyalty import points, tiers
from loyalty.badges import Award
from loyalty.points import Entry, Kind, Reason
from loyalty.program import Program
from loyalty.rewards import Offer
from loyalty.tiers import TierState

EARNED = "points_earned"
TIER = "tier_reached"
BADGE = "badge_earned"
EXPIRING = "points_expiring"
REACH = "reward_within_reach"
KINDS = (EARNED, TIER, BADGE, EXPIRING, REACH)
# the template of a day's purchase message that also names rewards now within reach
EARNED_REACH = "points_earned_reach"
REWARDS = "rewards"  # the variable of a day's purchase message naming them (comma-separated)

RECENT = timedelta(days=3)  # older purchases, tiers and badges are history, not news
AHEAD = timedelta(days=30)  # points expiring this soon are told of, once per expiry


@dataclass(frozen=True)
class News:
    kind: str
    key: str  # unique per piece of news: queued once
    member_id: int
    variables: dict[str, str] = field(default_factory=dict)


def recent(at: datetime, now: datetime) -> bool:
    return now - RECENT <= at <= now


def active(bought: Iterable[datetime], now: datetime) -> bool:
    """Whether the member bought lately: only then are a tier or badge news (settling a
    launch import's old purchases moves tiers and gives badges "now", yet tells nothing)."""
    return any(recent(at, now) for at in bought)


def purchase_days(
    member_id: int, bought: Iterable[datetime], now: datetime, zone: tzinfo
) -> list[News]:
    """One piece of news per day (in the member's zone) of recent purchases that earned."""
    days = sorted({at.astimezone(zone).date() for at in bought if recent(at, now)})
    return [
        News(EARNED, f"{EARNED}:{member_id}:{day}", member_id, {"day": day.isoformat()})
        for day in days
    ]


def earned_on(entries: Iterable[Entry], day: date, zone: tzinfo) -> int:
    """Points the member's purchases of `day` earned (less any refunded since)."""
    orders = {
        e.key.removeprefix("earn:")
        for e in entries
        if e.kind is Kind.EARN
        and e.reason is Reason.PURCHASE
        and e.occurred_at.astimezone(zone).date() == day
    }
    keys = {f"earn:{o}" for o in orders} | {f"reverse:{o}" for o in orders}
    return sum(e.points for e in entries if e.key in keys)


def tier_reached(
    member_id: int, before: str, after: TierState, now: datetime, program: Program
) -> News | None:
    """A recent move up to a public tier (invited tiers are told of in person)."""
    if after.invited or not recent(after.since, now):
        return None
    if tiers.rank(after.tier, program) <= tiers.rank(before, program):
        return None
    key = f"{TIER}:{member_id}:{after.tier}:{after.since.date().isoformat()}"
    return News(TIER, key, member_id, {"tier": after.tier})


def badges_earned(member_id: int, awards: Iterable[Award], now: datetime) -> list[News]:
    return [
        News(BADGE, f"{BADGE}:{member_id}:{a.badge}", member_id, {"badge": a.badge})
        for a in awards
        if recent(a.awarded_at, now)
    ]


def expiring(
    member_id: int, entries: Sequence[Entry], now: datetime, expiry_months: int | None
) -> list[News]:
    """Each date some of the member's points expire within `AHEAD`: once per date."""
    soon: dict[datetime, int] = {}
    for at, remaining in points.expiring_soon(entries, now, now + AHEAD, expiry_months):
        soon[at] = soon.get(at, 0) + remaining
    keys = {at: f"{EXPIRING}:{member_id}:{at.isoformat()}" for at in soon}
    return [News(EXPIRING, keys[at], member_id, {"on": at.isoformat()}) for at in sorted(soon)]


def expiring_on(entries: Sequence[Entry], on: datetime, now: datetime, months: int | None) -> int:
    """How many points still expire at `on` (0: spent or expired since the news was queued)."""
    return sum(p for at, p in points.expiring_soon(entries, now, on, months) if at == on)


def within_reach(
    member_id: int, offers: Iterable[Offer], before: int, taken: Mapping[str, int]
) -> list[News]:
    """The rewards of `offers` (what the member may take, at their points now) that those
    points cover and `before` did not, with some left; `taken`: vouchers of each the member
    ever took."""
    return [
        News(REACH, f"reach:{member_id}:{o.key}:{taken.get(o.key, 0)}", member_id,
             {"reward": o.key})
        for o in offers
        if o.short == 0 and o.available and o.reward.cost > before
    ]  # fmt: skip


def still_within_reach(keys: Iterable[str], offers: Iterable[Offer]) -> list[Offer]:
    """Of the rewards told as within reach, those still so when the news goes."""
    now = {o.key: o for o in offers if o.short == 0 and o.available}
    return [now[key] for key in dict.fromkeys(keys) if key in now]
