"""Rate limits and backoff: never faster than the channel allows, whatever the traffic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scheduler.limits import TELEGRAM, Bucket, Limits, Rates


def send_all(limits: Limits, chats: list[str], channel: str = "telegram") -> list[float]:
    """Send one message per entry, each as soon as the limits allow; the send times."""
    now, times = 0.0, []
    for chat in chats:
        now += limits.wait(channel, chat, now)
        limits.take(channel, chat, now)
        times.append(now)
    return times


def most_in_any_window(times: list[float], width: float) -> int:
    return max(sum(1 for t in times if start <= t < start + width - 1e-9) for start in times)


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=300))
def test_telegram_sends_at_most_25_a_second_and_1_a_second_to_one_chat(chats: list[int]) -> None:
    names = [str(chat) for chat in chats]
    times = send_all(Limits({"telegram": TELEGRAM}), names)

    assert most_in_any_window(times, 1.0) <= 25 + 3  # the rate, plus a burst of 3 at most
    for chat in set(names):
        mine = [t for t, name in zip(times, names, strict=True) if name == chat]
        assert most_in_any_window(mine, 1.0) <= 2


def test_a_steady_stream_is_held_to_the_rate() -> None:
    times = send_all(Limits({"telegram": TELEGRAM}), [str(i) for i in range(1_000)])
    assert 975 / 25 - 1 <= times[-1] <= 975 / 25 + 1  # after the first burst of 25


def test_a_group_gets_20_a_minute() -> None:
    group = Rates(overall=25, per_chat=20, per_chat_seconds=60)
    times = send_all(Limits({"staff": group}), ["group"] * 41, channel="staff")
    assert times[19] == 0.0 and times[20] > 0  # a burst of 20, then one every 3 s
    assert times[40] == 63.0


def test_an_idle_bucket_is_full_again() -> None:
    bucket = Bucket(rate=2)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.wait(0.0) == 0.5 and not bucket.idle(0.5)
    assert bucket.idle(1.0)
