"""The staff group on Telegram: a supergroup with topics, one per conversation with a person.

Posts to the group come from the outbox (channel "staff"), oldest first, paced to the
group's budget (20 a minute, one a second); a topic is made when its conversation's first
post goes. Messages from the group are read only from registered staff, and from the
group's admins writing anonymously (who act as "the team"). Files go both ways by
reference (bot/channels/telegram_files.py), or fetched from the member's channel.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
from telegram import Bot, InputFile, Message, Update
from telegram.error import TelegramError

from bot.bootstrap import Concierge
from bot.channels import telegram_files, whatsapp
from bot.channels.telegram_errors import outcome_of
from bot.channels.telegram_files import attachment, send_file, telegram_file, upload
from bot.engine import Engine
from loyalty.attachments import CONTACT, Attachment
from loyalty.pace import Pace, telegram_group_keys
from loyalty.ports import BeforeCall, Failed, Outcome, Outgoing, Sent, Unreachable
from services.desk import MemberChannels, StaffMessage, from_staff, spoken, staff_speaker
from services.handoffs import CHANNEL, CLOSE, DELETE
from services.receipts import Later, Take

log = logging.getLogger("concierge.staff")
GROUP_ANONYMOUS_BOT = 1087968824  # the sender Telegram shows for an admin writing anonymously
VCARD = frozenset({"text/vcard", "text/x-vcard"})
# what staff may send the members' channels, as their adapters say
MEMBERS = MemberChannels(
    carries={"telegram": telegram_files.CARRIES, whatsapp.CHANNEL: whatsapp.CARRIES},
    longest=whatsapp.MAX_MESSAGE,  # the smallest message a member's channel takes
)

# How a file another channel holds is fetched, with its content type (WhatsApp's media URLs
# need Twilio's keys).
Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]
MadeTopic = Callable[[int, int], Awaitable[None]]  # a conversation's topic, kept once made


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
    """The staff group: what staff write in it comes in, posts about conversations go out."""

    name = CHANNEL

    def __init__(
        self,
        app: Concierge,
        bot: Bot,
        chat_id: int,
        fetch: Fetch | None = None,
        made_topic: MadeTopic | None = None,
    ) -> None:
        self.app = app
        self.engine: Engine | None = None  # set where updates come in (it sends what staff wrote)
        self.bot = bot
        self.chat_id = chat_id
        self.fetch = fetch
        self.made_topic = made_topic
        self.bot_id = bot.token.split(":")[0]  # the bot's budgets, shared with its chats

    def ours(self, update: Update) -> bool:
        message = update.message
        return (
            message is not None and message.chat is not None and (message.chat.id == self.chat_id)
        )

    async def process(self, take: Take, update: Update) -> Later | None:
        """Act on a message from the group in one transaction with its receipt (`take`);
        what to send after it (None: handled already)."""
        assert update.message is not None and self.engine is not None
        said = staff_message(update.message)
        async with self.app.db.unit_of_work() as uow:
            if not await take(uow):
                return None
            if said is not None:
                await from_staff(uow, self.app.program, self.app.clock(), said, MEMBERS)
            await uow.commit()
        touched, engine = uow.outbox.touched, self.engine

        async def later() -> None:
            await engine.send(touched)

        return later

    # -- the channel contract (loyalty/ports.py) ------------------------------------------

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return telegram_group_keys(self.bot_id, self.chat_id)

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        try:
            return await self._call(message, before_call)
        except TelegramError as exc:  # removed from the group, rights taken, topic deleted...
            outcome = outcome_of(exc)
            if isinstance(outcome, Unreachable):  # the group itself keeps its posts
                return Failed(outcome.reason)
            return outcome

    async def _call(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        thread = message.thread
        if message.kind == DELETE:
            await before_call()
            await self.bot.delete_forum_topic(self.chat_id, int(message.extras["thread"]))
            return Sent()
        if thread is None and message.handoff_id is not None:
            await before_call()
            name = message.extras.get("topic") or f"#{message.handoff_id}"
            thread = (await self.bot.create_forum_topic(self.chat_id, name)).message_thread_id
            if self.made_topic is not None:  # kept at once: never made twice
                await self.made_topic(message.handoff_id, thread)
        body, sent = message.text, None
        file = await self._file(message.photo) if message.photo is not None else None
        if isinstance(file, Attachment):  # a contact card: read out
            body = "\n".join(filter(None, [body, spoken(file, self._staff_gettext)]))
        elif file is not None:
            sent = await send_file(self.bot, self.chat_id, *file, body, thread, before_call)
        elif message.photo is not None:  # the words still go; staff learn a file did not come
            _ = self._staff_gettext
            missing = _("(a file was sent, but it could not be fetched or read)")
            body = (body + "\n" + missing).strip()
        if sent is None:
            await before_call()
            sent = await self.bot.send_message(self.chat_id, body, message_thread_id=thread)
        if message.kind == CLOSE and thread is not None:
            await before_call()
            await self.bot.close_forum_topic(self.chat_id, thread)
        return Sent(f"{self.chat_id}:{sent.message_id}")

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


def staff_desk(
    app: Concierge, bot: Bot | None, fetch: Fetch | None, made_topic: MadeTopic | None = None
) -> StaffDesk | None:
    """The desk, or None when TELEGRAM_STAFF_CHAT_ID (or the bot) is not set."""
    chat_id = app.settings.telegram_staff_chat_id
    if bot is None or chat_id is None:
        return None
    return StaffDesk(app, bot, chat_id, fetch, made_topic)
