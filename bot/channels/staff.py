"""The staff group on Telegram: a supergroup with topics, one per conversation with a person.

Posts to the group come from the outbox (channel "staff"), oldest first, paced to the
group's budget (20 a minute, one a second); a topic is made when its conversation's first
post goes. Messages from the group are read only from registered staff.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, Message, Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut

from bot.bootstrap import Concierge
from bot.channels.courier import Courier, Outcome
from bot.engine import Engine
from handlers.desk import CLOSE, StaffMessage, from_staff, staff_speaker
from loyalty.services.handoffs import CHANNEL, DELETE, GROUP
from scheduler.limits import STAFF_GROUP, Limits, backoff
from storage.models import OutboxMessage
from storage.outbox import DEAD, FAILED, PENDING
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("concierge.staff")
MAX_ATTEMPTS = 6
MAX_CAPTION = 1024  # Telegram's limit for a photo's caption
TELEGRAM_PHOTO = "tg:"  # a photo's reference when Telegram holds it: tg:<file_id>

# How a photo another channel holds is fetched (WhatsApp's media URLs need Twilio's keys).
Fetch = Callable[[str], Awaitable[bytes]]


def seconds(after: int | timedelta) -> float:
    """RetryAfter's wait: an int in PTB 22, a timedelta later."""
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


def telegram_photo(message: Message) -> str | None:
    """The largest size of a photo in a message, by reference."""
    return f"{TELEGRAM_PHOTO}{message.photo[-1].file_id}" if message.photo else None


def staff_message(message: Message) -> StaffMessage | None:
    """What a person wrote in the group; None for service messages and other bots."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    thread = message.message_thread_id if message.is_topic_message else None
    return StaffMessage(user.id, thread, message.text or message.caption, telegram_photo(message))


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
        return message is not None and message.chat.id == self.chat_id

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
        except (TimedOut, NetworkError) as exc:
            if row.attempts >= MAX_ATTEMPTS:
                log.warning("staff group post %s given up: %s", row.id, type(exc).__name__)
                return Outcome(row, DEAD, error=f"gave up: {exc}")
            wait = backoff(row.attempts, self.jitter)
            return Outcome(row, PENDING, error=str(exc), wait=wait)
        except TelegramError as exc:  # removed from the group, rights taken, topic deleted
            log.warning("staff group post %s refused: %s", row.id, type(exc).__name__)
            return Outcome(row, FAILED, error=str(exc))

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
        await self._paced()
        body = row.body
        photo = await self._photo(row.photo) if row.photo is not None else None
        if photo is not None:
            caption, body = (body, "") if len(body) <= MAX_CAPTION else (None, body)
            message = await self.bot.send_photo(
                self.chat_id, photo, caption=caption or None, message_thread_id=thread
            )
        elif row.photo is not None:  # the words still go; staff learn a photo did not come
            _ = staff_speaker(self.app.program).gettext
            body = (body + "\n" + _("(a photo was sent, but it could not be fetched)")).strip()
        if body:
            if photo is not None:
                await self._paced()
            message = await self.bot.send_message(self.chat_id, body, message_thread_id=thread)
        if row.kind == CLOSE and thread is not None:
            await self._paced()
            await self.bot.close_forum_topic(self.chat_id, thread)
        return Outcome(row, "sent", provider_id=f"{self.chat_id}:{message.message_id}")

    async def _photo(self, reference: str) -> str | bytes | None:
        """The photo to post: Telegram's file id, or the bytes another channel holds."""
        if reference.startswith(TELEGRAM_PHOTO):
            return reference.removeprefix(TELEGRAM_PHOTO)
        try:
            if self.fetch is not None:
                return await self.fetch(reference)
        except httpx.HTTPError as exc:
            log.warning("a member's photo could not be fetched: %s", type(exc).__name__)
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
