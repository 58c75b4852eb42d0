"""The points ledger: a balance that is the sum, redeems within it, expiry oldest lot first."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.points import (
    Entry,
    InsufficientPoints,
    Kind,
    Reason,
    adjust_entry,
    balance,
    expiries_due,
    expiring_soon,
    gift_entry,
    is_gift,
    redeem_entry,
    reversal,
)

from .factories import earn, redeem, utc

MONTHS = 24  # the demo club's expiry


def expire(lot: str, points: int, at: datetime) -> Entry:
    return Entry(Kind.EXPIRE, -points, at, f"expire:{lot}", Reason.EXPIRY, {"lot": lot})


def test_balance_is_the_sum_of_the_entries() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1)), earn("B", 50, utc(2024, 2, 1))]
    entries.append(redeem(30, utc(2024, 3, 1)))
    assert balance(entries) == 120
    assert balance([]) == 0


def test_earn_entry_is_keyed_by_its_order() -> None:
    assert earn("A", 100, utc(2024, 1, 1)) == Entry(
        Kind.EARN,
        100,
        utc(2024, 1, 1),
        "earn:A",
        Reason.PURCHASE,
        {"order_id": "A", "store": "milano"},
    )


def test_redeem_up_to_the_whole_balance_is_allowed() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1)), earn("B", 50, utc(2024, 2, 1))]
    entry = redeem_entry(entries, 150, utc(2024, 3, 1), "voucher-7", "gift wrap")
    assert entry == Entry(
        Kind.REDEEM,
        -150,
        utc(2024, 3, 1),
        "redeem:voucher-7",
        Reason.REWARD,
        {"note": "gift wrap"},
    )


def test_redeem_beyond_the_balance_raises_insufficient_points() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1)), redeem(30, utc(2024, 2, 1))]
    with pytest.raises(InsufficientPoints) as caught:
        redeem_entry(entries, 71, utc(2024, 3, 1), "k", "note")
    assert (caught.value.wanted, caught.value.balance) == (71, 70)
    assert str(caught.value) == "cannot redeem 71 points: the balance is 70"


@pytest.mark.parametrize("points", [0, -5])
def test_redeem_of_zero_or_negative_points_is_refused(points: int) -> None:
    entries = [earn("A", 100, utc(2024, 1, 1))]
    with pytest.raises(ValueError) as caught:
        redeem_entry(entries, points, utc(2024, 3, 1), "k", "note")
    assert str(caught.value) == "a redeem takes a positive number of points"
    assert not isinstance(caught.value, InsufficientPoints)


def test_points_expire_the_months_after_they_were_earned() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10)), earn("B", 80, utc(2022, 6, 1))]
    assert expiries_due(entries, utc(2024, 3, 1), MONTHS) == [
        expire("earn:A", 100, utc(2024, 1, 10))
    ]


def test_points_expire_at_the_exact_instant_not_a_second_before() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10))]
    assert expiries_due(entries, utc(2024, 1, 10) - timedelta(seconds=1), MONTHS) == []
    assert expiries_due(entries, utc(2024, 1, 10), MONTHS) == [
        expire("earn:A", 100, utc(2024, 1, 10))
    ]


def test_redeems_spend_the_oldest_lot_first() -> None:
    entries = [
        earn("A", 100, utc(2022, 1, 10)),
        earn("B", 80, utc(2022, 6, 1)),
        redeem(130, utc(2023, 1, 1)),
    ]
    assert expiries_due(entries, utc(2024, 7, 1), MONTHS) == [
        expire("earn:B", 50, utc(2024, 6, 1))
    ]


def test_only_what_remains_after_redeems_expires() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10)), redeem(30, utc(2023, 5, 1))]
    due = expiries_due(entries, utc(2024, 2, 1), MONTHS)
    assert due == [expire("earn:A", 70, utc(2024, 1, 10))]
    assert balance(entries + due) == 0


def test_expiries_are_idempotent_once_added() -> None:
    entries = [
        earn("A", 100, utc(2022, 1, 10)),
        earn("B", 80, utc(2022, 6, 1)),
        redeem(30, utc(2023, 5, 1)),
    ]
    first = expiries_due(entries, utc(2024, 7, 1), MONTHS)
    assert [(e.key, e.points) for e in first] == [("expire:earn:A", -70), ("expire:earn:B", -80)]
    entries += first
    assert expiries_due(entries, utc(2024, 7, 1), MONTHS) == []
    assert expiries_due(entries, utc(2030, 1, 1), MONTHS) == []
    assert balance(entries) == 0


def test_a_redeem_after_a_lot_expired_takes_from_younger_lots() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10)), earn("B", 80, utc(2023, 1, 1))]
    entries += expiries_due(entries, utc(2024, 2, 1), MONTHS)
    entries.append(redeem_entry(entries, 50, utc(2024, 2, 1), "k", "note"))
    assert expiries_due(entries, utc(2025, 1, 1), MONTHS) == [
        expire("earn:B", 30, utc(2025, 1, 1))
    ]


def test_points_never_expire_without_an_expiry() -> None:
    entries = [earn("A", 100, utc(2000, 1, 1))]
    assert expiries_due(entries, utc(2040, 1, 1), None) == []
    assert expiring_soon(entries, utc(2001, 1, 1), utc(2040, 1, 1), None) == []


def test_reversal_takes_back_the_orders_points() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1)), earn("B", 40, utc(2024, 2, 1))]
    assert reversal(entries, "A", utc(2024, 3, 1), MONTHS) == Entry(
        Kind.REVERSE, -100, utc(2024, 3, 1), "reverse:A", Reason.REFUND, {"order_id": "A"}
    )


def test_reversal_takes_back_points_already_spent() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1)), redeem(30, utc(2024, 2, 1))]
    entry = reversal(entries, "A", utc(2024, 3, 1), MONTHS)
    assert entry is not None and entry.points == -100
    assert balance([*entries, entry]) == -30


def test_reversal_leaves_out_what_already_expired() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10)), redeem(30, utc(2022, 2, 1))]
    entries += expiries_due(entries, utc(2024, 1, 10), MONTHS)
    assert entries[-1].points == -70
    entry = reversal(entries, "A", utc(2024, 2, 1), MONTHS)
    assert entry is not None and entry.points == -30


def test_reversal_of_a_fully_expired_order_is_none() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10))]
    entries += expiries_due(entries, utc(2024, 1, 10), MONTHS)
    assert reversal(entries, "A", utc(2024, 2, 1), MONTHS) is None


def test_reversal_of_an_unknown_order_is_none() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1))]
    assert reversal(entries, "Z", utc(2024, 3, 1), MONTHS) is None


def test_reversal_of_an_order_already_reversed_is_none() -> None:
    entries = [earn("A", 100, utc(2024, 1, 1))]
    first = reversal(entries, "A", utc(2024, 3, 1), MONTHS)
    assert first is not None
    assert reversal([*entries, first], "A", utc(2024, 4, 1), MONTHS) is None


def test_reversed_points_do_not_expire_again() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10)), earn("B", 50, utc(2022, 1, 11))]
    entry = reversal(entries, "A", utc(2022, 3, 1), MONTHS)
    assert entry is not None
    entries.append(entry)
    assert expiries_due(entries, utc(2024, 2, 1), MONTHS) == [
        expire("earn:B", 50, utc(2024, 1, 11))
    ]


def test_expiring_soon_lists_what_will_expire_by_the_date() -> None:
    entries = [
        earn("A", 100, utc(2022, 1, 10)),
        earn("B", 80, utc(2022, 6, 1)),
        earn("C", 20, utc(2023, 6, 1)),
        redeem(30, utc(2023, 1, 1)),
    ]
    now = utc(2023, 12, 1)
    assert expiring_soon(entries, now, utc(2024, 3, 1), MONTHS) == [(utc(2024, 1, 10), 70)]
    assert expiring_soon(entries, now, utc(2024, 6, 1), MONTHS) == [
        (utc(2024, 1, 10), 70),
        (utc(2024, 6, 1), 80),
    ]


def test_expiring_soon_leaves_out_a_lot_already_spent() -> None:
    entries = [
        earn("A", 100, utc(2022, 1, 10)),
        earn("B", 80, utc(2022, 6, 1)),
        redeem(100, utc(2022, 7, 1)),
    ]
    assert expiring_soon(entries, utc(2023, 1, 1), utc(2024, 7, 1), MONTHS) == [
        (utc(2024, 6, 1), 80)
    ]


def test_expiring_soon_leaves_out_a_lot_past_its_date() -> None:
    entries = [earn("A", 100, utc(2022, 1, 10)), earn("B", 80, utc(2022, 6, 1))]
    assert expiring_soon(entries, utc(2024, 1, 10), utc(2025, 1, 1), MONTHS) == [
        (utc(2024, 6, 1), 80)
    ]


# A member's history as steps: earn some points, redeem some, or let a few months pass.
steps = st.lists(
    st.tuples(
        st.sampled_from(["earn", "redeem"]),
        st.integers(min_value=1, max_value=500),
        st.integers(min_value=0, max_value=400),  # days since the previous step
    ),
    max_size=25,
)


@settings(database=None, max_examples=150)
@given(history=steps, expiry=st.sampled_from([1, 6, 12, 24]))
def test_expiries_never_make_the_balance_negative_and_apply_once(
    history: list[tuple[str, int, int]], expiry: int
) -> None:
    entries: list[Entry] = []
    moment = utc(2020, 1, 1)
    for index, (action, points, days) in enumerate(history):
        moment += timedelta(days=days)
        entries += expiries_due(entries, moment, expiry)  # settle before acting, as services do
        assert balance(entries) >= 0
        if action == "earn":
            entries.append(earn(f"o{index}", points, moment))
        elif balance(entries) > 0:
            wanted = min(points, balance(entries))
            entries.append(redeem_entry(entries, wanted, moment, f"r{index}", "gift"))
    later = moment + timedelta(days=365 * 3)
    due = expiries_due(entries, later, expiry)
    assert all(entry.points < 0 for entry in due)
    entries += due
    assert balance(entries) == 0  # every lot is past its date by now
    assert expiries_due(entries, later, expiry) == []


def test_adjustment_goes_either_way_but_never_below_zero() -> None:
    held = [earn("A1", 100, utc(2025, 1, 1))]
    assert adjust_entry(held, -100, utc(2026, 1, 1), "a", "typo").points == -100
    assert adjust_entry(held, 50, utc(2026, 1, 1), "b", "welcome").kind is Kind.ADJUST
    with pytest.raises(InsufficientPoints):
        adjust_entry(held, -101, utc(2026, 1, 1), "c", "typo")
    with pytest.raises(ValueError, match="non-zero"):
        adjust_entry(held, 0, utc(2026, 1, 1), "d", "nothing")


def test_a_gift_is_an_adjustment_of_its_own_reason_once_per_occasion() -> None:
    gift = gift_entry("birthday:7:2026", 100, utc(2026, 11, 24), "birthday")
    assert (gift.kind, gift.points, gift.key, gift.reason, gift.detail) == (
        Kind.ADJUST, 100, "gift:birthday:7:2026", Reason.GIFT, {"note": "birthday"},
    )  # fmt: skip
    spent = redeem_entry([gift], 100, utc(2026, 12, 1), "voucher-1", "gift box")
    assert (is_gift(gift), is_gift(spent)) == (True, False)
