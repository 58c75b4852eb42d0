"""The conversation's neutral vocabulary: what came in, what goes out, who handles what.

Nothing here knows Telegram, WhatsApp or the console; adapters in bot/channels translate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from locales import Speaker
from loyalty.ids import parse_id
from loyalty.program import Program

if TYPE_CHECKING:
    from storage.models import Handoff, Member
    from storage.unit_of_work import UnitOfWork

CONSENT_CHANNELS = {"telegram": "telegram", "whatsapp": "whatsapp", "console": "telegram"}
NUMBERED = frozenset({"whatsapp"})  # channels without buttons: options answered by number
MAX_TEXT = 4000  # longer inbound text is refused, not processed
ACTION_BYTES = 64  # Telegram's callback_data limit; every action id fits in it
STATE_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Contact:
    """A phone number the member shared, and whose it is (the platform's user id)."""

    phone: str
    user_id: str | None


# What a message may carry besides words. Files (photo to sticker) are passed on by the
# channel's reference; a place and a contact card are read out; OTHER cannot be passed on.
PHOTO, VOICE, AUDIO, VIDEO, DOCUMENT, STICKER = (
    "photo", "voice", "audio", "video", "document", "sticker",
)  # fmt: skip
LOCATION, CONTACT, OTHER = "location", "contact", "other"
FILES = frozenset({PHOTO, VOICE, AUDIO, VIDEO, DOCUMENT, STICKER})
# the files each channel with a staff desk can show a member (what staff send that it
# cannot is said in the topic)
CARRIES = {"telegram": FILES, "whatsapp": frozenset({PHOTO, VOICE, AUDIO, VIDEO, DOCUMENT})}


@dataclass(frozen=True)
class Attachment:
    """Something sent that is not words: a file by the channel's reference, a place, a card."""

    kind: str  # PHOTO ... OTHER
    ref: str | None = None  # where the channel keeps the file (a contact card too, on WhatsApp)
    caption: str | None = None  # a place's name and address, a contact's or file's name
    coordinates: tuple[float, float] | None = None  # a place: latitude, longitude
    phone: str | None = None  # a contact card's number, when the channel gives it


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


@dataclass(frozen=True)
class Button:
    label: str
    action: str

    def __post_init__(self) -> None:
        if len(self.action.encode()) > ACTION_BYTES:
            raise ValueError(f"action id over {ACTION_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True)
class CalendarFile:
    """An .ics file: adapters attach it, or link to it by its reference ("e7", "a12")."""

    ref: str
    text: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    qr: str | None = None  # text to show as a QR code (card, ticket); adapters draw it
    ask_contact: str | None = None  # label of a "share my phone number" button
    calendar: CalendarFile | None = None


@dataclass
class State:
    """Where a conversation stands between messages; kept in the database."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    """One inbound message being handled: everything a handler may use."""

    uow: UnitOfWork
    program: Program
    now: datetime
    inbound: Inbound
    member: Member | None
    state: State
    speaker: Speaker
    offered: list[list[str]] = field(default_factory=list)  # [label, action] numbered last time
    recent: list[list[str]] = field(default_factory=list)  # the last lines: [who, text]
    staff_desk: bool = False  # the staff group and this channel can carry a conversation
    handoff: Handoff | None = None  # the conversation is with staff
    misunderstood: bool = False  # the answer was the fallback

    @property
    def _(self) -> Callable[[str], str]:
        return self.speaker.gettext

    @property
    def consent_channel(self) -> str:
        """The channel this chat's consents and news of its requests belong to (the console
        stands in for Telegram)."""
        return CONSENT_CHANNELS[self.inbound.channel]

    def goto(self, name: str, /, **data: Any) -> None:  # data may hold a "name"
        self.state = State(name, data)

    def done(self) -> None:
        self.state = State()


Handler = Callable[[Turn], Awaitable[list[Reply] | None]]  # None: "not mine", route on
Gettext = Callable[[str], str]
Keywords = Callable[[Gettext], str]  # gettext -> "word, other word"


def channel_name(channel: str) -> str:
    return {"telegram": "Telegram", "whatsapp": "WhatsApp"}.get(channel, channel)


def normalize(text: str) -> str:
    """Lower case, accents and punctuation gone: "Arrêt!" and "arret" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", " ", plain).strip()


def options(replies: list[Reply]) -> list[Button]:
    """Every button of a turn in reading order: what 1, 2, 3... mean where buttons are text."""
    return [button for reply in replies for row in reply.buttons for button in row]


def pick(text: str, offered: list[list[str]]) -> str | None:
    """The action of the option a member answered: its number, or its words.

    `offered` holds [label, action] pairs in order. A number is ASCII digits ("3", "3.");
    one in another dress ("²", "١", "-1") is no option, and no words either. The words match
    when they are the option's whole label, or when they occur in exactly one option's label.
    """
    said = " ".join(normalize(text).split())
    if said.isdigit():
        number = parse_id(text.strip().rstrip(".)").rstrip(), high=len(offered))
        return offered[number - 1][1] if number is not None else None
    if not said:
        return None
    labels = [(" ".join(normalize(label).split()), action) for label, action in offered]
    for label, action in labels:
        if label == said:
            return action
    within = {action for label, action in labels if f" {said} " in f" {label} "}
    return within.pop() if len(within) == 1 else None


@dataclass
class _Intent:
    keywords: Keywords
    handler: Handler
    urgent: bool
    alone: bool


class Router:
    """Each handlers module registers here what it answers: commands, buttons, states, words."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.actions: dict[str, Handler] = {}
        self.states: dict[str, Handler] = {}
        self.intents: list[_Intent] = []
        self.on_contact: Handler | None = None
        self.fallback: Handler | None = None
        self.with_staff: Handler | None = None
        self.on_confused: Handler | None = None

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self.commands[name] = handler
            return handler

        return register

    def action(self, prefix: str) -> Callable[[Handler], Handler]:
        """Buttons whose id is `prefix` or starts with ``prefix:``."""

        def register(handler: Handler) -> Handler:
            self.actions[prefix] = handler
            return handler

        return register

    def state(self, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.states[name] = handler
            return handler

        return register

    def intent(
        self, keywords: Keywords, urgent: bool = False, alone: bool = False
    ) -> Callable[[Handler], Handler]:
        """Words (comma-separated, translated per language) that call this handler.

        An urgent intent (STOP) is obeyed even mid-question when a keyword is the whole
        message; one that must stand `alone` (START) is heard only then.
        """

        def register(handler: Handler) -> Handler:
            self.intents.append(_Intent(keywords, handler, urgent, alone))
            return handler

        return register

    def contact(self, handler: Handler) -> Handler:
        """The handler for a shared phone number."""
        self.on_contact = handler
        return handler

    def otherwise(self, handler: Handler) -> Handler:
        """The answer to anything nobody else understood."""
        self.fallback = handler
        return handler

    def during_handoff(self, handler: Handler) -> Handler:
        """The handler for what a member writes while the conversation is with staff."""
        self.with_staff = handler
        return handler

    def confused(self, handler: Handler) -> Handler:
        """The answer when a member was not understood twice in a row."""
        self.on_confused = handler
        return handler

    def include(self, other: Router) -> None:
        self.commands.update(other.commands)
        self.actions.update(other.actions)
        self.states.update(other.states)
        self.intents.extend(other.intents)
        self.on_contact = other.on_contact or self.on_contact
        self.fallback = other.fallback or self.fallback
        self.with_staff = other.with_staff or self.with_staff
        self.on_confused = other.on_confused or self.on_confused

    def for_action(self, action: str) -> Handler | None:
        return self.actions.get(action.split(":", 1)[0])

    def for_button(self, action: str) -> Handler | None:
        """A button's handler: its action's, else the command of that name (a WhatsApp
        template's quick reply may carry "appointments" as its payload)."""
        return self.for_action(action) or self.commands.get(action)

    def for_words(
        self, text: str, languages: Sequence[Gettext], urgent: bool = False
    ) -> Handler | None:
        """The first intent one of whose keywords (in one of `languages`, or English) is said.

        With `urgent`, only urgent intents, and only when a keyword is the whole message: the
        engine gives every language the club speaks then, so STOP is obeyed whatever the
        member's own language.
        """
        said = " ".join(normalize(text).split())
        for intent in self.intents:
            if (urgent and not intent.urgent) or (intent.alone and not urgent):
                continue
            listed = ",".join(intent.keywords(gettext) for gettext in (*languages, _english))
            if said in _phrases(listed) if urgent else says_any(text, listed):
                return intent.handler
        return None


def _english(message: str) -> str:
    return message


def says_any(text: str, keywords: str) -> bool:
    """Whether `text` holds one of the comma-separated words or phrases, as whole words."""
    said = f" {' '.join(normalize(text).split())} "
    return any(f" {phrase} " in said for phrase in _phrases(keywords))


@lru_cache(maxsize=256)
def _phrases(keywords: str) -> tuple[str, ...]:
    """A keyword list, normalized once (it is read on every message)."""
    phrases = (" ".join(normalize(k).split()) for k in keywords.split(","))
    return tuple(phrase for phrase in phrases if phrase)
