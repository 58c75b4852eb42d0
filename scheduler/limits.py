"""How fast the one-at-a-time senders may send: token buckets per channel and per chat.

The paces themselves, and backoff, live in loyalty.pace; these buckets keep them for one
process until its senders reserve from `loyalty.ports.Budgets` instead.

Pure and clock-free: callers pass the time (seconds, monotonic), so the dispatcher and its
tests decide when "now" is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from loyalty import pace
from loyalty.pace import backoff as backoff  # moved there; its users import it from here

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


def _rates(overall: pace.Pace, chat: pace.Pace) -> Rates:
    """Two paces as buckets: a bucket of `burst` tokens, one back every `interval`, lets
    through what the pace does (burst + window / interval in any window)."""
    return Rates(
        overall=1 / overall.interval,
        per_chat=chat.burst,
        per_chat_seconds=chat.burst * chat.interval,
        burst=overall.burst,
    )


TELEGRAM = _rates(pace.TELEGRAM, pace.TELEGRAM_CHAT)
# The staff desk's own buckets: the group's minute as its "channel", one a second as its chat
STAFF_GROUP = _rates(pace.TELEGRAM_GROUP, pace.TELEGRAM_CHAT)


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
