"""Rewards as data and their rules: who may take what, the tier's discount, points held,
spent or given back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty import rewards
from loyalty.points import Entry, InsufficientPoints, Kind, Reason, balance
from loyalty.program import Program, ProgramError, parse_program
from loyalty.rewards import Status, Voucher

AT = datetime(2026, 5, 4, 10, tzinfo=UTC)
REWARD = """
[rewards.extra]
name = { en = "Extra", fr = "Extra", it = "Extra" }
description = { en = "One more", fr = "Un de plus", it = "Uno in più" }
"""


def test_the_demo_club_offers_tasteful_rewards(program: Program) -> None:
    assert list(program.rewards) == [
        "care_kit", "cleaning", "engraving", "tier_discount", "private_viewing",
    ]  # fmt: skip
    kit = program.rewards["care_kit"]
    assert (kit.cost, kit.stock, kit.valid_days, kit.kind) == (300, 25, 90, "voucher")
    viewing = program.rewards["private_viewing"]
    assert (viewing.kind, viewing.service) == ("experience", "private_viewing")
    assert program.rewards["tier_discount"].discount["gold"] == Decimal(10)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("cost = 0", "program: rewards.extra.cost: Input should be greater than 0"),
        ("cost = -5", "program: rewards.extra.cost: Input should be greater than 0"),
        ('tiers = ["bronze"]', "program: rewards.extra.tiers: unknown tier 'bronze'"),
        ('badges = ["hero"]', "program: rewards.extra.badges: unknown badge 'hero'"),
        ("discount = { copper = 5 }", "program: rewards.extra.discount: unknown tier 'copper'"),
        (
            "discount = { gold = 150 }",
            "program: rewards.extra: discount.gold: a percentage above 0, at most 100",
        ),
        ("stock = -1", "program: rewards.extra.stock: Input should be greater than or equal to 0"),
        ("valid_days = 0", "program: rewards.extra.valid_days: Input should be greater than 0"),
        (
            'kind = "gift"',
            "program: rewards.extra.kind: Input should be 'voucher' or 'experience'",
        ),
        (
            'kind = "experience"',
            "program: rewards.extra: an experience names the service it books (service = ...)",
        ),
        (
            'kind = "experience"\nservice = "massage"',
            "program: rewards.extra.service: unknown service 'massage'",
        ),
        ('service = "resize"', "program: rewards.extra: only an experience books a service"),
        ("colour = 1", "program: rewards.extra.colour: Extra inputs are not permitted"),
    ],
)
def test_a_reward_the_program_cannot_hold_is_refused_at_start_up(
    edit_demo: Callable[..., str], line: str, message: str
) -> None:
    with pytest.raises(ProgramError) as caught:
        cost = "" if line.startswith("cost") else "cost = 100\n"
        parse_program(edit_demo(append=REWARD + cost + line + "\n"))
    assert str(caught.value) == message


def test_a_reward_without_its_text_in_a_club_language_is_refused(
    edit_demo: Callable[..., str],
) -> None:
    text = REWARD.replace(', it = "Uno in più"', "") + "cost = 100\n"
    with pytest.raises(ProgramError, match=r"rewards.extra.description: no text in it$"):
        parse_program(edit_demo(append=text))


def test_who_may_take_what(program: Program) -> None:
    given_ = program.rewards
    assert rewards.may_take(given_["cleaning"], "silver", set())
    assert not rewards.may_take(given_["engraving"], "platinum", set())  # a badge first
    assert rewards.may_take(given_["engraving"], "silver", {"first_purchase", "collector"})
    assert not rewards.may_take(given_["private_viewing"], "gold", set())
    assert rewards.may_take(given_["private_viewing"], "ambassador", set())


def test_the_discount_is_worth_what_the_tier_is(program: Program) -> None:
    discount = program.rewards["tier_discount"]
    assert [rewards.discount(discount, t) for t in ("silver", "gold", "platinum")] == [
        Decimal(5), Decimal(10), Decimal(15),
    ]  # fmt: skip
    assert rewards.discount(program.rewards["cleaning"], "gold") is None


def test_offers_say_what_is_within_reach_and_never_show_a_hidden_tiers(
    program: Program,
) -> None:
    found = rewards.offers(program.rewards, "gold", {"first_purchase"}, 400)
    assert [(o.key, o.short) for o in found] == [
        ("cleaning", 0), ("care_kit", 0), ("engraving", 100), ("tier_discount", 600),
    ]  # fmt: skip
    ambassador = rewards.offers(program.rewards, "ambassador", set(), 3000)
    assert ("private_viewing", 0) in [(o.key, o.short) for o in ambassador]
    assert "engraving" not in [o.key for o in ambassador]


def test_offers_say_what_is_left_of_a_stock_and_none_left_is_not_available(
    program: Program,
) -> None:
    found = rewards.offers(program.rewards, "gold", set(), 400, {"care_kit": 25, "cleaning": 9})
    left = {o.key: (o.left, o.available) for o in found}
    assert left["care_kit"] == (0, False)  # a stock of 25, all out
    assert left["cleaning"] == (None, True)  # no stock: never runs out
    fresh = rewards.offers(program.rewards, "gold", set(), 400)
    assert {o.key: o.left for o in fresh}["care_kit"] == 25


def test_a_hold_beyond_the_balance_is_refused_and_a_return_gives_back_the_same(
    program: Program,
) -> None:
    earned = [Entry(Kind.EARN, 250, AT, "earn:A", Reason.PURCHASE)]
    with pytest.raises(InsufficientPoints):
        rewards.hold(earned, 300, AT, 1)
    held = rewards.hold(earned, 150, AT, 7)
    assert (held.key, held.points, held.reason, held.detail) == (
        "hold:V00007", -150, Reason.VOUCHER, {"voucher": "V00007"},
    )  # fmt: skip
    voucher = _voucher(7, 150, AT + timedelta(days=1))
    back = rewards.give_back(voucher, AT + timedelta(days=2))
    assert (back.key, back.points, back.kind) == ("return:V00007", 150, Kind.RETURN)


def test_a_voucher_ends_after_its_validity(program: Program) -> None:
    ends = rewards.ends(AT, program.rewards["cleaning"])
    assert ends == AT + timedelta(days=60)
    assert rewards.ends(AT, program.rewards["tier_discount"]) == AT + timedelta(days=30)
    voucher = _voucher(1, 150, ends)
    assert not voucher.expired(ends - timedelta(seconds=1)) and voucher.expired(ends)
    assert not _voucher(2, 150, None).expired(AT + timedelta(days=10_000))


def _voucher(voucher_id: int, points: int, expires: datetime | None) -> Voucher:
    return Voucher(voucher_id, 1, "cleaning", points, None, Status.HELD, AT, expires, None)


STEPS = st.lists(
    st.tuples(st.sampled_from(["earn", "take", "use", "cancel", "expire"]), st.integers(1, 500)),
    max_size=40,
)


@settings(database=None, deadline=None)
@given(STEPS)
def test_the_balance_never_goes_negative_and_every_held_point_is_spent_or_returned(
    steps: list[tuple[str, int]],
) -> None:
    entries: list[Entry] = []
    held: dict[int, Voucher] = {}
    spent = returned = taken = 0
    for n, (step, amount) in enumerate(steps):
        at = AT + timedelta(minutes=n)
        if step == "earn":
            entries.append(Entry(Kind.EARN, amount, at, f"earn:{n}", Reason.PURCHASE))
        elif step == "take":
            try:
                entries.append(rewards.hold(entries, amount, at, n + 1))
            except InsufficientPoints:
                continue
            held[n + 1] = _voucher(n + 1, amount, None)
            taken += amount
        elif held:
            voucher = held.pop(sorted(held)[amount % len(held)])
            if step == "use":
                spent += voucher.points
            else:
                entries.append(rewards.give_back(voucher, at))
                returned += voucher.points
        assert balance(entries) >= 0
    outstanding = sum(v.points for v in held.values())
    assert taken == spent + returned + outstanding
    earned = sum(e.points for e in entries if e.kind is Kind.EARN)
    assert balance(entries) == earned - spent - outstanding
