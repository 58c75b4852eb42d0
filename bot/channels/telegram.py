"""Telegram, as a thin adapter: updates in, replies out; the engine does the rest."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.bootstrap import Concierge
from bot.channels.delivery import BLOCKED, REFUSED, RETRY, Delivery
from bot.channels.media import qr_png
from bot.channels.text import split_text
from bot.engine import Engine
from handlers.dialog import Contact, Inbound, Reply
from handlers.occasions import Greeting
from loyalty.ports import Conflict
from storage.models import OutboxMessage

log = logging.getLogger("concierge.telegram")
CHANNEL = "telegram"
MAX_MESSAGE = 4096
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def inbound_from(update: Update) -> Inbound | None:
    """The neutral message inside an update; None for what a member did not send us."""
    if update.callback_query is not None:
        query = update.callback_query
        user = query.from_user
        return Inbound(
            CHANNEL, str(user.id), action=query.data or "", language=user.language_code,
            first_name=user.first_name,
        )  # fmt: skip
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    user = message.from_user
    contact = None
    if message.contact is not None:
        number = message.contact.phone_number
        phone = number if number.startswith("+") else "+" + number  # Telegram omits the "+"
        owner = message.contact.user_id
        contact = Contact(phone, str(owner) if owner is not None else None)
    return Inbound(
        CHANNEL, str(user.id), text=message.text or message.caption, contact=contact,
        language=user.language_code, first_name=user.first_name,
    )  # fmt: skip


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.action) for b in row]
            for row in reply.buttons
        ]
    )


class TelegramChannel:
    def __init__(self, app: Concierge, engine: Engine, bot: Bot) -> None:
        self.app = app
        self.engine = engine
        self.bot = bot

    async def receive(self, payload: dict[str, Any]) -> int | None:
        """Record the update before answering Telegram; None when it was seen before."""
        try:
            async with self.app.db.unit_of_work() as uow:
                receipt = await uow.receipts.record(
                    CHANNEL, str(payload["update_id"]), payload, self.app.clock()
                )
                await uow.commit()
                return receipt
        except Conflict:
            return None

    async def process(self, receipt_id: int, payload: dict[str, Any]) -> None:
        """Handle a recorded update exactly once, then send the replies."""
        update = Update.de_json(payload, self.bot)
        if update.my_chat_member is not None:
            await self._membership(receipt_id, update)
            return
        inbound = inbound_from(update)
        if inbound is None:
            await self._skip(receipt_id)
            return
        replies = await self.engine.handle(inbound, receipt_id)
        if update.callback_query is not None:
            try:
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramError:
                log.info("callback query %s could not be answered", update.callback_query.id)
        await self.send(inbound.address, replies)

    async def _skip(self, receipt_id: int) -> None:
        async with self.app.db.unit_of_work() as uow:
            if await uow.receipts.take(receipt_id, self.app.clock()):
                await uow.commit()

    async def _membership(self, receipt_id: int, update: Update) -> None:
        """A member blocked (or unblocked) the bot: note who can be reached."""
        change = update.my_chat_member
        assert change is not None
        reachable = change.new_chat_member.status not in ("kicked", "left")
        async with self.app.db.unit_of_work() as uow:
            if not await uow.receipts.take(receipt_id, self.app.clock()):
                return
            await uow.identities.set_reachable(CHANNEL, str(change.from_user.id), reachable)
            await uow.commit()

    async def catch_up(self) -> int:
        """Handle updates recorded but not finished before a restart; returns how many."""
        async with self.app.db.unit_of_work() as uow:
            pending = await uow.receipts.pending(CHANNEL)
        done = 0
        for receipt_id, payload in pending:
            try:
                await self.process(receipt_id, payload)
            except Exception:  # one update that fails must not keep the bot from starting
                log.exception(
                    "update %s could not be handled; left for later", payload.get("update_id")
                )
                continue
            done += 1
        return done

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Send replies in order; a block (403) marks the member unreachable."""
        try:
            for reply in replies:
                await self._send_one(chat_id, reply)
        except Forbidden:
            log.info("telegram chat blocked the bot; marked unreachable")
            async with self.app.db.unit_of_work() as uow:
                await uow.identities.set_reachable(CHANNEL, chat_id, False)
                await uow.commit()

    async def deliver(self, row: OutboxMessage, greeting: Greeting, language: str) -> Delivery:
        """Send a message the dispatcher cleared; Telegram's refusals say what to do next."""
        try:
            message = await self.bot.send_message(row.address, greeting.text)
        except Forbidden as exc:
            return Delivery(BLOCKED, error=str(exc))
        except RetryAfter as exc:
            after = exc.retry_after  # an int in PTB 22, a timedelta later
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            return Delivery(RETRY, error=str(exc), retry_after=seconds)
        except (TimedOut, NetworkError) as exc:
            return Delivery(RETRY, error=str(exc))
        except TelegramError as exc:
            return Delivery(REFUSED, error=str(exc))
        return Delivery("sent", provider_id=f"{row.address}:{message.message_id}")

    async def aclose(self) -> None:
        await self.bot.shutdown()

    async def _send_one(self, chat_id: str, reply: Reply) -> None:
        parts = split_text(reply.text, MAX_MESSAGE)
        for index, part in enumerate(parts):
            markup = _keyboard(reply) if index == len(parts) - 1 and not reply.qr else None
            if part:
                await self.bot.send_message(chat_id, part, reply_markup=markup)
        if reply.qr is not None:
            await self.bot.send_photo(chat_id, qr_png(reply.qr), reply_markup=_keyboard(reply))
        if reply.ask_contact:
            keyboard = ReplyKeyboardMarkup(
                [[KeyboardButton(reply.ask_contact, request_contact=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
            await self.bot.send_message(chat_id, reply.ask_contact, reply_markup=keyboard)


def telegram_channel(app: Concierge, engine: Engine) -> TelegramChannel | None:
    """The channel, or None when TELEGRAM_BOT_TOKEN is not set (Telegram is off)."""
    token = app.settings.telegram_bot_token
    if token is None:
        return None
    bot = Bot(token.get_secret_value(), base_url=app.settings.telegram_api_url)
    return TelegramChannel(app, engine, bot)


async def poll(channel: TelegramChannel, timeout: int = 30) -> None:
    """Long polling for local use: the same receipts and handling as the webhook."""
    await channel.bot.delete_webhook()
    log.info("polling Telegram for updates")
    offset = None
    while True:
        updates = await channel.bot.get_updates(
            offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES
        )
        for update in updates:
            offset = update.update_id + 1
            payload = update.to_dict()
            receipt = await channel.receive(payload)
            if receipt is not None:
                await channel.process(receipt, payload)
