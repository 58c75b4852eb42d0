"""The paces' budgets where a bot keeps them: on PostgreSQL one table every process shares,
on SQLite the memory of the one process. Many senders at once never beat a pace."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from itertools import combinations

import pytest
from sqlalchemy import select

from loyalty.pace import (
    TELEGRAM,
    TELEGRAM_GROUP,
    InMemoryBudgets,
    Pace,
    telegram_group_keys,
    telegram_keys,
)
from loyalty.ports import Budgets
from storage.database import Database
from storage.models import SendBudget
from storage.pace import PostgresBudgets, budgets

# Epoch seconds near 1.8e9 are floats 2.4e-7 s apart, and each TAT is one addition more:
# over fifty sends, rounding may take a few microseconds off a window.
ROUNDING = 1e-5


@pytest.fixture
def shared(database: Database) -> Budgets:
    return budgets(database)


@pytest.fixture
def start(now: datetime) -> float:
    return now.timestamp()


def postgres_only(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite keeps its budgets in the memory of its one process")


def never_crowded(times: Sequence[float], pace: Pace) -> None:
    """No window holds more than the pace allows: the fullest start and end on a send."""
    ordered = sorted(times)
    for first, last in combinations(range(len(ordered)), 2):
        width = ordered[last] - ordered[first]
        assert last - first + 1 <= pace.most_in(width + ROUNDING), (first, last, width)


def test_postgresql_keeps_budgets_in_the_database_and_sqlite_in_memory(
    database: Database,
) -> None:
    kept = budgets(database)
    assert isinstance(kept, InMemoryBudgets if database.is_sqlite else PostgresBudgets)


async def test_fifty_senders_at_once_on_one_bot_never_beat_its_pace(
    shared: Budgets, start: float
) -> None:
    moments = await asyncio.gather(
        *(shared.reserve(telegram_keys(7, chat), start) for chat in range(50))
    )

    never_crowded(moments, TELEGRAM)
    last = (50 - TELEGRAM.burst) * TELEGRAM.interval  # no later than the pace needs
    assert max(moments) - start == pytest.approx(last, abs=ROUNDING)


async def test_fifty_senders_at_once_to_one_chat_go_a_second_apart_after_a_burst(
    shared: Budgets, start: float
) -> None:
    moments = await asyncio.gather(
        *(shared.reserve(telegram_keys(7, 100), start) for _ in range(50))
    )

    expected = [0, 0, *range(48)]  # the chat's burst of three, then one a second
    assert sorted(m - start for m in moments) == pytest.approx(expected, abs=ROUNDING)


async def test_senders_of_overlapping_keys_in_any_order_all_get_through(
    shared: Budgets, start: float
) -> None:
    """Each locks its keys in one order: none waits on another in a circle."""
    group, member = telegram_group_keys(7, -100), telegram_keys(7, 100)
    orders = [group, group[::-1], member, member[::-1], [group[2], member[1]]]

    moments = await asyncio.gather(
        *(shared.reserve(orders[n % len(orders)], start + n / 100) for n in range(50))
    )

    assert len(moments) == 50 and min(moments) >= start


async def test_a_send_on_two_keys_is_reserved_on_both_at_one_moment(
    shared: Budgets, start: float
) -> None:
    burst = [await shared.reserve(telegram_keys(7, 100), start) for _ in range(3)]
    to_the_same_chat = await shared.reserve(telegram_keys(7, 100), start)
    to_another = await shared.reserve(telegram_keys(7, 200), start)

    assert (burst, to_the_same_chat) == ([start] * 3, start + 1)  # the chat held it back
    # ...and the bot's slot went with it: another chat waits until near that moment
    assert to_another - start == pytest.approx(
        1 + TELEGRAM.interval - TELEGRAM.tolerance, abs=ROUNDING
    )


async def test_the_group_gets_twenty_a_minute_and_one_a_second(
    shared: Budgets, start: float
) -> None:
    moments = [await shared.reserve(telegram_group_keys(7, -100), start) for _ in range(30)]

    # one a second while the burst lasts (the chat's pace gives the group's time for one
    # more), then one every four seconds: 20 in the first minute, 15 in each after
    expected = [0, 1, 2, 3, 4, 5, *range(8, 104, 4)]
    assert [m - start for m in moments] == pytest.approx(expected, abs=ROUNDING)
    never_crowded(moments, TELEGRAM_GROUP)


async def test_two_bots_on_one_database_keep_their_own_pace(shared: Budgets, start: float) -> None:
    first = await shared.reserve(telegram_keys(7, 100), start)
    other_bot = await shared.reserve(telegram_keys(8, 100), start)

    assert first == other_bot == start


async def test_every_process_on_the_database_shares_the_budgets(
    database: Database, start: float
) -> None:
    postgres_only(database)
    web, dispatcher = Database(database.url), Database(database.url)  # two engines, two pools
    try:
        moments = await asyncio.gather(
            *(
                PostgresBudgets(process.engine).reserve(telegram_keys(7, 100), start)
                for process in [web, dispatcher] * 10
            )
        )
    finally:
        await web.close()
        await dispatcher.close()

    expected = [0, 0, *range(18)]  # one chat's burst, then one a second, across both
    assert sorted(m - start for m in moments) == pytest.approx(expected, abs=ROUNDING)


async def test_ready_tells_when_keys_allow_a_send_and_reserves_nothing(
    shared: Budgets, start: float
) -> None:
    group = telegram_group_keys(7, -100)
    for second in range(8):  # a post a second on the group's keys only: its minute is spent
        await shared.reserve(group[1:], start + second)
    now = start + 8

    first = await shared.ready(group[1:], now)
    second = await shared.ready(group[1:], now)
    bot = await shared.ready(group[:1], now)
    taken = await shared.reserve(group, now)

    assert first == second == taken > now + 1  # told twice, the same; the reserve gets it
    assert bot == now  # the bot's key: quiet, not held by the group's wait
    assert await shared.ready(telegram_keys(7, 100)[1:], start) == start  # a quiet chat


async def test_idle_keys_are_forgotten_and_a_forgotten_key_is_quiet(
    shared: Budgets, start: float
) -> None:
    await shared.reserve(telegram_keys(7, 100), start)  # the chat's TAT: start + 1
    await shared.reserve(telegram_keys(7, 200), start + 60)  # start + 61

    assert await shared.forget_idle(before=start + 30) == 1  # chat 100 (the bot's is newer)
    assert await shared.forget_idle(before=start + 30) == 0
    again = await shared.reserve(telegram_keys(7, 100), start + 60.5)
    assert again - start == pytest.approx(60.5, abs=ROUNDING)  # quiet, as it was


async def test_forgetting_leaves_the_keys_a_sender_holds(database: Database, start: float) -> None:
    postgres_only(database)
    shared = PostgresBudgets(database.engine)
    await shared.reserve(telegram_keys(7, 100), start)
    async with database.engine.begin() as sender:  # a reserve under way holds its rows
        await sender.execute(
            select(SendBudget.key).where(SendBudget.key == "telegram:7:100").with_for_update()
        )

        forgetting = shared.forget_idle(before=start + 30)  # a wait here would never end
        assert await asyncio.wait_for(forgetting, timeout=10) == 1  # the bot's key only

    async with database.unit_of_work() as uow:
        assert list(await uow.session.scalars(select(SendBudget.key))) == ["telegram:7:100"]
