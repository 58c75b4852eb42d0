"""What the services need from the world, said without naming it: from the platforms a
message leaves by (without Telegram or Twilio). What they need from storage is in
loyalty/stores.py and loyalty/records.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from loyalty.pace import Pace


class Conflict(Exception):
    """Another transaction wrote the same unique fact first; retrying sees its result."""


# -- the channel contract: how every message leaves the house ------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One outbox message as a channel sends it: where, what, and what the channel needs to
    know to choose the platform call (WhatsApp's window, the staff group's topic)."""

    id: int
    channel: str
    address: str
    kind: str  # "reply", a template's kind, or what a staff-group post asks (post, close...)
    text: str  # the words: the row's body, or those written at send time
    media: str | None = None  # a payload drawn as a QR code
    photo: str | None = None  # a file, by the channel's reference
    extras: Mapping[str, Any] = field(default_factory=dict)  # buttons, a document, a topic...
    values: Mapping[str, str] = field(default_factory=dict)  # what fills a template
    template: str | None = None  # the template kind that carries it outside a window
    language: str = ""  # the member's: which template
    window_open: bool = True  # WhatsApp: the member wrote within the last 24 hours
    handoff_id: int | None = None  # the conversation with staff it belongs to
    thread: int | None = None  # staff group: the conversation's topic, once made
    scheduled: bool = False  # decided by the club, not a reply: never blindly sent twice


@dataclass(frozen=True)
class Sent:
    """The platform took it: its id, which status callbacks name."""

    provider_id: str | None = None
    status: str = "sent"


@dataclass(frozen=True)
class Retry:
    """Not taken now (busy, down, unreachable network): again after `after` seconds, or
    after a backoff."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Unreachable:
    """The person cannot get messages there any more (blocked us)."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Refused for good as it is (a bad number, a refused template)."""

    reason: str
    code: str | None = None


@dataclass(frozen=True)
class Uncertain:
    """The call may have gone out (a time-out, a reset after sending): a reply is sent
    again, a scheduled message is not."""

    reason: str


@dataclass(frozen=True)
class Waiting:
    """Not for now: it waits (`status`) for the member to write, or for a template;
    `reopen`: ask the member, once, to write (WhatsApp's window)."""

    status: str
    reason: str
    reopen: bool = False


Outcome = Sent | Retry | Unreachable | Failed | Uncertain | Waiting
BeforeCall = Callable[[], Awaitable[None]]  # waits for the pace, notes the call begins


class ChannelPort(Protocol):
    """A platform, as the sender sees it: where its budgets are, and one message sent."""

    name: str

    def paces(self, message: Outgoing) -> Sequence[tuple[str, Pace]]:
        """The budgets a call to send `message` counts against (keys shared by every process
        of this bot): first the bot's overall (every chat's), then the chat's own."""
        ...

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        """Send `message`; `before_call` is awaited before each platform call it makes."""


class Budgets(Protocol):
    """The paces' budgets (loyalty.pace), kept where every sender of a bot reaches them: in
    PostgreSQL for all its processes, or in the memory of the one process (SQLite)."""

    async def reserve(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        """Reserve one send on every key at the first moment they all allow, at or after
        `now` (epoch seconds); that moment. Reserve when the send could go: a moment far
        ahead (a busy chat's) holds the bot's key back until then for every other chat."""
        ...

    async def ready(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        """The first moment at or after `now` these keys allow a send; nothing reserved."""
        ...

    async def forget_idle(self, before: float) -> int:
        """Forget the keys whose TAT is before `before`; how many. A forgotten key reads as
        quiet, which any key with a past TAT is: keep `before` behind every sender's clock
        (now minus a minute covers the skew of hosts' clocks)."""
        ...
