"""Telegram, as a thin adapter: updates in, replies out; the engine does the rest."""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.bootstrap import Concierge
from bot.channels.courier import Courier, Outcome
from bot.channels.delivery import BLOCKED, REFUSED, RETRY, Delivery
from bot.channels.media import CALENDAR_FILE, qr_png
from bot.channels.staff import StaffDesk, seconds
from bot.channels.telegram_files import attachment, send_file, telegram_file
from bot.engine import Engine
from handlers.desk import undelivered
from handlers.dialog import Contact, Inbound, Reply, split_text
from handlers.occasions import Greeting
from loyalty.ports import Conflict
from storage.models import OutboxMessage
from storage.outbox import FAILED, PENDING
from storage.unit_of_work import UnitOfWork

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
    shown = attachment(message)
    if message.contact is not None and shown is not None and shown.phone is not None:
        owner = message.contact.user_id  # the phone's own account, when on Telegram
        contact = Contact(shown.phone, str(owner) if owner is not None else None)
    return Inbound(
        CHANNEL, str(user.id), text=message.text or message.caption, contact=contact,
        language=user.language_code, first_name=user.first_name, attachment=shown,
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
        self.courier = Courier(app, CHANNEL, self, then=engine.flush)
        self.desk: StaffDesk | None = None  # the staff group, when there is one

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
        if self.desk is not None and self.desk.ours(update):
            await self.desk.process(receipt_id, update)
            return
        inbound = inbound_from(update)
        if inbound is None:
            await self._skip(receipt_id)
            return

        async def answer(replies: list[Reply]) -> None:
            if update.callback_query is not None:
                try:
                    await self.bot.answer_callback_query(update.callback_query.id)
                except TelegramError:
                    log.info("callback query %s not answered", update.callback_query.id)
            await self.send(inbound.address, replies)

        await self.engine.handle(inbound, receipt_id, send=answer)

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
            return Delivery(RETRY, error=str(exc), retry_after=seconds(exc.retry_after))
        except (TimedOut, NetworkError) as exc:
            return Delivery(RETRY, error=str(exc))
        except TelegramError as exc:
            return Delivery(REFUSED, error=str(exc))
        return Delivery("sent", provider_id=f"{row.address}:{message.message_id}")

    async def flush(self, address: str) -> None:
        """Send what waits in the outbox for this chat (what staff answered)."""
        await self.courier.flush(address)

    async def prepare(self, uow: UnitOfWork, row: OutboxMessage) -> OutboxMessage:
        return row

    async def call(self, row: OutboxMessage, request: OutboxMessage) -> Outcome:
        try:
            file = telegram_file(row.photo) if row.photo is not None else None
            if file is not None:
                message = await send_file(self.bot, row.address, *file, row.body)
            else:
                message = await self.bot.send_message(row.address, row.body)
        except Forbidden as exc:
            return Outcome(row, FAILED, error=str(exc), code="blocked")
        except RetryAfter as exc:
            return Outcome(row, PENDING, error=str(exc), wait=seconds(exc.retry_after))
        except (TimedOut, NetworkError) as exc:
            return Outcome(row, PENDING, error=str(exc), stop=True)
        except TelegramError as exc:
            return Outcome(row, FAILED, error=str(exc))
        return Outcome(row, "sent", provider_id=f"{row.address}:{message.message_id}")

    async def record(self, uow: UnitOfWork, outcome: Outcome) -> None:
        now, row = self.app.clock(), outcome.row
        if outcome.provider_id is not None:
            await uow.outbox.sent(row.id, outcome.status, outcome.provider_id, now)
            return
        await uow.outbox.settle(
            row.id, outcome.status, now, error=outcome.error, code=outcome.code
        )
        if outcome.status == FAILED:
            if outcome.code == "blocked":
                await uow.identities.set_reachable(CHANNEL, row.address, False)
            await undelivered(uow, self.app.program, now, row, outcome.error)

    async def download(self, ref: str) -> tuple[bytes, str] | None:
        """A file Telegram holds (one staff sent) and its type, for a channel that fetches
        media by URL."""
        found = telegram_file(ref)
        if found is None:
            return None
        try:
            file = await self.bot.get_file(found[1])
            content = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.info("file could not be fetched from Telegram: %s", exc)
            return None
        content_type = mimetypes.guess_type(file.file_path or "")[0]
        return content, content_type or "application/octet-stream"

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
        if reply.calendar is not None:
            ics = InputFile(reply.calendar.text.encode(), filename=CALENDAR_FILE)
            await self.bot.send_document(chat_id, ics)
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
    api = app.settings.telegram_api_url
    bot = Bot(
        token.get_secret_value(), base_url=api, base_file_url=api.removesuffix("bot") + "file/bot"
    )
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
