"""One member's standing in the club, and what follows from it at a given moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from loyalty import badges, points, segments, tiers
from loyalty.badges import Award, PurchaseFact
from loyalty.points import Entry
from loyalty.program import Program
from loyalty.tiers import Qualifying, TierState


@dataclass
class Account:
    """What the rules need to know about one member, loaded in one go."""

    member_id: int
    joined_at: datetime
    purchases: list[PurchaseFact] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    tier: TierState | None = None
    badges: set[str] = field(default_factory=set)
    events_attended: int = 0
    booked: set[str] = field(default_factory=set)  # services booked (not cancelled)

    @property
    def balance(self) -> int:
        return points.balance(self.entries)

    def qualifying(self) -> list[Qualifying]:
        return [Qualifying(p.at, p.points, p.spend) for p in self.purchases if not p.refunded]

    def tier_state(self, program: Program) -> TierState:
        return self.tier or tiers.entry_state(self.joined_at, program)

    def segments(self, now: datetime, program: Program) -> list[segments.Segment]:
        return segments.segments_for(self.purchases, now, program, self.booked)


@dataclass(frozen=True)
class Settlement:
    """What settling an account at a moment adds: expiries, a tier change, new badges."""

    entries: list[Entry]
    tier: TierState | None
    awards: list[Award]

    def __bool__(self) -> bool:
        return bool(self.entries or self.tier or self.awards)


def settle(account: Account, now: datetime, program: Program) -> Settlement:
    """Bring an account up to `now`: expire due points, move the tier, award badges."""
    expired = points.expiries_due(account.entries, now, program.points.expiry_months)
    before = account.tier_state(program)
    after = tiers.evaluate(before, account.qualifying(), now, program)
    awards = badges.new_awards(
        account.purchases, account.joined_at, account.events_attended, account.badges, now, program
    )
    changed = after if (after != before or account.tier is None) else None
    return Settlement(expired, changed, awards)


def apply(account: Account, settlement: Settlement) -> None:
    """Fold a settlement into the in-memory account, so the caller can render the result."""
    account.entries.extend(settlement.entries)
    if settlement.tier is not None:
        account.tier = settlement.tier
    account.badges.update(award.badge for award in settlement.awards)
