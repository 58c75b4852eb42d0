"""Tiers: upgrade at once, downgrade only at the review, invite-only tiers left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from loyalty.account import Account
from loyalty.program import Program
from loyalty.tiers import (
    Progress,
    Qualifying,
    TierState,
    entry_state,
    evaluate,
    level_for,
    progress,
    rank,
    window_total,
)

from .factories import fact, utc

JOINED = utc(2024, 1, 1)
SECOND = timedelta(seconds=1)


def bought(points: int, at: datetime, spend: str | None = None) -> Qualifying:
    """A paid purchase's contribution; its spend is the points unless told."""
    return Qualifying(at, points, Decimal(points if spend is None else spend))


@pytest.fixture
def spend_program(variant: Callable[..., Program]) -> Program:
    return variant(('qualify_on = "points"', 'qualify_on = "spend"'))


def test_window_excludes_a_purchase_at_its_first_instant(program: Program) -> None:
    as_of = utc(2025, 6, 15, 12)
    start = utc(2024, 6, 15, 12)
    items = [bought(100, start), bought(200, start + SECOND), bought(400, as_of)]
    assert window_total(items, as_of, program) == Decimal(600)


def test_window_ignores_purchases_after_its_end(program: Program) -> None:
    as_of = utc(2025, 6, 15, 12)
    assert window_total([bought(100, as_of + SECOND)], as_of, program) == Decimal(0)


def test_purchase_leaves_the_window_the_day_the_window_closes(program: Program) -> None:
    items = [bought(1500, utc(2024, 3, 1, 10))]
    assert window_total(items, utc(2025, 3, 1, 10) - SECOND, program) == Decimal(1500)
    assert window_total(items, utc(2025, 3, 1, 10), program) == Decimal(0)


def test_window_counts_spend_when_the_club_qualifies_on_spend(spend_program: Program) -> None:
    items = [bought(1, utc(2025, 1, 1), "1499.99"), bought(0, utc(2025, 2, 1), "0.01")]
    assert window_total(items, utc(2025, 6, 1), spend_program) == Decimal("1500.00")


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        (0, "silver"),
        (1499, "silver"),
        (1500, "gold"),
        (4999, "gold"),
        (5000, "platinum"),
        (10**9, "platinum"),
    ],
)
def test_level_is_the_highest_public_threshold_reached(
    program: Program, total: int, tier: str
) -> None:
    assert level_for(Decimal(total), program).key == tier


def test_invite_only_tier_ranks_above_every_public_one(program: Program) -> None:
    ranks = [rank(key, program) for key in ("silver", "gold", "platinum", "ambassador")]
    assert ranks == [0, 1, 2, 3]


def test_new_member_starts_in_the_entry_tier_with_nothing_to_review(program: Program) -> None:
    assert entry_state(JOINED, program) == TierState("silver", JOINED, None)


def test_upgrade_happens_the_moment_the_member_qualifies(program: Program) -> None:
    at = utc(2024, 3, 1, 10)
    state = evaluate(entry_state(JOINED, program), [bought(1500, at)], at, program)
    assert state == TierState("gold", at, utc(2025, 6, 1, 10))  # window 12 + grace 3


def test_one_point_short_stays_in_the_entry_tier(program: Program) -> None:
    at = utc(2024, 3, 1, 10)
    state = evaluate(entry_state(JOINED, program), [bought(1499, at)], at, program)
    assert state == TierState("silver", JOINED, None)


def test_upgrade_can_skip_a_tier(program: Program) -> None:
    at = utc(2024, 3, 1, 10)
    state = evaluate(entry_state(JOINED, program), [bought(5000, at)], at, program)
    assert state == TierState("platinum", at, utc(2025, 6, 1, 10))


def test_upgrade_from_gold_to_platinum_restarts_the_review(program: Program) -> None:
    gold = TierState("gold", utc(2024, 3, 1, 10), utc(2025, 6, 1, 10))
    items = [bought(1500, utc(2024, 3, 1, 10)), bought(3500, utc(2024, 9, 1, 10))]
    state = evaluate(gold, items, utc(2024, 9, 1, 10), program)
    assert state == TierState("platinum", utc(2024, 9, 1, 10), utc(2025, 12, 1, 10))


def test_no_downgrade_before_review_at(program: Program) -> None:
    gold = TierState("gold", utc(2024, 3, 1, 10), utc(2025, 6, 1, 10))
    items = [bought(1500, utc(2024, 3, 1, 10))]  # out of the window since 2025-03-01
    assert evaluate(gold, items, utc(2025, 6, 1, 10) - SECOND, program) == gold


def test_at_the_review_a_member_who_no_longer_qualifies_drops(program: Program) -> None:
    gold = TierState("gold", utc(2024, 3, 1, 10), utc(2025, 6, 1, 10))
    items = [bought(1500, utc(2024, 3, 1, 10))]
    state = evaluate(gold, items, utc(2025, 6, 1, 10), program)
    assert state == TierState("silver", utc(2025, 6, 1, 10), None)


def test_at_the_review_a_member_drops_only_to_what_the_window_supports(
    program: Program,
) -> None:
    platinum = TierState("platinum", utc(2024, 3, 1, 10), utc(2025, 6, 1, 10))
    items = [bought(5000, utc(2024, 3, 1, 10)), bought(2000, utc(2025, 1, 15))]
    state = evaluate(platinum, items, utc(2025, 7, 1), program)
    assert state == TierState("gold", utc(2025, 6, 1, 10), utc(2026, 9, 1, 10))


def test_at_the_review_a_member_who_still_qualifies_keeps_the_tier_another_cycle(
    program: Program,
) -> None:
    gold = TierState("gold", utc(2024, 3, 1, 10), utc(2025, 6, 1, 10))
    items = [bought(1500, utc(2024, 3, 1, 10)), bought(1600, utc(2025, 1, 15))]
    state = evaluate(gold, items, utc(2025, 6, 1, 10), program)
    assert state == TierState("gold", utc(2024, 3, 1, 10), utc(2026, 9, 1, 10))


def test_reviews_missed_while_away_are_all_held_in_order(program: Program) -> None:
    platinum = TierState("platinum", utc(2024, 3, 1, 10), utc(2025, 6, 1, 10))
    items = [bought(5000, utc(2024, 3, 1, 10)), bought(2000, utc(2025, 1, 15))]
    state = evaluate(platinum, items, utc(2028, 1, 1), program)
    # 2025-06-01: gold (2000 in the window); 2026-09-01: nothing left, silver
    assert state == TierState("silver", utc(2026, 9, 1, 10), None)


def test_refund_after_upgrade_keeps_tier_until_review(program: Program) -> None:
    at = utc(2024, 3, 1, 10)
    account = Account(1, JOINED, purchases=[fact("A", at, 1500)])
    gold = evaluate(entry_state(JOINED, program), account.qualifying(), at, program)
    assert gold.tier == "gold"

    account.purchases = [fact("A", at, 1500, refunded=True)]
    assert account.qualifying() == []
    assert evaluate(gold, account.qualifying(), utc(2024, 3, 2), program) == gold
    assert evaluate(gold, account.qualifying(), utc(2025, 6, 1, 10), program) == TierState(
        "silver", utc(2025, 6, 1, 10), None
    )


def test_invite_only_tier_is_never_reviewed(program: Program) -> None:
    invited = TierState("ambassador", utc(2024, 3, 1), None, invited=True)
    assert evaluate(invited, [], utc(2030, 1, 1), program) == invited
    assert evaluate(invited, [bought(9000, utc(2030, 1, 1))], utc(2030, 1, 1), program) == invited


def test_invite_only_tier_is_never_offered_as_next_tier(program: Program) -> None:
    platinum = TierState("platinum", utc(2025, 1, 1), utc(2026, 4, 1))
    assert progress(platinum, [bought(6000, utc(2025, 1, 1))], utc(2025, 2, 1), program) is None
    invited = TierState("ambassador", utc(2024, 3, 1), None, invited=True)
    assert progress(invited, [], utc(2025, 2, 1), program) is None


def test_progress_counts_what_remains_in_points_and_in_spend(program: Program) -> None:
    silver = entry_state(JOINED, program)
    items = [bought(600, utc(2025, 1, 1))]
    assert progress(silver, items, utc(2025, 2, 1), program) == Progress(
        program.tiers.level("gold"), Decimal(900), Decimal("900.00")
    )
    gold = TierState("gold", utc(2025, 1, 1), utc(2026, 4, 1))
    assert progress(gold, [bought(1750, utc(2025, 1, 1))], utc(2025, 2, 1), program) == Progress(
        program.tiers.level("platinum"), Decimal(3250), Decimal("3250.00")
    )


def test_progress_in_spend_follows_the_earn_rate(variant: Callable[..., Program]) -> None:
    program = variant(("per_unit = 1 ", "per_unit = 3 "))
    silver = entry_state(JOINED, program)
    result = progress(silver, [bought(500, utc(2025, 1, 1))], utc(2025, 2, 1), program)
    assert result is not None
    assert (result.remaining, result.remaining_spend) == (Decimal(1000), Decimal("333.33"))


def test_club_can_qualify_on_spend_instead_of_points(spend_program: Program) -> None:
    at = utc(2024, 3, 1, 10)
    start = entry_state(JOINED, spend_program)
    assert evaluate(start, [bought(1, at, "1500.00")], at, spend_program) == TierState(
        "gold", at, utc(2025, 6, 1, 10)
    )
    assert evaluate(start, [bought(1500, at, "1499.99")], at, spend_program) == start
    assert progress(start, [bought(0, at, "1200.50")], at, spend_program) == Progress(
        spend_program.tiers.level("gold"), Decimal("299.50"), Decimal("299.50")
    )
