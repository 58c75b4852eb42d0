"""What the services read of what storage keeps: each record as the fields they use.

A property is read only. A plain attribute is written in place on a row the unit of work
loaded, which its commit stores: by a service changing what it holds, or by storage on a
record handed back to it (Handoffs.close, Rsvps.change, Outbox.advance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


class Member(Protocol):
    """A club member; their chat settings are written in place."""

    locale: str | None
    timezone: str | None
    preferred_channel: str | None

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def birthday_day(self) -> int | None: ...
    @property
    def birthday_month(self) -> int | None: ...
    @property
    def birthday_year(self) -> int | None: ...
    @property
    def joined_at(self) -> datetime: ...
    @property
    def erased_at(self) -> datetime | None: ...


class Event(Protocol):
    """A private preview or trunk show; answers move its seats in place, cancelling dates it."""

    seats_taken: int
    cancelled_at: datetime | None

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def place(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def capacity(self) -> int: ...
    @property
    def plus_ones(self) -> int: ...
    @property
    def tiers(self) -> list[str]: ...
    @property
    def segments(self) -> list[str]: ...
    @property
    def badges(self) -> list[str]: ...
    @property
    def deadline(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...


class Rsvp(Protocol):
    """A member's answer to an invitation, changed in place as it moves."""

    status: str
    plus_ones: int
    channel: str | None
    waiting_since: datetime | None
    offered_until: datetime | None
    answered_at: datetime

    @property
    def id(self) -> int: ...
    @property
    def event_id(self) -> int: ...
    @property
    def member_id(self) -> int: ...
    @property
    def checked_in_at(self) -> datetime | None: ...


class Appointment(Protocol):
    """A booking with the concierge; moving or cancelling it writes it in place."""

    staff_id: int
    starts_at: datetime
    ends_at: datetime
    block_end: datetime
    status: str
    channel: str | None
    sequence: int  # raised at each move and the cancellation (calendar files)
    updated_at: datetime

    @property
    def id(self) -> int: ...
    @property
    def member_id(self) -> int: ...
    @property
    def service(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def photo(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


class Handoff(Protocol):
    """A conversation with staff: who took it is written in place, and closing it
    (storage) writes how it ended."""

    claimed_by: int | None
    status: str
    closed_at: datetime | None
    closed_by: int | None

    @property
    def id(self) -> int: ...
    @property
    def member_id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def requested_at(self) -> datetime: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def thread_id(self) -> int | None: ...


class Staff(Protocol):
    """Someone of the jeweller's team."""

    @property
    def id(self) -> int: ...
    @property
    def telegram_user_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...


class ChannelIdentity(Protocol):
    """A chat a member is reached at."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def reachable(self) -> bool: ...
    @property
    def language(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...

    last_inbound_at: datetime | None  # written by services/chats.py as a member writes


class Closure(Protocol):
    """A day the store is closed."""

    @property
    def day(self) -> date: ...
    @property
    def reason(self) -> str: ...


class Purchase(Protocol):
    """A purchase as the till or the shop told it."""

    @property
    def id(self) -> int: ...
    @property
    def order_id(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def category(self) -> str | None: ...
    @property
    def limited_edition(self) -> bool: ...
    @property
    def store(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def purchased_at(self) -> datetime: ...


class BadgeAward(Protocol):
    """A badge a member earned."""

    @property
    def badge(self) -> str: ...
    @property
    def awarded_at(self) -> datetime: ...


class Anniversary(Protocol):
    """A date a member keeps (a wedding...)."""

    @property
    def kind(self) -> str: ...
    @property
    def on(self) -> date: ...


class LinkToken(Protocol):
    """An invitation to link a chat to a member."""

    @property
    def token(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def used_at(self) -> datetime | None: ...


class ConversationState(Protocol):
    """Where a chat's conversation stands."""

    @property
    def channel(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def state(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def recent(self) -> list[list[str]] | None: ...
    @property
    def expires_at(self) -> datetime: ...


class InboundReceipt(Protocol):
    """A message received from a platform, kept until it is handled."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any] | None: ...
    @property
    def received_at(self) -> datetime: ...


class TranscriptLine(Protocol):
    """A line of a conversation with staff."""

    @property
    def at(self) -> datetime: ...
    @property
    def author(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def photo(self) -> str | None: ...


class OutboxMessage(Protocol):
    """A message on its way out: a platform's word on it moves it forward (storage)."""

    status: str
    provider_id: str | None
    error_code: str | None
    last_error: str | None
    updated_at: datetime

    @property
    def id(self) -> int: ...
    @property
    def member_id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def basis(self) -> str | None: ...
    @property
    def body(self) -> str: ...
    @property
    def media(self) -> str | None: ...
    @property
    def photo(self) -> str | None: ...
    @property
    def handoff_id(self) -> int | None: ...
    @property
    def variables(self) -> dict[str, str]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime | None: ...  # not before; None: now


class OfficeAccount(Protocol):
    """Someone of the shop who signs in to the back office; the password is set in place."""

    password_hash: str | None
    role: str
    signed_in_at: datetime | None
    disabled_at: datetime | None

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...


class OfficeSession(Protocol):
    """A signed-in browser; each request it makes moves `seen_at`."""

    seen_at: datetime

    @property
    def account_id(self) -> int: ...
    @property
    def started_at(self) -> datetime: ...


class AuditEntry(Protocol):
    """One thing done in the back office: who, when, what."""

    @property
    def email(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...


@dataclass(frozen=True)
class Standing:
    """How a chat stands with the club, where the club shares a bot with a shop (what it
    answers there: bot/channels/aiogram.py)."""

    talking: bool  # talking with the club: its conversation under way, or staff handed back
    with_staff: bool  # a conversation with staff is open
    member: bool  # the chat is a member's
    invited: bool  # the invitation asked about is live


@dataclass(frozen=True)
class Saved:
    """A conversation between messages: the question pending, and the options offered."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    options: list[list[str]] = field(default_factory=list)  # [label, action], numbered 1...
    misses: int = 0  # messages not understood in a row
    recent: list[list[str]] = field(default_factory=list)  # the last lines: [who, text]
