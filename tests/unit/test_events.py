"""Events' pure rules: who is invited, when they may answer, what fits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from loyalty.events import (
    Eligibility,
    Priority,
    answers_until,
    edit_problem,
    fits,
    on_the_day,
    rate,
    seats,
    tally,
    timing_problem,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_an_event_without_rules_is_for_every_member() -> None:
    assert Eligibility().admits(1, "silver", (), ())


def test_a_tier_rule_hides_the_event_from_other_tiers() -> None:
    gold = Eligibility(tiers=frozenset({"gold", "platinum"}))
    assert gold.admits(1, "platinum", (), ())
    assert not gold.admits(1, "silver", (), ())


def test_each_kind_of_rule_given_must_match() -> None:
    rule = Eligibility(tiers=frozenset({"gold"}), segments=frozenset({"high_value_collector"}))
    assert rule.admits(1, "gold", ["high_value_collector", "custom_client"], ())
    assert not rule.admits(1, "gold", ["custom_client"], ())
    assert not rule.admits(1, "silver", ["high_value_collector"], ())


def test_a_badge_rule_admits_holders_of_any_badge_named() -> None:
    rule = Eligibility(badges=frozenset({"collector", "anniversary"}))
    assert rule.admits(1, "silver", (), {"anniversary"})
    assert not rule.admits(1, "silver", (), {"first_purchase"})


def test_a_named_guest_is_always_in_and_a_guest_list_alone_names_everyone() -> None:
    listed = Eligibility(guests=frozenset({7}))
    assert listed.admits(7, "silver", (), ())
    assert not listed.admits(8, "platinum", (), ())
    with_tiers = Eligibility(tiers=frozenset({"platinum"}), guests=frozenset({7}))
    assert with_tiers.admits(7, "silver", (), ()) and with_tiers.admits(8, "platinum", (), ())


def test_priority_tiers_answer_first_and_the_rest_hours_later() -> None:
    priority = Priority(frozenset({"platinum"}), hours=48)
    assert priority.opens_for("platinum", NOW) == NOW
    assert priority.opens_for("gold", NOW) == NOW + timedelta(hours=48)
    assert Priority().opens_for("gold", NOW) == NOW


def test_answers_close_at_the_deadline_or_the_start() -> None:
    starts = NOW + timedelta(days=10)
    assert answers_until(starts, None) == starts
    assert answers_until(starts, NOW + timedelta(days=8)) == NOW + timedelta(days=8)


@given(st.integers(0, 50), st.integers(1, 50), st.integers(0, 3))
def test_a_place_fits_only_within_capacity(taken: int, capacity: int, guests: int) -> None:
    assert fits(taken, capacity, seats(guests)) == (taken + 1 + guests <= capacity)


def test_a_rate_of_nothing_is_none() -> None:
    assert rate(0, 0) is None and rate(1, 4) == 0.25


def test_answers_are_counted_by_status_in_alphabetical_order() -> None:
    counted = tally(["waiting", "going", "going", "declined"])
    assert list(counted.items()) == [("declined", 1), ("going", 2), ("waiting", 1)]


def test_an_event_must_start_after_now_and_end_after_it_starts() -> None:
    later, hour = NOW + timedelta(days=1), timedelta(hours=1)
    assert timing_problem(later, later + hour, None, NOW) is None
    assert timing_problem(NOW, NOW + hour, None, NOW) == (
        "it starts in the past: give a start after now"
    )
    assert timing_problem(NOW - hour, NOW + hour, None, NOW) == (
        "it starts in the past: give a start after now"
    )
    assert timing_problem(later, later, None, NOW) == "it must end after it starts"
    assert timing_problem(later, later - hour, None, NOW) == "it must end after it starts"
    assert timing_problem(later, later + hour, later + hour, NOW) == (
        "the RSVP deadline must be before the start"
    )


def test_a_ticket_is_checked_in_on_the_events_day_in_the_stores_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9: 18:00 on 8 December is 09:00 UTC
    starts = datetime(2026, 12, 8, 18, 0, tzinfo=tokyo)
    ends = starts + timedelta(hours=3)
    assert on_the_day(starts, ends, datetime(2026, 12, 8, 0, 0, tzinfo=tokyo), tokyo)
    assert on_the_day(starts, ends, datetime(2026, 12, 8, 23, 59, tzinfo=tokyo), tokyo)
    assert not on_the_day(starts, ends, datetime(2026, 12, 7, 23, 59, tzinfo=tokyo), tokyo)
    assert not on_the_day(starts, ends, datetime(2026, 12, 9, 0, 0, tzinfo=tokyo), tokyo)
    # 8 December 23:30 UTC is already the 9th in Tokyo: after the event's day there
    assert not on_the_day(starts, ends, datetime(2026, 12, 8, 23, 30, tzinfo=UTC), tokyo)
    overnight = datetime(2026, 12, 9, 2, 0, tzinfo=tokyo)  # a party past midnight
    assert on_the_day(starts, overnight, datetime(2026, 12, 9, 1, 0, tzinfo=tokyo), tokyo)


def test_an_edit_never_takes_a_seat_or_a_guest_already_given() -> None:
    assert edit_problem(10, 1, held=4, parties=[1, 0, 1]) is None
    assert edit_problem(4, 1, held=4, parties=[1]) is None  # exactly what is held
    assert "below the 4 seat(s)" in (edit_problem(3, 1, held=4, parties=[1]) or "")
    assert "guests allowed" in (edit_problem(10, 0, held=2, parties=[0, 1]) or "")
    assert edit_problem(1, 0, held=0, parties=[]) is None
