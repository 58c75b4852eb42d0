"""How fast a bot may send: a pace per key (a bot, a chat, a group, a sender), and backoff.

Why GCRA (the generic cell rate algorithm): it keeps ONE number per key, the theoretical
arrival time (TAT) of the key's next send at the steady rate, and decides with a comparison
and an addition. A send may go at `t` once t >= TAT - (burst - 1) x interval; reserving it
moves the TAT to max(TAT, t) + interval. One number per key is what lets every process of
a bot share its budgets in a small table, read and written in one short transaction
(storage/pace.py); a token bucket needs two (tokens, and when they were counted), a sliding
log a list. It is exact: n sends on one key always span at least (n - burst) x interval, so
no window of W seconds ever holds more than burst + W / interval of them.

Pure: times are passed in (epoch seconds), and so is the random source of `backoff`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PRUNE_ABOVE = 10_000  # keys one process remembers before it forgets the idle ones


@dataclass(frozen=True)
class Pace:
    """One send every `interval` seconds at the steady rate; `burst` at once after a quiet
    spell (a burst spent comes back one per interval)."""

    interval: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not self.interval > 0 or self.burst < 1:
            raise ValueError(f"a pace needs an interval above 0 and a burst of 1 or more: {self}")

    @classmethod
    def per_second(cls, rate: float, burst: int = 1) -> Pace:
        return cls(1 / rate, burst)

    @classmethod
    def per_minute(cls, rate: float, burst: int = 1) -> Pace:
        return cls(60 / rate, burst)

    @property
    def tolerance(self) -> float:
        """How long before its TAT a send may go: the burst beyond the first send."""
        return (self.burst - 1) * self.interval

    def most_in(self, window: float) -> float:
        """The most sends any `window` seconds can hold at this pace."""
        return self.burst + window / self.interval


# Telegram, per bot: "about 30 messages a second" overall. 25 a second in bursts of 3: at
# most 28 in any second, two short of 30 for sends that wake a little late or travel unevenly
# (docs/benchmarks.md: bursts of 25 drew 429s; bursts of 3 none, at 100% of the rate).
TELEGRAM = Pace.per_second(25, burst=3)
# Telegram, a person: one a second, after a short burst (a reply's words and its card go at
# once; Telegram allows such bursts to a chat).
TELEGRAM_CHAT = Pace.per_second(1, burst=3)
# Telegram, a group: one a second, and never more than 20 in any minute (bursts of 5, then
# 15 a minute).
GROUP_SECOND = Pace.per_second(1)
TELEGRAM_GROUP = Pace.per_minute(15, burst=5)
# WhatsApp, one chat: as a Telegram chat; Twilio keeps a chat's messages in their order.
WHATSAPP_CHAT = Pace.per_second(1, burst=3)


# WhatsApp, a sender: a fortieth under its MPS. Paced at exactly the MPS, a call a few
# milliseconds late makes MPS + 1 in some second (docs/benchmarks.md: 10-68 refusals in
# 10,000); at 97.5 % any second holds at most MPS - 1 on time, room for calls up to a
# slot late.
WHATSAPP_SHARE = 0.975


def whatsapp(mps: int) -> Pace:
    """A WhatsApp sender's pace: just under the messages a second Twilio gives it
    (TWILIO_WHATSAPP_MPS). No burst: Twilio queues what goes faster, and a queue there is a
    wait we cannot see."""
    return Pace.per_second(mps * WHATSAPP_SHARE)


# A send's keys: first the one every chat of the bot (or WhatsApp sender) shares, then the
# chat's own (a person's, a group's). A send waits for its own keys before it reserves
# (services.sending): its wait must not hold the shared key back.


def telegram_keys(bot: int | str, chat: int | str) -> list[tuple[str, Pace]]:
    """What one message to a Telegram chat reserves on: its bot's pace and the chat's.

    `bot` is the bot's id (the number before the colon of its token; never the token), so
    two bots on one database never share a key.
    """
    return [(f"telegram:{bot}", TELEGRAM), (f"telegram:{bot}:{chat}", TELEGRAM_CHAT)]


def telegram_group_keys(bot: int | str, chat: int | str) -> list[tuple[str, Pace]]:
    """What one post to a Telegram group (the staff group) reserves on: a chat's keys, and
    the group's minute."""
    return [
        (f"telegram:{bot}", TELEGRAM), (f"telegram:{bot}:{chat}", GROUP_SECOND),
        (f"telegram:{bot}:{chat}:group", TELEGRAM_GROUP),
    ]  # fmt: skip


def whatsapp_keys(sender: str, mps: int, to: str) -> list[tuple[str, Pace]]:
    """What one WhatsApp message reserves on: its sender's MPS (shared by every club that
    sends from that number) and the chat's pace."""
    return [(f"whatsapp:{sender}", whatsapp(mps)), (f"whatsapp:{sender}:{to}", WHATSAPP_CHAT)]


def key_names(keys: Sequence[tuple[str, Pace]]) -> list[str]:
    """The keys' names; ValueError when one is given twice (one send reserves once on each)."""
    names = [key for key, _ in keys]
    if len(set(names)) < len(names):
        raise ValueError(f"a key given twice for one send: {names}")
    return names


def reserve(
    tats: Mapping[str, float], keys: Sequence[tuple[str, Pace]], now: float
) -> tuple[float, dict[str, float]]:
    """The first moment at or after `now` one send may go on every key together, and the
    keys' TATs with that moment reserved. A key without a TAT is quiet (as is one whose TAT
    is past): forgetting it changes nothing.

    One moment for all keys: when the chat must wait, the bot's slot is taken at the moment
    the send goes, never now (a slot spent now would be lost to others, and the send, going
    later, would crowd the bot's next ones).
    """
    key_names(keys)
    at = ready(tats, keys, now)
    return at, {key: max(tats.get(key, at), at) + pace.interval for key, pace in keys}


def ready(tats: Mapping[str, float], keys: Sequence[tuple[str, Pace]], now: float) -> float:
    """The first moment at or after `now` one send may go on every key, reserving nothing."""
    return max([now, *(tats[key] - pace.tolerance for key, pace in keys if key in tats)])


class InMemoryBudgets:
    """The budgets of one process (SQLite deployments, tests): nothing is awaited between
    reading a TAT and writing it, so the sends of the process take turns."""

    def __init__(self) -> None:
        self.tats: dict[str, float] = {}

    async def reserve(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        at, tats = reserve(self.tats, keys, now)
        self.tats.update(tats)
        if len(self.tats) > PRUNE_ABOVE:  # no worker reaches a web process's memory
            self._forget(now)
        return at

    async def ready(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        return ready(self.tats, keys, now)

    async def forget_idle(self, before: float) -> int:
        return self._forget(before)

    def _forget(self, before: float) -> int:
        idle = [key for key, tat in self.tats.items() if tat < before]
        for key in idle:
            del self.tats[key]
        return len(idle)


def backoff(
    attempt: int, random: Callable[[], float], base: float = 2.0, cap: float = 3600.0
) -> float:
    """Seconds before retry `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return random() * min(cap, base * 2 ** (attempt - 1))
