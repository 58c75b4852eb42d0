"""settle: expiry, tier and badges brought up to a moment together; settling again adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from loyalty.account import Account, Settlement, apply, settle
from loyalty.badges import Award
from loyalty.dates import EARLIEST, LATEST
from loyalty.points import Entry, Kind, Reason, expiring_soon, reversal
from loyalty.program import MAX_MONTHS, Program
from loyalty.purchases import AHEAD
from loyalty.tiers import TierState, progress
from services.members import EXPIRY_NOTICE

from .factories import earn, fact, utc

JOINED = utc(2023, 1, 5)


def member() -> Account:
    """A silver member with an old purchase about to expire and a recent one worth gold."""
    return Account(
        member_id=7,
        joined_at=JOINED,
        purchases=[
            fact("A", utc(2023, 1, 5), 200, category="ring"),
            fact("B", utc(2024, 12, 1), 1600, category="necklace"),
        ],
        entries=[earn("A", 200, utc(2023, 1, 5)), earn("B", 1600, utc(2024, 12, 1))],
        tier=TierState("silver", JOINED, None),
        badges={"first_purchase"},
    )


def test_settle_expires_points_moves_the_tier_and_awards_badges_together(
    program: Program,
) -> None:
    now = utc(2025, 1, 10)
    assert settle(member(), now, program) == Settlement(
        entries=[
            Entry(
                Kind.EXPIRE,
                -200,
                utc(2025, 1, 5),
                "expire:earn:A",
                Reason.EXPIRY,
                {"lot": "earn:A"},
            )
        ],
        tier=TierState("gold", now, utc(2026, 4, 10)),
        awards=[Award("anniversary", utc(2024, 1, 5), {"years": 1})],
    )


def test_applying_a_settlement_updates_the_account(program: Program) -> None:
    account, now = member(), utc(2025, 1, 10)
    apply(account, settle(account, now, program))
    assert account.balance == 1600
    assert account.tier == TierState("gold", now, utc(2026, 4, 10))
    assert account.badges == {"first_purchase", "anniversary"}


def test_settle_twice_changes_nothing_the_second_time(program: Program) -> None:
    account, now = member(), utc(2025, 1, 10)
    first = settle(account, now, program)
    assert first
    apply(account, first)
    second = settle(account, now, program)
    assert second == Settlement([], None, [])
    assert not second


def test_settle_gives_a_new_member_the_entry_tier_to_store(program: Program) -> None:
    joined = utc(2025, 1, 1)
    account = Account(1, joined)
    assert settle(account, utc(2025, 1, 2), program) == Settlement(
        [], TierState("silver", joined, None), []
    )


def test_settle_with_nothing_due_is_empty(program: Program) -> None:
    account = Account(1, utc(2025, 1, 1), tier=TierState("silver", utc(2025, 1, 1), None))
    assert not settle(account, utc(2025, 3, 1), program)


def test_account_qualifies_only_with_paid_purchases(program: Program) -> None:
    paid_at: datetime = utc(2025, 1, 1)
    account = Account(
        1,
        utc(2024, 1, 1),
        purchases=[fact("A", paid_at, 300), fact("B", utc(2025, 2, 1), 900, refunded=True)],
    )
    assert [(q.at, q.points) for q in account.qualifying()] == [(paid_at, 300)]
    assert account.tier_state(program) == TierState("silver", utc(2024, 1, 1), None)


@pytest.fixture(scope="session")
def longest(variant: Callable[..., Program]) -> Program:
    """The demo club with every span of months at the most a program may give."""
    return variant(
        ("expiry_months = 24 ", f"expiry_months = {MAX_MONTHS} "),
        ("window_months = 12 ", f"window_months = {MAX_MONTHS} "),
        ("grace_months = 3 ", f"grace_months = {MAX_MONTHS} "),
        ("within_months = 12 }", f"within_months = {MAX_MONTHS} }}"),
        ("years = 1 }", f"years = {MAX_MONTHS // 12} }}"),
    )


def moments(first: datetime, last: datetime) -> st.SearchStrategy[datetime]:
    naive = (first.replace(tzinfo=None), last.replace(tzinfo=None))
    return st.datetimes(*naive, timezones=st.just(UTC))


@settings(database=None, deadline=None)
@given(
    now=moments(EARLIEST, LATEST - AHEAD),
    bought=moments(EARLIEST, LATEST),
    which=st.sampled_from(["demo", "longest"]),
)
@example(now=LATEST - AHEAD, bought=LATEST - timedelta(microseconds=1), which="longest")
@example(now=EARLIEST, bought=EARLIEST, which="longest")
def test_any_purchase_date_the_edge_accepts_settles_without_overflow(
    program: Program, longest: Program, now: datetime, bought: datetime, which: str
) -> None:
    assume(bought <= now + AHEAD)  # what parse_purchase takes at `now`
    club = program if which == "demo" else longest
    account = Account(
        member_id=7, joined_at=min(bought, now), purchases=[fact("A", bought, 1600)],
        entries=[earn("A", 1600, bought)],
    )  # fmt: skip
    months = club.points.expiry_months

    apply(account, settle(account, now, club))
    expiring_soon(account.entries, now, now + EXPIRY_NOTICE, months)
    reversal(account.entries, "A", now, months)
    progress(account.tier_state(club), account.qualifying(), now, club)
