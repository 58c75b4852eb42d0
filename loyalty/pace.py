"""How fast messages may go: a pace per budget (the bot's, a chat's, the staff group's), kept
as GCRA (the generic cell rate algorithm): one number per budget, the "theoretical arrival
time" of the next send, which makes a reservation one comparison and one update, whether it
is kept in memory (one process) or in PostgreSQL (every process of a bot).

Pure and clock-free: callers pass the time (epoch seconds) and a random source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Pace:
    """One send every `interval` seconds, `burst` at once after a quiet spell."""

    interval: float
    burst: int = 1

    @classmethod
    def per_second(cls, rate: float, burst: int = 1) -> Pace:
        return cls(1 / rate, burst)

    @classmethod
    def per_minute(cls, rate: float, burst: int = 1) -> Pace:
        return cls(60 / rate, burst)

    @property
    def tolerance(self) -> float:
        """How far ahead of its steady time a send may go (the burst)."""
        return (self.burst - 1) * self.interval


def reserve(
    tats: Mapping[str, float], paces: Sequence[tuple[str, Pace]], now: float
) -> tuple[float, dict[str, float]]:
    """The first moment (>= now) one send may go on every budget at once, and the budgets'
    new arrival times once it is reserved. A budget not seen before is idle."""
    at = max([now, *(tats.get(key, now) - pace.tolerance for key, pace in paces)])
    return at, {key: max(tats.get(key, at), at) + pace.interval for key, pace in paces}


class Budgets(Protocol):
    """Where the budgets are kept: in this process, or shared (PostgreSQL)."""

    async def reserve(self, paces: Sequence[tuple[str, Pace]], now: float) -> float:
        """Reserve one send on every budget; the moment (epoch seconds) it may go."""
        ...


class MemoryBudgets:
    """This process's budgets (SQLite deployments run one sender; tests)."""

    def __init__(self) -> None:
        self.tats: dict[str, float] = {}

    async def reserve(self, paces: Sequence[tuple[str, Pace]], now: float) -> float:
        at, changed = reserve(self.tats, paces, now)
        self.tats.update(changed)
        if len(self.tats) > PRUNE_ABOVE:  # a budget per chat ever written to would grow
            self.tats = {key: tat for key, tat in self.tats.items() if tat > now}
        return at


PRUNE_ABOVE = 10_000  # budgets remembered before the idle ones are forgotten

# Telegram's published limits: about 30 messages a second overall (a burst of a few, then
# one every 1/30 s), one a second to a chat (short bursts allowed: a reply of words and a
# card), 20 a minute to a group.
TELEGRAM = Pace.per_second(30, burst=5)
TELEGRAM_CHAT = Pace.per_second(1, burst=3)
# The staff group (one chat): never more than 20 in any minute (a burst of 5, then 15 a
# minute: 5 + 15 in any minute), nor two within a second.
STAFF_GROUP = (Pace.per_minute(15, burst=5), Pace.per_second(1))
# WhatsApp: the sender's messages per second is a setting; to one person, as to a chat.
WHATSAPP_CHAT = Pace.per_second(1, burst=3)


def backoff(
    attempt: int, random: Callable[[], float], base: float = 2.0, cap: float = 3600.0
) -> float:
    """Seconds before retry `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return random() * min(cap, base * 2 ** (attempt - 1))
