"""Telegram, as a thin adapter: updates in, replies out; the engine does the rest."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.bootstrap import Concierge
from bot.channels import tls
from bot.channels.media import CALENDAR_FILE, qr_png
from bot.channels.staff import StaffDesk
from bot.channels.telegram_errors import outcome_of
from bot.channels.telegram_files import attachment, send_file, telegram_file
from bot.channels.telegram_updates import ESSENTIAL, membership, readable
from bot.engine import Engine
from handlers.conversation.dialog import Contact, Inbound, Reply, Traits, Turn
from loyalty.consent import Channel
from loyalty.pace import Pace, telegram_keys
from loyalty.ports import (
    BeforeCall,
    Outcome,
    Outgoing,
    Sent,
)
from loyalty.text import split_text
from services import chats, outbox, receipts

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
    if message is None or message.from_user is None or message.chat is None:
        return None
    if message.chat.type != "private":
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


def rows(replies: list[Reply]) -> list[dict[str, Any]]:
    """Replies as outbox rows, one Bot API call each: the words (cut to Telegram's length),
    the buttons on the last of them, the QR code, the calendar file, the phone button."""
    found: list[dict[str, Any]] = []
    for reply in replies:
        buttons = [[[b.label, b.action] for b in row] for row in reply.buttons]
        parts = [part for part in split_text(reply.text, MAX_MESSAGE) if part]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1 and reply.qr is None
            found.append({"body": part, "variables": {"buttons": buttons} if last else {}})
        if reply.qr is not None:
            found.append({"body": "", "media": reply.qr, "variables": {"buttons": buttons}})
        if reply.calendar is not None:
            found.append({"body": reply.calendar.text, "variables": {"file": CALENDAR_FILE}})
        if reply.ask_contact:
            found.append({"body": reply.ask_contact, "variables": {"ask_contact": True}})
    return found


def _markup(extras: Mapping[str, Any]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if extras.get("ask_contact"):
        return None  # the phone button needs the words: see `_call`
    buttons = extras.get("buttons") or []
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=action) for label, action in row]
         for row in buttons]
    )  # fmt: skip


class TelegramChannel:
    """The bot: updates in (the webhook, polling), every message to a member out."""

    name = CHANNEL
    traits = Traits(consent=Channel.TELEGRAM)

    def __init__(self, app: Concierge, bot: Bot, requests: Sequence[HTTPXRequest]) -> None:
        self.app = app
        self.bot = bot
        self.requests = requests  # the bot's connections, closed by `aclose`
        self.engine: Engine | None = None  # set where updates come in (the web app, polling)
        self.desk: StaffDesk | None = None  # the staff group, when there is one
        self.bot_id = bot.token.split(":")[0]  # the bot's budgets' name: never the token

    async def receive(self, payload: dict[str, Any]) -> receipts.Later | None:
        """Handle an update in one transaction with its receipt, before Telegram gets its
        answer; what to send after it. None when it was seen before, or failed (its receipt
        left open for the next start: services/receipts.py)."""
        handle = partial(self._handle, payload=payload)
        return await receipts.receive(
            self.app.db.unit_of_work,
            self.app.clock(),
            CHANNEL,
            str(payload["update_id"]),
            payload,
            handle,
        )

    async def process(self, receipt_id: int, payload: dict[str, Any], tries: int) -> bool:
        """One more try of an update left open, its replies sent; a failed try is noted (the
        update is given up at the last, see services/receipts.py). False if it failed."""
        handle = partial(self._handle, payload=payload)
        return await receipts.attempt(
            self.app.db.unit_of_work, self.app.clock, CHANNEL, receipt_id, tries, handle
        )

    async def _handle(self, take: receipts.Take, payload: dict[str, Any]) -> receipts.Later | None:
        assert self.engine is not None, "updates are handled where the engine is"
        if "my_chat_member" in payload:
            await self._membership(take, payload["my_chat_member"])
            return None
        kind = next((kind for kind in ESSENTIAL if kind in payload), None)
        if kind is None:  # edits, polls, reactions, channel posts...: nothing we act on
            await self._skip(take)
            return None
        update = readable(payload, kind, self.bot)
        if self.desk is not None and self.desk.ours(update):
            return await self.desk.process(take, update)
        inbound = inbound_from(update)
        if inbound is None:
            await self._skip(take)
            return None

        async def answered() -> None:  # the button's spinner stops once the answer is kept
            if update.callback_query is not None:
                try:
                    await self.bot.answer_callback_query(update.callback_query.id)
                except TelegramError:
                    log.info("callback query %s not answered", update.callback_query.id)

        return await self.engine.handle(inbound, take, after=answered)

    async def _skip(self, take: receipts.Take) -> None:
        async with self.app.db.unit_of_work() as uow:
            if await take(uow):
                await uow.commit()

    async def _membership(self, take: receipts.Take, change: Any) -> None:
        """A member blocked (or unblocked) the bot in their own chat: note who can be
        reached. The bot's membership of other chats changes nothing."""
        found = membership(change)
        async with self.app.db.unit_of_work() as uow:
            if not await take(uow):
                return
            if found is not None:
                await chats.reachable(uow, CHANNEL, *found)
            await uow.commit()

    async def catch_up(self) -> int:
        """Try again the updates a stop left open (services/receipts.py); how many were
        handled."""
        return await receipts.catch_up(
            self.app.db.unit_of_work, self.app.clock, CHANNEL, self.process
        )

    async def queue(self, turn: Turn, replies: list[Reply]) -> None:
        """Write the replies to the outbox, in the transaction that decided them."""
        member_id = turn.member.id if turn.member else None
        await outbox.queue(turn.uow, turn.now, [
            {"member_id": member_id, "channel": CHANNEL, "address": turn.inbound.address,
             "kind": "reply", **row} for row in rows(replies)
        ])  # fmt: skip

    # -- the channel contract (loyalty/ports.py) ------------------------------------------

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return telegram_keys(self.bot_id, message.address)

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        try:
            sent = await self._call(message, before_call)
        except TelegramError as exc:
            return outcome_of(exc)
        return Sent(f"{message.address}:{sent.message_id}")

    async def _call(self, message: Outgoing, before_call: BeforeCall) -> Message:
        chat, text, extras = message.address, message.text, message.extras
        file = telegram_file(message.photo) if message.photo is not None else None
        if file is not None:
            return await send_file(self.bot, chat, *file, text, paced=before_call)
        await before_call()
        if message.media is not None:
            return await self.bot.send_photo(
                chat, qr_png(message.media), reply_markup=_markup(extras)
            )
        if "file" in extras:
            return await self.bot.send_document(
                chat, InputFile(text.encode(), filename=extras["file"])
            )
        if extras.get("ask_contact"):
            keyboard = ReplyKeyboardMarkup(
                [[KeyboardButton(text, request_contact=True)]], resize_keyboard=True,
                one_time_keyboard=True,
            )  # fmt: skip
            return await self.bot.send_message(chat, text, reply_markup=keyboard)
        return await self.bot.send_message(chat, text, reply_markup=_markup(extras))

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
            log.info("file could not be fetched from Telegram: %s", type(exc).__name__)
            return None
        content_type = mimetypes.guess_type(file.file_path or "")[0]
        return content, content_type or "application/octet-stream"

    async def aclose(self) -> None:
        """The bot's connections closed. Not by Bot.shutdown: it closes nothing for a bot
        never initialized (we need no getMe), and left open they stay open."""
        await asyncio.gather(*(request.shutdown() for request in self.requests))


def telegram_channel(app: Concierge) -> TelegramChannel | None:
    """The channel, or None when TELEGRAM_BOT_TOKEN is not set (Telegram is off)."""
    token = app.settings.telegram_bot_token
    if token is None:
        return None
    api = app.settings.telegram_api_url
    shared = {"verify": tls.context()}
    requests = (
        HTTPXRequest(httpx_kwargs=shared),
        HTTPXRequest(connection_pool_size=1, httpx_kwargs=shared),  # for getUpdates
    )
    bot = Bot(
        token.get_secret_value(), base_url=api, base_file_url=api.removesuffix("bot") + "file/bot",
        request=requests[0], get_updates_request=requests[1],
    )  # fmt: skip
    return TelegramChannel(app, bot, requests)


async def poll(channel: TelegramChannel, timeout: int = 30) -> None:
    """Long polling for local use: the same receipts and handling as the webhook, the
    updates taken as Telegram sends them (PTB's reading of them could fail)."""
    await channel.bot.delete_webhook()
    log.info("polling Telegram for updates")
    offset = None
    while True:
        # Method names are case-insensitive in the Bot API; PTB asks for its own reading
        # (get_updates) when it knows the name as written
        updates = await channel.bot.do_api_request(
            "getupdates",
            {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES},
            read_timeout=timeout + 10,
        )
        for payload in updates:
            offset = payload["update_id"] + 1
            later = await channel.receive(payload)
            if later is not None:
                await later()
