"""Segments from the jeweller's playbook, most valuable first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from loyalty.program import Program
from loyalty.segments import Segment, segments_for

from .factories import fact, utc

NOW = utc(2025, 6, 15)


def test_member_without_purchases_is_in_no_segment(program: Program) -> None:
    assert segments_for([], NOW, program) == []


def test_member_with_only_refunded_purchases_is_in_no_segment(program: Program) -> None:
    facts = [fact("A", NOW - timedelta(days=400), 20000, category="bespoke", refunded=True)]
    assert segments_for(facts, NOW, program) == []


def test_high_value_collector_spends_ten_thousand_across_two_categories(
    program: Program,
) -> None:
    facts = [
        fact("A", NOW - timedelta(days=200), "6000.00", category="ring"),
        fact("B", NOW - timedelta(days=150), "4000.00", category="necklace"),
    ]
    assert segments_for(facts, NOW, program) == [Segment.HIGH_VALUE_COLLECTOR]


def test_high_value_needs_the_full_spend(program: Program) -> None:
    facts = [
        fact("A", NOW - timedelta(days=200), "6000.00", category="ring"),
        fact("B", NOW - timedelta(days=150), "3999.99", category="necklace"),
    ]
    assert segments_for(facts, NOW, program) == []


def test_high_value_needs_several_categories(program: Program) -> None:
    facts = [
        fact("A", NOW - timedelta(days=200), "6000.00", category="ring"),
        fact("B", NOW - timedelta(days=150), "6000.00", category="ring"),
    ]
    assert segments_for(facts, NOW, program) == []


def test_refunded_spend_does_not_make_a_high_value_collector(program: Program) -> None:
    facts = [
        fact("A", NOW - timedelta(days=200), "6000.00", category="ring"),
        fact("B", NOW - timedelta(days=150), "4000.00", category="necklace", refunded=True),
    ]
    assert segments_for(facts, NOW, program) == []


@pytest.mark.parametrize("category", ["resize", "bespoke", "made_to_order", "repair"])
def test_custom_client_bought_a_custom_service(program: Program, category: str) -> None:
    facts = [fact("A", NOW - timedelta(days=200), 80, category=category)]
    assert segments_for(facts, NOW, program) == [Segment.CUSTOM_CLIENT]


@pytest.mark.parametrize("category", ["engagement", "wedding", "anniversary", "gift"])
def test_milestone_buyer_bought_for_an_occasion(program: Program, category: str) -> None:
    facts = [fact("A", NOW - timedelta(days=200), 800, category=category)]
    assert segments_for(facts, NOW, program) == [Segment.MILESTONE_BUYER]


def test_new_repeat_buyer_has_two_purchases_the_last_one_recent(program: Program) -> None:
    facts = [fact("A", NOW - timedelta(days=300)), fact("B", NOW - timedelta(days=90))]
    assert segments_for(facts, NOW, program) == [Segment.NEW_REPEAT_BUYER]


def test_new_repeat_buyer_needs_the_last_purchase_within_ninety_days(program: Program) -> None:
    facts = [fact("A", NOW - timedelta(days=300)), fact("B", NOW - timedelta(days=90, seconds=1))]
    assert segments_for(facts, NOW, program) == []


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, []), (2, [Segment.NEW_REPEAT_BUYER]), (3, [Segment.NEW_REPEAT_BUYER]), (4, [])],
)
def test_new_repeat_buyer_has_two_to_three_purchases(
    program: Program, count: int, expected: list[Segment]
) -> None:
    facts = [fact(f"o{n}", NOW - timedelta(days=10 + n)) for n in range(count)]
    assert segments_for(facts, NOW, program) == expected


def test_refunded_purchases_are_not_counted_as_repeat_purchases(program: Program) -> None:
    facts = [
        fact("A", NOW - timedelta(days=30)),
        fact("B", NOW - timedelta(days=10), refunded=True),
    ]
    assert segments_for(facts, NOW, program) == []


def test_dormant_but_promising_spent_enough_and_nothing_for_a_year(program: Program) -> None:
    facts = [fact("A", NOW - timedelta(days=366), "1000.00")]
    assert segments_for(facts, NOW, program) == [Segment.DORMANT_BUT_PROMISING]


def test_not_dormant_on_the_365th_day(program: Program) -> None:
    facts = [fact("A", NOW - timedelta(days=365), "1000.00")]
    assert segments_for(facts, NOW, program) == []


def test_not_dormant_but_promising_below_the_minimum_spend(program: Program) -> None:
    facts = [fact("A", NOW - timedelta(days=800), "999.99")]
    assert segments_for(facts, NOW, program) == []


def test_segments_come_most_valuable_first(program: Program) -> None:
    recent = [
        fact("A", NOW - timedelta(days=60), "6000.00", category="bespoke"),
        fact("B", NOW - timedelta(days=5), "5000.00", category="engagement"),
    ]
    assert segments_for(recent, NOW, program) == [
        Segment.HIGH_VALUE_COLLECTOR,
        Segment.CUSTOM_CLIENT,
        Segment.MILESTONE_BUYER,
        Segment.NEW_REPEAT_BUYER,
    ]
    dormant = [
        fact("A", NOW - timedelta(days=900), "6000.00", category="repair"),
        fact("B", NOW - timedelta(days=700), "5000.00", category="wedding"),
    ]
    assert segments_for(dormant, NOW, program) == [
        Segment.HIGH_VALUE_COLLECTOR,
        Segment.CUSTOM_CLIENT,
        Segment.MILESTONE_BUYER,
        Segment.DORMANT_BUT_PROMISING,
    ]


def test_segment_thresholds_come_from_the_program(variant: Callable[..., Program]) -> None:
    program = variant(
        ('high_value_spend = "10000"', 'high_value_spend = "2000"'),
        ("recent_days = 90 ", "recent_days = 30 "),
    )
    facts = [
        fact("A", NOW - timedelta(days=200), "1000.00", category="ring"),
        fact("B", NOW - timedelta(days=45), "1000.00", category="necklace"),
    ]
    assert segments_for(facts, NOW, program) == [Segment.HIGH_VALUE_COLLECTOR]


def test_a_resize_or_bespoke_booking_makes_a_custom_client(program: Program) -> None:
    assert segments_for([], NOW, program, booked={"resize"}) == [Segment.CUSTOM_CLIENT]
    assert segments_for([], NOW, program, booked={"stone_matching"}) == []
    assert segments_for([], NOW, program, booked={"no_longer_offered"}) == []
