"""Paces as GCRA: no key ever sends faster than its pace allows, and no send waits longer
than one of its keys needs; the platforms' limits hold, whatever the traffic."""

from __future__ import annotations

import asyncio
import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import combinations, pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty import pace
from loyalty.pace import (
    TELEGRAM,
    TELEGRAM_CHAT,
    TELEGRAM_GROUP,
    InMemoryBudgets,
    Pace,
    backoff,
    reserve,
    telegram_group_keys,
    telegram_keys,
    whatsapp,
    whatsapp_keys,
)

ROUNDING = 1e-9  # seconds: float arithmetic on times below 10,000 s is off by far less

KEYS = ("bot", "chat", "group")
paces = st.builds(
    Pace,
    interval=st.one_of(st.sampled_from([0.5, 1.0, 3.0]), st.floats(0.01, 60)),
    burst=st.integers(min_value=1, max_value=8),
)
paces_of_keys = st.fixed_dictionaries({key: paces for key in KEYS})
# (seconds since the request before, the keys one send reserves on)
gaps = st.one_of(st.just(0.0), st.floats(min_value=0, max_value=0.1), st.floats(0, 5))
requests = st.lists(
    st.tuples(
        gaps,
        st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True),
    ),
    max_size=80,
)


def send_all(
    paces: dict[str, Pace], requests: Sequence[tuple[float, Sequence[str]]]
) -> list[tuple[float, float, Sequence[str]]]:
    """Each request reserved as it comes: (when it was asked, the moment it got, its keys)."""
    tats: dict[str, float] = {}
    now, sent = 0.0, []
    for gap, keys in requests:
        now += gap
        at, changed = reserve(tats, [(key, paces[key]) for key in keys], now)
        tats.update(changed)
        sent.append((now, at, keys))
    return sent


def moments(sent: list[tuple[float, float, Sequence[str]]], key: str) -> list[float]:
    return [at for _, at, keys in sent if key in keys]


def most_in_any_window(times: Sequence[float], width: float) -> int:
    """The most of `times` one closed window of `width` seconds holds."""
    ordered = sorted(times)
    return max((bisect_right(ordered, t + width) - i for i, t in enumerate(ordered)), default=0)


@given(paces_of_keys, requests)
def test_no_window_on_any_key_holds_more_than_its_burst_and_its_rate(
    paces: dict[str, Pace], requests: list[tuple[float, list[str]]]
) -> None:
    """Every window, of any width: the fullest start and end on a send."""
    sent = send_all(paces, requests)

    for key in KEYS:
        times = sorted(moments(sent, key))
        for first, last in combinations(range(len(times)), 2):
            width = times[last] - times[first]
            assert last - first + 1 <= paces[key].most_in(width + ROUNDING)


@given(paces_of_keys, requests)
def test_a_send_waits_only_as_long_as_one_of_its_keys_needs(
    paces: dict[str, Pace], requests: list[tuple[float, list[str]]]
) -> None:
    """The n-th send on a key and the i-th before it must be (n - i + 1 - burst) intervals
    apart: a send goes at the first moment that is true on all its keys, or when asked."""
    sent = send_all(paces, requests)

    for n, (asked, at, keys) in enumerate(sent):
        needed = [asked]
        for key in keys:
            before = moments(sent[:n], key)
            interval, burst = paces[key].interval, paces[key].burst
            needed += [m + (len(before) - i + 1 - burst) * interval for i, m in enumerate(before)]
        assert at == pytest.approx(max(needed), abs=ROUNDING)


@given(paces, st.integers(min_value=1, max_value=300))
def test_steady_demand_goes_in_one_burst_then_at_the_rate(pace: Pace, count: int) -> None:
    sent = send_all({"bot": pace}, [(0.0, ["bot"])] * count)

    expected = [max(0, n - pace.burst + 1) * pace.interval for n in range(count)]
    assert moments(sent, "bot") == pytest.approx(expected, abs=ROUNDING)


def test_a_send_no_key_holds_back_goes_when_asked() -> None:
    at, tats = reserve({}, telegram_keys(7, 100), now=50.0)

    assert at == 50.0
    assert tats == {"telegram:7": pytest.approx(50.04, abs=ROUNDING), "telegram:7:100": 51.0}


def test_a_send_held_by_its_chat_takes_the_bots_slot_when_it_goes() -> None:
    """Never earlier: the bot's later sends keep their distance from it. The bot's quiet
    time before it is lost to the other chats (one number per key cannot keep it): why a
    sender reserves when its send could go, not ahead."""
    paces = {"bot": Pace(interval=1.0), "chat": Pace(interval=10.0)}
    to_the_chat, to_others = (0.0, ["bot", "chat"]), (0.0, ["bot"])

    sent = send_all(paces, [to_the_chat, to_the_chat, *[to_others] * 3])

    assert moments(sent, "chat") == [0.0, 10.0]
    assert moments(sent, "bot") == [0.0, 10.0, 11.0, 12.0, 13.0]


def test_a_key_forgotten_reads_as_one_whose_tat_is_past() -> None:
    keys = telegram_keys(7, 100)
    assert reserve({}, keys, 10.0) == reserve(
        {"telegram:7": 3.0, "telegram:7:100": 9.5}, keys, 10.0
    )


def test_one_send_reserves_once_on_each_key() -> None:
    with pytest.raises(ValueError, match="given twice"):
        reserve({}, [("telegram:7", TELEGRAM), ("telegram:7", TELEGRAM_CHAT)], 0.0)


def test_a_pace_is_an_interval_and_a_burst() -> None:
    assert Pace.per_second(25, burst=3) == Pace(interval=0.04, burst=3)
    assert Pace.per_minute(15, burst=5) == Pace(interval=4.0, burst=5)
    assert Pace(interval=4.0, burst=5).most_in(60) == 20
    for interval, burst in ((0.0, 1), (-1.0, 1), (math.nan, 1), (1.0, 0)):
        with pytest.raises(ValueError):
            Pace(interval, burst)


def test_the_platforms_limits_hold_at_our_paces() -> None:
    assert TELEGRAM.most_in(1.0) <= 30  # Telegram: about 30 a second per bot
    assert TELEGRAM_CHAT.interval >= 1.0 and TELEGRAM_CHAT.most_in(1.0) <= 4  # a chat: 1/s
    assert TELEGRAM_GROUP.most_in(60.0) <= 20  # 20 a minute to a group
    for mps in (1, 80, 400):  # a sender's MPS: under it, room for a late call, but 95 % of it
        pace = whatsapp(mps)
        assert pace.burst == 1 and pace.most_in(1.0) < mps + 1
        assert 0.95 * mps <= 1 / pace.interval < mps


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=0.05), st.integers(min_value=0, max_value=30)),
        max_size=300,
    )
)
def test_a_bot_keeps_telegrams_limits_overall_per_chat_and_for_the_group(
    requests: list[tuple[float, int]],
) -> None:
    """Never more than 30 in any second, to a person one a second after a short burst, to
    the group never two within a second nor more than 20 in any minute (chat 0; the others
    are members)."""
    tats: dict[str, float] = {}
    now, sent = 0.0, []
    for gap, chat in requests:
        now += gap
        keys = telegram_group_keys(7, chat) if chat == 0 else telegram_keys(7, chat)
        at, changed = reserve(tats, keys, now)
        tats.update(changed)
        sent.append((at, chat))

    assert most_in_any_window([at for at, _ in sent], 1.0) <= TELEGRAM.most_in(1.0) <= 30
    for chat in {chat for _, chat in sent}:
        times = sorted(at for at, to in sent if to == chat)
        if chat == 0:
            assert all(b - a >= 1.0 - ROUNDING for a, b in pairwise(times))
        else:
            assert most_in_any_window(times, 1.0 - ROUNDING) <= TELEGRAM_CHAT.burst
    assert most_in_any_window([at for at, chat in sent if chat == 0], 60.0 - ROUNDING) <= 20


def test_two_bots_and_two_senders_never_share_a_key() -> None:
    def names(keys: list[tuple[str, Pace]]) -> set[str]:
        return {key for key, _ in keys}

    assert not names(telegram_group_keys(7, -100)) & names(telegram_group_keys(8, -100))
    assert names(telegram_keys(7, -100)) < names(telegram_group_keys(7, -100))
    assert not names(whatsapp_keys("+390211", 80, "+39347")) & names(
        whatsapp_keys("+390212", 80, "+39347")
    )


async def test_sends_of_one_process_at_once_take_turns_in_memory() -> None:
    budgets = InMemoryBudgets()

    moments = await asyncio.gather(
        *(budgets.reserve(telegram_keys(7, 100), now=0.0) for _ in range(50))
    )

    assert sorted(moments) == [0.0, 0.0, *(float(n) for n in range(48))]  # burst, then 1/s


async def test_idle_keys_are_forgotten_in_memory_and_a_crowd_of_them_by_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    budgets = InMemoryBudgets()
    await budgets.reserve(telegram_keys(7, 100), now=0.0)  # TATs 0.04 and 1.0
    await budgets.reserve(telegram_keys(7, 200), now=5.0)  # TATs 5.04 and 6.0

    assert await budgets.forget_idle(before=2.0) == 1
    assert set(budgets.tats) == {"telegram:7", "telegram:7:200"}

    monkeypatch.setattr(pace, "PRUNE_ABOVE", 10)
    crowded = InMemoryBudgets()
    for chat in range(11):
        await crowded.reserve(telegram_keys(7, chat), now=2.0 * chat)
    # the 11th key (chat 9) was one too many: what was past then was forgotten
    assert set(crowded.tats) == {"telegram:7", "telegram:7:9", "telegram:7:10"}


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    assert [backoff(n, lambda: 1.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert backoff(30, lambda: 1.0) == 3600.0
    assert backoff(3, lambda: 0.25) == 2.0
