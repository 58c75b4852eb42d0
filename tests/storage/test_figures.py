"""The Figures page's measures on a club worked out by hand (tests/figures_club.py), on a
real SQLite file and on PostgreSQL: each table's rows, month by month in the club's zone
(2026-01 to 2026-11, so January is row 0 and November row 10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.bootstrap import Concierge
from loyalty.figures import Months
from services import figures
from services.figures import Table
from tests.conftest import NOW
from tests.figures_club import fill

RANGE = Months(date(2026, 1, 1), date(2026, 11, 1))
JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV = range(11)


@pytest.fixture
async def tables(concierge: Concierge) -> dict[str, Table]:
    await fill(concierge.db)
    async with concierge.db.unit_of_work() as uow:
        found = await figures.tables(uow, RANGE, NOW, concierge.program, str, "en")
    return {table.slug: table for table in found}


def column(table: Table, index: int) -> list[object]:
    return [values[index] for _, values in table.rows]


def month(table: Table, index: int) -> list[object]:
    label, values = table.rows[index]
    assert label == f"2026-{index + 1:02d}"
    return list(values)


async def test_members_join_in_the_clubs_months_and_erased_ones_are_not_counted(
    tables: dict[str, Table],
) -> None:
    members = tables["members"]
    assert column(members, 0) == [0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0]  # D: March in Rome
    assert column(members, 1) == [2, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6]
    assert dict((k, v[0]) for k, v in tables["tiers"].rows) == {
        "Silver": 4, "Gold": 1, "Platinum": 1, "Ambassador": 0,
    }  # fmt: skip
    segments = dict((k, v[0]) for k, v in tables["segments"].rows)
    assert segments == {
        "High-value collectors": 1, "Custom clients": 2, "Milestone buyers": 1,
        "New repeat buyers": 2, "Dormant but promising": 1,
    }  # fmt: skip


async def test_tier_moves_are_each_members_latest_and_a_return_to_the_entry_tier_is_down(
    tables: dict[str, Table],
) -> None:
    moves = tables["tier-moves"]
    assert [c.label for c in moves.columns] == [
        "down to Silver", "to Gold", "to Platinum", "to Ambassador",
    ]  # fmt: skip
    assert month(moves, MAR) == [0, 0, 1, 0]
    assert month(moves, MAY) == [0, 1, 0, 0]
    assert month(moves, JUN) == [1, 0, 0, 0]
    assert sum(sum(v) for _, v in moves.rows) == 3  # joining in silver is no move


async def test_repeat_purchases_by_the_month_of_the_first(tables: dict[str, Table]) -> None:
    repeat = tables["repeat"]
    assert month(repeat, FEB) == [2, 1, 0.5, 10]  # B again after 10 days, C not yet
    assert month(repeat, MAR) == [1, 1, 1.0, 20]
    assert month(repeat, SEP) == [0, 0, None, None]  # A's first was in 2025


async def test_purchase_frequency_leaves_refunds_out(tables: dict[str, Table]) -> None:
    frequency = tables["frequency"]
    assert month(frequency, FEB) == [3, 2, 1.5]
    assert month(frequency, MAR) == [2, 1, 2.0]  # B's refunded ring left out
    assert month(frequency, SEP) == [1, 1, 1.0]
    assert month(frequency, OCT) == [1, 1, 1.0]
    assert month(frequency, APR) == [0, 0, None]


async def test_order_values_by_tier_and_segment_now(tables: dict[str, Table]) -> None:
    by_tier = tables["order-value-tier"]
    assert month(by_tier, FEB) == [Decimal("800.00"), Decimal("200.00"), None, None]
    assert month(by_tier, MAR) == [None, None, Decimal("6200.00"), None]
    assert month(by_tier, SEP) == [Decimal("200.00"), None, None, None]
    by_segment = tables["order-value-segment"]  # collector, custom, milestone, new, dormant
    assert month(by_segment, FEB) == [None, Decimal("200.00"), None, None, None]
    assert month(by_segment, MAR) == [Decimal("6200.00"), None, None, Decimal("6200.00"), None]
    assert month(by_segment, SEP) == [None, None, Decimal("200.00"), Decimal("200.00"), None]


async def test_dormant_but_promising_members_who_came_back(tables: dict[str, Table]) -> None:
    assert column(tables["dormant"], 0) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]


async def test_each_event_invited_answered_came_and_bought_within_the_conversion_days(
    tables: dict[str, Table],
) -> None:
    events = tables["events"]
    assert [label for label, _ in events.rows] == [
        "Emerald preview (2026-10-10)"
    ]  # not the cancelled one
    assert events.rows[0][1] == [4, 3, 0.75, 2, 2 / 3, 1, 0.5]
    assert "30 days" in events.note


async def test_concierge_handoffs_first_answers_appointments_and_no_shows(
    tables: dict[str, Table],
) -> None:
    concierge = tables["concierge"]
    assert month(concierge, APR) == [2, 15.0, 0, 0, 0, None]  # answered in 25.5 and 5 minutes
    assert month(concierge, MAY) == [1, None, 0, 0, 0, None]  # never answered
    assert month(concierge, JUN) == [0, None, 3, 2, 1, 0.5]  # the cancelled one is not due
    assert month(concierge, NOV) == [0, None, 1, 0, 0, None]  # not due yet


async def test_messages_by_month_kind_and_channel_and_opt_outs(tables: dict[str, Table]) -> None:
    messages = tables["messages"]  # written, sent, delivered, read, failed
    assert month(messages, MAR) == [4, 3, 2, 1, 1]
    assert month(messages, OCT) == [3, 3, 0, 0, 0]
    assert dict(tables["messages-by-kind"].rows) == {
        "birthday · whatsapp": [3, 2, 2, 1, 1],
        "invitation · telegram": [3, 3, 0, 0, 0],
        "reply · telegram": [1, 1, 0, 0, 0],
    }
    outs = tables["opt-outs"]
    assert [c.label for c in outs.columns] == ["birthday", "events", "news"]
    assert month(outs, MAY) == [1, 1, 0]
    assert month(outs, AUG) == [0, 0, 1]  # one member, on two channels
    assert month(outs, JAN) == [0, 0, 0]  # a consent given is no opt-out


async def test_one_measure_alone_and_an_unknown_one(concierge: Concierge) -> None:
    await fill(concierge.db)
    async with concierge.db.unit_of_work() as uow:
        found = await figures.tables(uow, RANGE, NOW, concierge.program, str, "en", "dormant")
        unknown = await figures.tables(uow, RANGE, NOW, concierge.program, str, "en", "x")
    assert [t.slug for t in found] == ["dormant"] and unknown == []


@pytest.mark.parametrize(("categories", "collectors"), [(1, 1), (2, 1), (3, 0)])
async def test_high_value_collectors_need_the_programs_number_of_categories(
    concierge: Concierge, categories: int, collectors: int
) -> None:
    await fill(concierge.db)  # D spent 13,000 on rings and bracelets: two categories
    rules = concierge.program.segments.model_copy(update={"high_value_categories": categories})
    program = concierge.program.model_copy(update={"segments": rules})
    async with concierge.db.unit_of_work() as uow:
        found = await figures.tables(uow, RANGE, NOW, program, str, "en", "segments")
    assert dict(found[0].rows)["High-value collectors"] == [collectors]
