"""One person's chat on each channel, driven alike: what they write, and what came back (the
words, and the options offered as buttons or numbered lines). The conversation scenarios
run over every channel through these (Zulip's verify_dialog, per channel).

Telegram and Twilio are faked at the wire (tests/channel/conftest.py); the terminal prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from bot import outbound
from bot.bootstrap import Concierge
from locales import translations
from loyalty.consent import Channel, Purpose
from services import events, members
from tests.channel.aiogram_shop import Shop
from tests.channel.conftest import ApiCall, Telegram
from tests.channel.twilio import WhatsApp
from tests.factories import PHONE, TELEGRAM_USER_ID, message_update, telegram_user, whatsapp_form

CHANNELS = ["console", "telegram", "whatsapp", "aiogram"]
# a channel, and its web app (or the shop's bot) if it has one
Where = tuple[str, "Telegram | WhatsApp | Shop | None"]
LANGUAGES = ["en", "fr", "it"]
STRANGER_PHONE = "+447911123456"
NUMBERED = re.compile(r"^\s*(\d+)\. (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Answer:
    """What came back to one message: every message's words, and the options offered."""

    text: str
    options: list[str]

    def number(self, label: str) -> str:
        """The number that answers the option `label` (1, 2, 3... in the order offered)."""
        return str(self.options.index(label) + 1)


class Chat(Protocol):
    language: str

    async def say(self, text: str) -> Answer: ...


@dataclass
class ConsoleChat:
    """The terminal: options are printed as numbered lines."""

    send_line: Callable[[str], object]
    printed: list[str]
    language: str

    async def say(self, text: str) -> Answer:
        self.printed.clear()
        await self.send_line(text)  # type: ignore[misc]
        said = "\n".join(self.printed)
        return Answer(said, [label for _, label in NUMBERED.findall(said)])


@dataclass
class TelegramChat:
    """Telegram: options are the inline keyboard's buttons (and the phone button)."""

    telegram: Telegram
    user: dict[str, object]
    language: str

    async def say(self, text: str) -> Answer:
        return buttons_answer(await self.telegram.send(message_update(text, user=self.user)))


def buttons_answer(calls: list[ApiCall]) -> Answer:
    """What the Bot API calls sent: their words, and their buttons as the options."""
    sent = [c for c in calls if c.method.startswith("send")]
    labels = [label for c in sent for label, _ in c.buttons]
    keys = [k["text"] for c in sent for row in (c.markup or {}).get("keyboard", []) for k in row]
    return Answer("\n".join(c.text or c.params.get("caption", "") for c in sent), labels + keys)


@dataclass
class AiogramChat:
    """Telegram through a shop's aiogram bot: the member came in by /club, and from then
    on the club answers everything they write; the shop's own handlers get none of it."""

    shop: Shop
    user: dict[str, object]
    language: str
    entered: bool = False

    async def say(self, text: str) -> Answer:
        if not self.entered:
            await self.shop.feed(message_update("/club", user=self.user))
            self.entered = True
        before = len(self.shop.got)
        calls = await self.shop.feed(message_update(text, user=self.user))
        assert self.shop.got[before:] == [], f"{text!r} reached the shop"
        return buttons_answer(calls)


@dataclass
class WhatsAppChat:
    """WhatsApp through Twilio: options are numbered lines in the bodies."""

    whatsapp: WhatsApp
    phone: str
    language: str

    async def say(self, text: str) -> Answer:
        sent = await self.whatsapp.send(whatsapp_form(text, self.phone))
        said = "\n".join(s.body for s in sent)
        return Answer(said, [label for _, label in NUMBERED.findall(said)])


def words(language: str) -> Callable[[str], str]:
    """The concierge's words in `language`, to say what an answer must hold."""
    return translations(language).gettext


async def member(concierge: Concierge, language: str) -> int:
    """Giulia, a member speaking `language`, who said yes to invitations everywhere, known
    on Telegram and at the terminal (WhatsApp knows her by her number)."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        found = await members.add(
            uow, concierge.program, now, PHONE, name="Giulia Rossi", locale=language
        )
        for channel in Channel:
            await members.set_consent(uow, found, Purpose.EVENTS, channel, True, now, "t", "w")
        await uow.identities.link(found.id, "telegram", str(TELEGRAM_USER_ID), language, now)
        await uow.identities.link(found.id, "console", f"console:{PHONE}", language, now)
        await uow.commit()
        return found.id


async def preview(concierge: Concierge, title: str = "Emerald preview") -> int:
    """A private preview in two weeks, a guest allowed."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        event = await events.create(
            uow, concierge.program, now, title=title, starts_at=now + timedelta(days=14, hours=8),
            ends_at=now + timedelta(days=14, hours=11), capacity=10, plus_ones=1,
            place="Via Montenapoleone 3",
        )  # fmt: skip
        await uow.commit()
        return event.id


def open_chat(
    channel: Where, concierge: Concierge, tmp_path: Path,
    language: str = "en", stranger: bool = False,
) -> Chat:  # fmt: skip
    """A chat on `channel` with Giulia (or, `stranger`, someone the club does not know)."""
    app = channel[1]
    if isinstance(app, Shop):
        user_id = 5_550_099 if stranger else TELEGRAM_USER_ID
        return AiogramChat(app, telegram_user(user_id, "Giulia", language), language)
    if isinstance(app, Telegram):
        user_id = 5_550_099 if stranger else TELEGRAM_USER_ID
        user = telegram_user(user_id, "Giulia", language)
        return TelegramChat(app, user, language)
    if isinstance(app, WhatsApp):
        phone = STRANGER_PHONE if stranger else PHONE
        return WhatsAppChat(app, phone, language)
    printed: list[str] = []
    address = "console:stranger" if stranger else f"console:{PHONE}"
    chat = outbound.console(concierge, address, None, printed.append, tmp_path)
    return ConsoleChat(chat.send_line, printed, language)
