"""How fast the dispatcher may send: token buckets per channel and per chat, and backoff.

Pure and clock-free: callers pass the time (seconds, monotonic) and a random source, so
the dispatcher and its tests decide when "now" is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

EPSILON = 1e-9  # seconds: below this a wait is float rounding, not a limit


@dataclass
class Bucket:
    """`rate` sends per `per` seconds, with bursts up to `rate` (a token bucket)."""

    rate: float
    per: float = 1.0
    _tokens: float = field(init=False)
    _at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._tokens = self.rate

    def _refill(self, now: float) -> None:
        if self._at is not None:
            self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate / self.per)
        self._at = now

    def wait(self, now: float) -> float:
        """Seconds until one send is allowed (0 when it is now)."""
        self._refill(now)
        wait = (1 - self._tokens) * self.per / self.rate
        return wait if wait > EPSILON else 0.0  # a rounding crumb is no wait (nor a busy loop)

    def take(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1

    def idle(self, now: float) -> bool:
        """Full again: forgetting it changes nothing."""
        self._refill(now)
        return self._tokens >= self.rate


@dataclass(frozen=True)
class Rates:
    """Per channel: overall sends per second, and per chat (a person, or a staff group).

    `burst`: how many may go at once after a quiet spell (default: a second's worth). A
    full second's burst on top of the steady rate would exceed Telegram's 30/s.
    """

    overall: float
    per_chat: float
    per_chat_seconds: float = 1.0
    burst: float | None = None


# Telegram's published limits: about 30 messages/s overall (we keep 25, bursting 3), 1/s to
# one chat, 20/minute to a group. WhatsApp: the sender's MPS (settings).
TELEGRAM = Rates(overall=25, per_chat=1, burst=3)
# The staff group (one chat): never more than 20 in any minute, one a second: a burst of 5,
# then 15 a minute (a token bucket lets burst + rate x window through in a window).
STAFF_GROUP = Rates(overall=15 / 60, per_chat=1, burst=5)


PRUNE_ABOVE = 10_000  # chats remembered before the idle ones are forgotten


class Limits:
    """The buckets of one dispatcher: one per channel, one per chat it has sent to."""

    def __init__(self, rates: dict[str, Rates]) -> None:
        self.rates = rates
        self._overall = {
            channel: Bucket(r.burst or r.overall, per=(r.burst or r.overall) / r.overall)
            for channel, r in rates.items()
        }
        self._chats: dict[tuple[str, str], Bucket] = {}

    def _chat(self, channel: str, chat: str) -> Bucket:
        key = (channel, chat)
        if key not in self._chats:
            rates = self.rates[channel]
            self._chats[key] = Bucket(rates.per_chat, rates.per_chat_seconds)
        return self._chats[key]

    def wait(self, channel: str, chat: str, now: float) -> float:
        """Seconds until a message to `chat` on `channel` may go."""
        return max(self._overall[channel].wait(now), self._chat(channel, chat).wait(now))

    async def acquire(
        self,
        channel: str,
        chat: str,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        """Wait until one more message to `chat` may go, and count it."""
        while (wait := self.wait(channel, chat, monotonic())) > 0:
            await sleep(wait)
        self.take(channel, chat, monotonic())

    def take(self, channel: str, chat: str, now: float) -> None:
        self._overall[channel].take(now)
        self._chat(channel, chat).take(now)
        if len(self._chats) > PRUNE_ABOVE:  # a bucket per chat ever written to would grow
            self._chats = {k: b for k, b in self._chats.items() if not b.idle(now)}


def backoff(
    attempt: int, random: Callable[[], float], base: float = 2.0, cap: float = 3600.0
) -> float:
    """Seconds before retry `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return random() * min(cap, base * 2 ** (attempt - 1))
