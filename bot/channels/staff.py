"""The staff group on Telegram: a supergroup with topics, one per conversation with a person.

Posts to the group come from the outbox (channel "staff"), oldest first, paced to the
group's budget (20 a minute, one a second); a topic is made when its conversation's first
post goes. Messages from the group are read only from registered staff, and from the
group's admins writing anonymously (who act as "the team"). Files go both ways by
reference (bot/channels/telegram_files.py), or fetched from the member's channel.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, InputFile, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.bootstrap import Concierge
from bot.channels.courier import Courier, Outcome
from bot.channels.telegram_files import attachment, send_file, telegram_file, upload
from bot.engine import Engine
from handlers.desk import CLOSE, StaffMessage, from_staff, spoken, staff_speaker
from handlers.dialog import CONTACT, Attachment
from loyalty.services.handoffs import CHANNEL, DELETE, GROUP
from scheduler.limits import STAFF_GROUP, Limits, backoff
from storage.models import OutboxMessage
from storage.outbox import DEAD, FAILED, PENDING
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("concierge.staff")
MAX_ATTEMPTS = 6
GROUP_ANONYMOUS_BOT = 1087968824  # the sender Telegram shows for an admin writing anonymously
VCARD = frozenset({"text/vcard", "text/x-vcard"})

# How a file another channel holds is fetched, with its content type (WhatsApp's media URLs
# need Twilio's keys).
Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]


def transient(exc: TelegramError) -> bool:
    """Whether trying again may help: the network failed, not Telegram refusing the request
    (python-telegram-bot counts a 400 Bad Request as a network error)."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def seconds(after: int | timedelta) -> float:
    """RetryAfter's wait: an int in PTB 22, a timedelta later."""
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


def staff_message(message: Message) -> StaffMessage | None:
    """What a person wrote in the group; None for service messages, other bots, and posts
    made in the name of another chat. An anonymous admin writes as the group itself."""
    user, chat = message.from_user, message.sender_chat
    anonymous = (chat is not None and chat.id == message.chat.id) or (
        user is not None and user.id == GROUP_ANONYMOUS_BOT
    )
    if anonymous:
        who = None
    elif user is None or user.is_bot or chat is not None:
        return None
    else:
        who = user.id
    thread = message.message_thread_id if message.is_topic_message else None
    return StaffMessage(who, thread, message.text or message.caption, attachment(message))


def vcard(text: str) -> Attachment | None:
    """The name and first number on a contact card (vCard), to read out; None if it has
    neither."""
    lines = text.replace("\r\n ", "").replace("\n ", "").splitlines()  # unfolded
    found: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        field = name.split(";")[0].upper()
        if field in ("FN", "TEL") and value.strip():
            found.setdefault(field, value.strip())
    if not found:
        return None
    return Attachment(CONTACT, caption=found.get("FN"), phone=found.get("TEL"))


class StaffDesk:
    def __init__(
        self,
        app: Concierge,
        engine: Engine,
        bot: Bot,
        chat_id: int,
        fetch: Fetch | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.app = app
        self.engine = engine  # its couriers send what staff answer to members
        self.bot = bot
        self.chat_id = chat_id
        self.fetch = fetch
        self.jitter = jitter
        self.limits = Limits({CHANNEL: STAFF_GROUP})
        self.courier = Courier(app, CHANNEL, self)

    def ours(self, update: Update) -> bool:
        message = update.message
        return (
            message is not None and message.chat is not None and (message.chat.id == self.chat_id)
        )

    async def process(self, receipt_id: int, update: Update) -> None:
        """Act on a message from the group once; then send what it queued."""
        assert update.message is not None
        said = staff_message(update.message)
        async with self.app.db.unit_of_work() as uow:
            if not await uow.receipts.take(receipt_id, self.app.clock()):
                return
            if said is not None:
                await from_staff(uow, self.app.program, self.app.clock(), said)
            await uow.commit()
        await self.engine.flush(uow.outbox.touched)

    async def flush(self, address: str = GROUP) -> None:
        await self.courier.flush(address)

    async def send_now(self, row_ids: Sequence[int]) -> list[Outcome]:
        """Send these queued posts at once, one attempt each, outside the web process (a
        member's data erased: their topics go now). What Telegram does not take now stays
        queued for the group's courier (pending), or is refused for good (failed)."""
        outcomes = []
        for row_id in row_ids:
            async with self.app.db.unit_of_work() as uow:
                row = await uow.outbox.claim(row_id, self.app.clock())
                request = await self.prepare(uow, row) if row is not None else None
                await uow.commit()
            if row is None or request is None:
                continue
            outcome = await self.call(row, request)
            async with self.app.db.unit_of_work() as uow:
                await self.record(uow, outcome)
                await uow.commit()
            outcomes.append(outcome)
        return outcomes

    async def _paced(self) -> None:
        await self.limits.acquire(CHANNEL, GROUP, self.app.monotonic, self.app.sleep)

    async def prepare(self, uow: UnitOfWork, row: OutboxMessage) -> dict[str, Any]:
        """Where the post goes: its conversation's topic (to be made if new), or General."""
        request: dict[str, Any] = {"thread": None, "topic": None}
        if row.kind == DELETE:
            request["thread"] = int(row.variables["thread"])
        elif row.handoff_id is not None:
            handoff = await uow.handoffs.get(row.handoff_id)
            if handoff is not None and handoff.thread_id is not None:
                request["thread"] = handoff.thread_id
            else:
                request["topic"] = row.variables.get("topic") or f"#{row.handoff_id}"
        return request

    async def call(self, row: OutboxMessage, request: dict[str, Any]) -> Outcome:
        try:
            return await self._call(row, request)
        except RetryAfter as exc:
            log.warning("staff group: Telegram asks to wait %s s", exc.retry_after)
            return Outcome(row, PENDING, error=str(exc), wait=seconds(exc.retry_after))
        except TelegramError as exc:
            if not transient(exc):  # removed from the group, rights taken, topic deleted
                log.warning("staff group post %s refused: %s", row.id, type(exc).__name__)
                return Outcome(row, FAILED, error=str(exc))
            if row.attempts >= MAX_ATTEMPTS:
                log.warning("staff group post %s given up: %s", row.id, type(exc).__name__)
                return Outcome(row, DEAD, error=f"gave up: {exc}")
            wait = backoff(row.attempts, self.jitter)
            return Outcome(row, PENDING, error=str(exc), wait=wait)

    async def _call(self, row: OutboxMessage, request: dict[str, Any]) -> Outcome:
        thread = request["thread"]
        if row.kind == DELETE:
            await self._paced()
            await self.bot.delete_forum_topic(self.chat_id, thread)
            return Outcome(row, "sent")
        if request["topic"] is not None:
            await self._paced()
            topic = await self.bot.create_forum_topic(self.chat_id, request["topic"])
            thread = topic.message_thread_id
            async with self.app.db.unit_of_work() as uow:  # kept at once: never made twice
                handoff = await uow.handoffs.get(row.handoff_id) if row.handoff_id else None
                if handoff is not None:
                    handoff.thread_id = thread
                await uow.commit()
        body, message = row.body, None
        file = await self._file(row.photo) if row.photo is not None else None
        if isinstance(file, Attachment):  # a contact card: read out
            body = "\n".join(filter(None, [body, spoken(file, self._staff_gettext)]))
        elif file is not None:
            message = await send_file(self.bot, self.chat_id, *file, body, thread, self._paced)
        elif row.photo is not None:  # the words still go; staff learn a file did not come
            _ = self._staff_gettext
            missing = _("(a file was sent, but it could not be fetched or read)")
            body = (body + "\n" + missing).strip()
        if message is None:
            await self._paced()
            message = await self.bot.send_message(self.chat_id, body, message_thread_id=thread)
        if row.kind == CLOSE and thread is not None:
            await self._paced()
            await self.bot.close_forum_topic(self.chat_id, thread)
        return Outcome(row, "sent", provider_id=f"{self.chat_id}:{message.message_id}")

    def _staff_gettext(self, message: str) -> str:
        return staff_speaker(self.app.program).gettext(message)

    async def _file(self, ref: str) -> tuple[str, str | InputFile] | Attachment | None:
        """The file to post (Telegram's kind, and its id or the bytes another channel holds),
        a contact card to read out, or None when it could not be fetched or read."""
        found = telegram_file(ref)
        if found is not None:
            return found
        try:
            if self.fetch is not None:
                content, content_type = await self.fetch(ref)
                if content_type in VCARD:
                    return vcard(content.decode("utf-8", "replace"))
                return upload(content, content_type)
        except httpx.HTTPError as exc:
            log.warning("a member's file could not be fetched: %s", type(exc).__name__)
        return None

    async def record(self, uow: UnitOfWork, outcome: Outcome) -> None:
        now, row = self.app.clock(), outcome.row
        if outcome.provider_id is not None:
            await uow.outbox.sent(row.id, outcome.status, outcome.provider_id, now)
        else:  # pending again (to retry), sent (a topic deleted), failed or dead
            await uow.outbox.settle(row.id, outcome.status, now, error=outcome.error)


def staff_desk(
    app: Concierge, engine: Engine, bot: Bot | None, fetch: Fetch | None
) -> StaffDesk | None:
    """The desk, or None when TELEGRAM_STAFF_CHAT_ID (or the bot) is not set."""
    chat_id = app.settings.telegram_staff_chat_id
    if bot is None or chat_id is None:
        return None
    return StaffDesk(app, engine, bot, chat_id, fetch)
