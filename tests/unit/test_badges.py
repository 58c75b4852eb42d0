"""Badges: rules read from the program, refunds never count, each badge awarded once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from loyalty.badges import Award, PurchaseFact, new_awards, within_reach
from loyalty.program import Program

from .factories import fact, utc

JOINED = utc(2024, 1, 1)
BEFORE_ANNIVERSARY = utc(2024, 12, 1)
PURCHASE_BADGES = {"first_purchase", "first_repair", "collector"}


def awards(
    program: Program,
    facts: list[PurchaseFact],
    now: datetime = BEFORE_ANNIVERSARY,
    *,
    events: int = 0,
    already: frozenset[str] = frozenset(),
) -> list[Award]:
    return new_awards(facts, JOINED, events, already, now, program)


def test_nothing_is_awarded_before_anything_happens(program: Program) -> None:
    assert awards(program, []) == []


def test_first_purchase_is_awarded_at_that_purchase(program: Program) -> None:
    facts = [fact("A", utc(2024, 2, 1)), fact("B", utc(2024, 3, 1))]
    assert awards(program, facts) == [Award("first_purchase", utc(2024, 2, 1), {"orders": ["A"]})]


@pytest.mark.parametrize("category", ["repair", "service"])
def test_first_repair_is_awarded_for_a_repair_category(program: Program, category: str) -> None:
    facts = [
        fact("A", utc(2024, 2, 1), category="ring"),
        fact("R", utc(2024, 4, 1), category=category),
    ]
    assert awards(program, facts, already=frozenset({"first_purchase"})) == [
        Award("first_repair", utc(2024, 4, 1), {"orders": ["R"]})
    ]


def test_first_repair_is_not_awarded_for_other_categories(program: Program) -> None:
    facts = [
        fact("A", utc(2024, 2, 1), category="resize"),
        fact("B", utc(2024, 3, 1), category=None),
    ]
    assert [a.badge for a in awards(program, facts)] == ["first_purchase"]


def test_collector_needs_two_limited_editions_within_twelve_months(program: Program) -> None:
    facts = [
        fact("L1", utc(2024, 1, 15), limited_edition=True),
        fact("X", utc(2024, 5, 1)),
        fact("L2", utc(2024, 12, 14), limited_edition=True),
    ]
    result = awards(program, facts, utc(2024, 12, 20), already=frozenset({"first_purchase"}))
    assert result == [Award("collector", utc(2024, 12, 14), {"orders": ["L1", "L2"]})]


def test_two_limited_editions_thirteen_months_apart_do_not_earn_collector(
    program: Program,
) -> None:
    facts = [
        fact("L1", utc(2024, 1, 15), limited_edition=True),
        fact("L2", utc(2025, 2, 15), limited_edition=True),
    ]
    assert "collector" not in [a.badge for a in awards(program, facts, utc(2025, 3, 1))]


def test_two_limited_editions_exactly_twelve_months_apart_do_not_earn_collector(
    program: Program,
) -> None:
    facts = [
        fact("L1", utc(2024, 1, 15), limited_edition=True),
        fact("L2", utc(2025, 1, 15), limited_edition=True),
    ]
    assert "collector" not in [a.badge for a in awards(program, facts, utc(2025, 3, 1))]


def test_collector_is_awarded_at_the_first_pair_close_enough(program: Program) -> None:
    facts = [
        fact("L3", utc(2023, 7, 1), limited_edition=True),
        fact("L1", utc(2022, 1, 1), limited_edition=True),
        fact("L2", utc(2023, 3, 1), limited_edition=True),  # 14 months after L1
        fact("L4", utc(2023, 8, 1), limited_edition=True),
    ]
    result = awards(program, facts, utc(2024, 1, 1), already=frozenset({"first_purchase"}))
    assert result == [Award("collector", utc(2023, 7, 1), {"orders": ["L2", "L3"]})]


def test_one_limited_edition_and_one_regular_piece_do_not_earn_collector(
    program: Program,
) -> None:
    facts = [fact("L1", utc(2024, 2, 1), limited_edition=True), fact("X", utc(2024, 3, 1))]
    assert "collector" not in [a.badge for a in awards(program, facts)]


def test_anniversary_is_awarded_after_a_year_in_the_club(program: Program) -> None:
    assert awards(program, [], utc(2025, 1, 1, 11, 59, 59)) == []  # joined at noon
    assert awards(program, [], utc(2025, 1, 1)) == [
        Award("anniversary", utc(2025, 1, 1), {"years": 1})
    ]
    assert awards(program, [], utc(2026, 5, 1)) == [
        Award("anniversary", utc(2025, 1, 1), {"years": 1})
    ]


def test_community_builder_needs_three_events_attended(program: Program) -> None:
    now = utc(2024, 6, 1)
    assert awards(program, [], now, events=2) == []
    assert awards(program, [], now, events=3) == [Award("community_builder", now, {"events": 3})]


def test_refunded_purchases_do_not_count(program: Program) -> None:
    facts = [
        fact("L1", utc(2024, 2, 1), limited_edition=True, refunded=True),
        fact("L2", utc(2024, 3, 1), limited_edition=True),
        fact("R", utc(2024, 4, 1), category="repair", refunded=True),
    ]
    assert awards(program, facts) == [Award("first_purchase", utc(2024, 3, 1), {"orders": ["L2"]})]
    assert awards(program, [fact("A", utc(2024, 2, 1), refunded=True)]) == []


def test_badges_already_held_are_not_awarded_again(program: Program) -> None:
    facts = [fact("R", utc(2024, 2, 1), category="repair")]
    held = frozenset({"first_purchase", "first_repair", "anniversary", "community_builder"})
    assert awards(program, facts, utc(2026, 1, 1), events=5, already=held) == []


def test_purchase_after_now_does_not_count_yet(program: Program) -> None:
    assert awards(program, [fact("A", utc(2024, 12, 2))], utc(2024, 12, 1)) == []


def test_every_badge_is_awarded_together_in_program_order(program: Program) -> None:
    facts = [
        fact("R", utc(2024, 2, 1), category="repair", limited_edition=True),
        fact("L", utc(2024, 6, 1), limited_edition=True),
    ]
    now = utc(2025, 2, 1)
    assert awards(program, facts, now, events=4) == [
        Award("first_purchase", utc(2024, 2, 1), {"orders": ["R"]}),
        Award("first_repair", utc(2024, 2, 1), {"orders": ["R"]}),
        Award("collector", utc(2024, 6, 1), {"orders": ["R", "L"]}),
        Award("anniversary", utc(2025, 1, 1), {"years": 1}),
        Award("community_builder", now, {"events": 4}),
    ]


NEW_BADGES = """
[badges.bespoke_patron]
name = { en = "Bespoke patron", fr = "Client sur mesure", it = "Cliente su misura" }
rule = { kind = "purchases", count = 2, categories = ["bespoke"], within_months = 24 }

[badges.five_years]
name = { en = "Five years with us", fr = "Cinq ans avec nous", it = "Cinque anni con noi" }
rule = { kind = "membership", years = 5 }
"""


def test_new_badge_rule_added_as_data_works_without_code(
    variant: Callable[..., Program],
) -> None:
    program = variant(append=NEW_BADGES)
    assert program.badges["bespoke_patron"].name["it"] == "Cliente su misura"
    facts = [
        fact("B1", utc(2024, 2, 1), category="bespoke"),
        fact("B2", utc(2025, 12, 1), category="bespoke"),
    ]
    held = frozenset({"first_purchase", "anniversary"})
    assert awards(program, facts, utc(2029, 1, 1), already=held) == [
        Award("bespoke_patron", utc(2025, 12, 1), {"orders": ["B1", "B2"]}),
        Award("five_years", utc(2029, 1, 1), {"years": 5}),
    ]
    assert awards(program, facts[:1], utc(2028, 12, 31), already=held) == []


def test_next_badge_within_reach_is_the_closest_unheld_purchase_badge(
    program: Program,
) -> None:
    facts = [fact("L", utc(2024, 2, 1), limited_edition=True)]
    assert within_reach([], set(), program) == "first_purchase"
    assert within_reach(facts, {"first_purchase"}, program) == "first_repair"
    assert within_reach(facts, {"first_purchase", "first_repair"}, program) == "collector"
    assert within_reach(facts, PURCHASE_BADGES, program) is None
