"""Badges: rules read from the program file, evaluated after every purchase, each awarded once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty.dates import add_months
from loyalty.program import EventsRule, MembershipRule, Program, PurchasesRule


@dataclass(frozen=True)
class PurchaseFact:
    """A stored purchase, as the rules see it."""

    order_id: str
    at: datetime
    spend: Decimal
    points: int
    category: str | None = None
    limited_edition: bool = False
    refunded: bool = False


@dataclass(frozen=True)
class Award:
    badge: str
    awarded_at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def _matches(rule: PurchasesRule, fact: PurchaseFact) -> bool:
    if fact.refunded:
        return False
    if rule.categories is not None and fact.category not in rule.categories:
        return False
    return rule.limited_edition is None or fact.limited_edition == rule.limited_edition


def _purchases_award(key: str, rule: PurchasesRule, facts: Sequence[PurchaseFact]) -> Award | None:
    """Awarded at the purchase that completes `count` matching ones (within the window, if any)."""
    matching = sorted((f for f in facts if _matches(rule, f)), key=lambda f: f.at)
    for index in range(rule.count - 1, len(matching)):
        last, first = matching[index], matching[index - rule.count + 1]
        if rule.within_months is None or add_months(first.at, rule.within_months) > last.at:
            orders = [f.order_id for f in matching[index - rule.count + 1 : index + 1]]
            return Award(key, last.at, {"orders": orders})
    return None


def new_awards(
    facts: Sequence[PurchaseFact],
    joined_at: datetime,
    events_attended: int,
    already: Collection[str],
    now: datetime,
    program: Program,
) -> list[Award]:
    """Badges earned by `now` and not yet held; a badge once earned is kept."""
    awards = []
    for key, badge in program.badges.items():
        if key in already:
            continue
        rule = badge.rule
        award = None
        if isinstance(rule, PurchasesRule):
            award = _purchases_award(key, rule, facts)
        elif isinstance(rule, MembershipRule):
            reached = add_months(joined_at, 12 * rule.years)
            if reached <= now:
                award = Award(key, reached, {"years": rule.years})
        elif isinstance(rule, EventsRule) and events_attended >= rule.count:
            award = Award(key, now, {"events": events_attended})
        if award is not None and award.awarded_at <= now:
            awards.append(award)
    return awards


def within_reach(
    facts: Sequence[PurchaseFact], already: Collection[str], program: Program
) -> str | None:
    """The unheld purchase badge the member is closest to, for the card's "next badge"."""
    best: tuple[int, str] | None = None
    for key, badge in program.badges.items():
        if key in already or not isinstance(badge.rule, PurchasesRule):
            continue
        missing = badge.rule.count - sum(1 for f in facts if _matches(badge.rule, f))
        if missing > 0 and (best is None or missing < best[0]):
            best = (missing, key)
    return best[1] if best else None
