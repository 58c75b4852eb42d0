"""The conversation's neutral vocabulary: what came in, what goes out, one turn of it.

Nothing here knows Telegram, WhatsApp or the console; adapters in bot/channels translate,
and tell the engine what their chats can do (`Traits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from locales import Speaker
from loyalty.attachments import PHOTO, Attachment
from loyalty.program import Program
from loyalty.records import Handoff, Member
from loyalty.stores import UnitOfWork
from services.calendars import CalendarFile

MAX_TEXT = 4000  # longer inbound text is refused, not processed
ACTION_BYTES = 64  # the longest action id a channel takes (Telegram's callback_data)
STATE_TTL = timedelta(hours=24)
RECENT_LINES = 8  # lines of the conversation with the bot kept for the context card


@dataclass(frozen=True)
class Contact:
    """A phone number the member shared, and whose it is (the platform's user id)."""

    phone: str
    user_id: str | None


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram", "whatsapp", "console"
    address: str  # the channel's id for the person: Telegram user id, E.164 number
    text: str | None = None
    action: str | None = None  # a button's id
    contact: Contact | None = None  # a shared phone number (links the chat to a member)
    language: str | None = None  # the platform's hint (Telegram language_code)
    first_name: str | None = None
    verified_phone: str | None = None  # E.164 the platform vouches for (WhatsApp's sender)
    attachment: Attachment | None = None

    @property
    def photo(self) -> str | None:
        """A photo sent, by the channel's reference (an appointment's note may hold one)."""
        shown = self.attachment
        return shown.ref if shown is not None and shown.kind == PHOTO else None

    @property
    def gist(self) -> str:
        """What it said, for staff reading the conversation so far."""
        if self.text:
            return self.text
        return f"[{self.attachment.kind}]" if self.attachment else f"[{self.action}]"


@dataclass(frozen=True)
class Button:
    label: str
    action: str

    def __post_init__(self) -> None:
        if len(self.action.encode()) > ACTION_BYTES:
            raise ValueError(f"action id over {ACTION_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    qr: str | None = None  # text to show as a QR code (card, ticket); adapters draw it
    ask_contact: str | None = None  # label of a "share my phone number" button
    calendar: CalendarFile | None = None
    alone: bool = False  # said alone, no options added: a carrier's one-line STOP or START


@dataclass
class State:
    """Where a conversation stands between messages; kept in the database."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Traits:
    """What a chat's channel can do, as its adapter says: the engine hands it to each turn."""

    consent: str  # the channel its consents and news of its requests belong to


@dataclass
class Turn:
    """One inbound message being handled: everything a handler may use."""

    uow: UnitOfWork  # handed to the services, never looked into
    program: Program
    now: datetime
    inbound: Inbound
    member: Member | None
    state: State
    speaker: Speaker
    traits: Traits
    offered: list[list[str]] = field(default_factory=list)  # [label, action] numbered last time
    recent: list[list[str]] = field(default_factory=list)  # the last lines: [who, text]
    staff_desk: bool = False  # the staff group and this channel can carry a conversation
    handoff: Handoff | None = None  # the conversation is with staff
    misunderstood: bool = False  # the answer was the fallback
    unread: bool = False  # the question could not read its answer: other words may answer

    @property
    def _(self) -> Callable[[str], str]:
        return self.speaker.gettext

    @property
    def consent_channel(self) -> str:
        """The channel this chat's consents and news of its requests belong to."""
        return self.traits.consent

    def goto(self, name: str, /, **data: Any) -> None:  # data may hold a "name"
        self.state = State(name, data)

    def done(self) -> None:
        self.state = State()

    def reask(self, replies: list[Reply]) -> list[Reply]:
        """A question's answer it could not read: `replies` ask again, unless a command or a
        capability's words answer instead (the member leaves the question)."""
        self.unread = True
        return replies

    def remember(self, who: str, text: str) -> None:
        """Keep the last lines of the conversation with the bot, for a person who takes over."""
        self.recent = [*self.recent, [who, text[:300]]][-RECENT_LINES:]
