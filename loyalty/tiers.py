"""Tiers: upgrade the moment a member qualifies, downgrade only at the review after the window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from loyalty.dates import add_months
from loyalty.program import Program, QualifyOn, TierLevel


@dataclass(frozen=True)
class Qualifying:
    """What one paid purchase brings toward a tier."""

    at: datetime
    points: int
    spend: Decimal


@dataclass(frozen=True)
class TierState:
    tier: str
    since: datetime
    review_at: datetime | None  # None: nothing to review (the entry tier, or invited)
    invited: bool = False


def window_total(items: Iterable[Qualifying], as_of: datetime, program: Program) -> Decimal:
    """Points or spend earned in the window ending at `as_of`; its first instant is excluded."""
    start = add_months(as_of, -program.tiers.window_months)
    if program.tiers.qualify_on is QualifyOn.POINTS:  # whole numbers: summed as such
        return Decimal(sum(item.points for item in items if start < item.at <= as_of))
    return sum((item.spend for item in items if start < item.at <= as_of), Decimal(0))


def level_for(total: Decimal, program: Program) -> TierLevel:
    """The highest public tier whose threshold `total` reaches."""
    reached = [level for level in program.tiers.public if total >= (level.threshold or 0)]
    return reached[-1]


def rank(key: str, program: Program) -> int:
    """Order of tiers; invite-only tiers sit above every public one."""
    public = [level.key for level in program.tiers.public]
    return public.index(key) if key in public else len(public)


def entry_state(joined_at: datetime, program: Program) -> TierState:
    return TierState(program.tiers.public[0].key, joined_at, None)


def _review_date(since: datetime, program: Program) -> datetime:
    return add_months(since, program.tiers.window_months + program.tiers.grace_months)


def evaluate(
    state: TierState, items: Iterable[Qualifying], now: datetime, program: Program
) -> TierState:
    """The tier at `now`: upgrades at once; reviews that fell due downgrade to what is earned."""
    if state.invited:
        return state
    items = list(items)
    while state.review_at is not None and state.review_at <= now:
        review = state.review_at
        earned = level_for(window_total(items, review, program), program)
        if rank(earned.key, program) < rank(state.tier, program):
            state = TierState(earned.key, review, None)
        if rank(state.tier, program) > 0:
            state = replace(state, review_at=_review_date(review, program))
        else:
            state = replace(state, review_at=None)
    earned = level_for(window_total(items, now, program), program)
    if rank(earned.key, program) > rank(state.tier, program):
        state = TierState(earned.key, now, _review_date(now, program))
    return state


@dataclass(frozen=True)
class Progress:
    """How far the next public tier is, in the program's unit and in base currency."""

    next_tier: TierLevel
    remaining: Decimal
    remaining_spend: Decimal


def progress(
    state: TierState, items: Iterable[Qualifying], now: datetime, program: Program
) -> Progress | None:
    """What is left to the next public tier, or None at the top (or in an invited tier)."""
    ladder = program.tiers.public
    position = rank(state.tier, program)
    if state.invited or position + 1 >= len(ladder):
        return None
    upcoming = ladder[position + 1]
    zero = Decimal(0)
    remaining = max((upcoming.threshold or zero) - window_total(items, now, program), zero)
    spend = remaining
    if program.tiers.qualify_on is QualifyOn.POINTS:
        spend = (remaining / program.points.per_unit).quantize(Decimal("0.01"))
    return Progress(upcoming, remaining, spend)
