"""A shop's aiogram bot with the concierge mounted in it, updates fed as polling feeds them.

The Bot API is faked at the wire on both sides: the concierge's calls go through
python-telegram-bot (httpx) to FakeTelegram (respx, tests/channel/conftest.py); the shop's
own calls go through aiogram's Bot to a recording session that answers at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, Message, Update

from bot.bootstrap import Concierge
from bot.channels.aiogram import club_router
from tests.channel.conftest import API_HOST, TOKEN, ApiCall, FakeTelegram
from tests.factories import TELEGRAM_NOW

CATALOGUE = "Our catalogue: rings, necklaces, earrings."
SHOP_SAYS = "The shop heard: {text}"


class RecordingSession(BaseSession):
    """The Bot API for the shop's own calls: each recorded, a message sent answered with
    the message Telegram would return, anything else with True."""

    def __init__(self) -> None:
        super().__init__(api=TelegramAPIServer.from_base(API_HOST))
        self.calls: list[TelegramMethod[Any]] = []
        self._message_ids = count(80_001)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        if isinstance(method, SendMessage):
            chat = Chat(id=int(method.chat_id), type="private")
            sent = Message(
                message_id=next(self._message_ids), date=TELEGRAM_NOW, chat=chat, text=method.text
            )
            return sent  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise AssertionError("the shop downloads nothing here")
        yield b""  # an async generator, as aiogram's

    async def close(self) -> None:
        pass

    def texts(self) -> list[str]:
        return [call.text for call in self.calls if isinstance(call, SendMessage)]


def shop_router(got: list[tuple[str, str]]) -> Router:
    """The shop's own handlers: /catalogue, and an answer to any message, button or
    membership change nobody took before (each noted in `got`: kind, what)."""
    shop = Router(name="shop")

    @shop.message(Command("catalogue"))
    async def catalogue(message: Message) -> None:
        got.append(("message", message.text or ""))
        await message.answer(CATALOGUE)

    @shop.message()
    async def anything(message: Message) -> None:
        got.append(("message", message.text or ""))
        await message.answer(SHOP_SAYS.format(text=message.text))

    @shop.callback_query()
    async def button(query: CallbackQuery) -> None:
        got.append(("button", query.data or ""))
        await query.answer()

    @shop.my_chat_member(F.chat.type == "private")
    async def membership(change: ChatMemberUpdated) -> None:
        got.append(("my_chat_member", change.new_chat_member.status))

    return shop


@dataclass
class Shop:
    """The shop's bot, its dispatcher (the concierge first, then the shop's handlers), what
    the shop's handlers got, and the Bot API on both sides."""

    concierge: Concierge
    bot: Bot
    dispatcher: Dispatcher
    session: RecordingSession
    api: FakeTelegram
    got: list[tuple[str, str]] = field(default_factory=list)

    async def feed(self, update: dict[str, Any]) -> list[ApiCall]:
        """One update, as polling feeds it; the concierge's Bot API calls it made."""
        before = len(self.api.calls)
        await self.dispatcher.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )
        return self.api.calls[before:]


@asynccontextmanager
async def running_shop(
    app_concierge: Concierge, api: FakeTelegram, background: bool = False
) -> AsyncIterator[Shop]:
    """The shop's bot with the concierge of `app_concierge` (its token the shop's), started
    and stopped as polling starts and stops it; sending in the `background` only if asked."""
    api.timer = app_concierge.monotonic
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    dispatcher = Dispatcher()
    dispatcher.include_router(club_router(app_concierge, background))
    got: list[tuple[str, str]] = []
    dispatcher.include_router(shop_router(got))
    await dispatcher.emit_startup(bot=bot)
    try:
        yield Shop(app_concierge, bot, dispatcher, session, api, got)
    finally:
        await dispatcher.emit_shutdown(bot=bot)
