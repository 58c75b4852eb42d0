"""The conversation engine: one unit of work per message, routed the same on every channel.

Routing order: a button's action; a STOP-like word that is the whole message; the number
or words of an option offered where buttons are text (WhatsApp); a shared contact; the
answer the current state expects; a /command; keywords in the member's language. Anything
else gets the fallback. A WhatsApp template's quick reply is a button that carries its
label: when its payload names no action or command, its label is read as words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Protocol

from bot.bootstrap import Concierge
from handlers import router as default_router
from handlers.conversation.dialog import MAX_TEXT, STATE_TTL, Inbound, Reply, State, Traits, Turn
from handlers.conversation.router import Router
from handlers.conversation.words import options, pick
from locales import translations
from loyalty.text import storable, unstorable
from services import chats, desk
from services.receipts import Later, Take
from services.wording import speaker_for
from storage.conversations import Saved

After = Callable[[], Awaitable[None]]
CONFUSED_AFTER = 2  # messages not understood in a row before a person is called


class Outbound(Protocol):
    """Who sends what a message queued (services/sending.py)."""

    async def send_chats(self, chats: set[tuple[str, str]]) -> object: ...


class Chat(Protocol):
    """A channel members write on, as the engine sees it (bot/channels/*)."""

    name: str
    traits: Traits  # what its chats can do

    async def queue(self, turn: Turn, replies: list[Reply]) -> None:
        """Write the replies in the message's own transaction (the outbox), so none is lost."""


class Engine:
    def __init__(
        self,
        app: Concierge,
        sending: Outbound,
        channels: Mapping[str, Chat],
        router: Router | None = None,
        desk: bool = False,
    ) -> None:
        self.app = app
        self.sending = sending
        self.channels = channels  # by name: the channels messages come in by
        self.desk = desk  # the staff group is on: conversations can go to a person
        self.router = router or default_router()
        # STOP and START are heard in every language the club speaks, from every member
        self.every_language = [translations(code).gettext for code in app.program.club.languages]

    async def handle(
        self, inbound: Inbound, take: Take | None = None, after: After | None = None
    ) -> Later | None:
        """Handle one message in one transaction: its receipt taken (`take`: at most once),
        the state, the effects and the replies (written to the outbox) commit together.
        Returns what to do once the platform has its answer: `after` (Telegram stops a
        button's spinner), then send what the message queued, this chat first; None when
        the message was handled already."""
        app = self.app
        now = app.clock()
        if inbound.first_name:  # the platform's profile name: nobody can write it again
            inbound = replace(inbound, first_name=storable(inbound.first_name) or None)
        said = [part for part in (inbound.text, inbound.action) if part]
        unreadable = any(unstorable(part, lines=True) for part in said)
        async with app.db.unit_of_work() as uow:
            received = now if take is None else await take(uow)
            if received is None:
                return None  # handled already (a restart's catch-up met a live worker)
            await uow.conversations.hold(inbound.channel, inbound.address)
            identity, member = await chats.writer(
                uow, inbound.channel, inbound.address, inbound.verified_phone, inbound.language,
                now,
            )  # fmt: skip
            if identity is not None and (
                identity.last_inbound_at is None or identity.last_inbound_at < received
            ):
                identity.last_inbound_at = received
            saved = await uow.conversations.get(inbound.channel, inbound.address, now)
            locale = (member.locale if member else None) or inbound.language
            speaker = speaker_for(locale, member.timezone if member else None, app.program)
            chat = self.channels[inbound.channel]
            turn = Turn(
                uow, app.program, now, inbound, member, State(saved.name, saved.data), speaker,
                chat.traits, offered=saved.options, recent=saved.recent, staff_desk=self.desk,
            )  # fmt: skip
            if turn.staff_desk:  # the last lines are kept only for someone to take over
                turn.handoff = await desk.open_for(uow, inbound.channel, inbound.address)
                if not unreadable:
                    turn.remember("member", inbound.gist)
            replies = await (self._unreadable(turn) if unreadable else self.route(turn))
            misses = saved.misses + 1 if turn.misunderstood else 0
            if misses >= CONFUSED_AFTER and self.router.on_confused is not None:
                confused = await self.router.on_confused(turn)
                replies, misses = (confused, 0) if confused is not None else (replies, misses)
            for reply in replies if turn.staff_desk else ():
                turn.remember("bot", reply.text)
            offered = []
            if chat.traits.numbered:
                offered = [[button.label, button.action] for button in options(replies)]
            if turn.handoff is not None:
                turn.recent = []  # with staff, the transcript keeps the conversation
            kept = Saved(turn.state.name, turn.state.data, offered, misses, turn.recent)
            if kept != saved:
                await uow.conversations.save(
                    inbound.channel, inbound.address, kept, now + STATE_TTL
                )
            await uow.outbox.release(inbound.channel, inbound.address, now)  # they wrote
            await chat.queue(turn, replies)
            await uow.commit()
        touched = uow.outbox.touched

        async def later() -> None:
            if after is not None:
                await after()
            await self.send(touched, first=inbound.channel)

        return later

    async def send(self, touched: set[tuple[str, str]], first: str | None = None) -> None:
        """Send what a transaction queued: this chat's first (the staff group's pace must
        not delay a member's answer), then the others'."""
        mine = {chat for chat in touched if chat[0] == first}
        if mine:
            await self.sending.send_chats(mine)
        if touched - mine:
            await self.sending.send_chats(touched - mine)

    async def route(self, turn: Turn) -> list[Reply]:
        router, inbound = self.router, turn.inbound
        _ = turn.speaker.gettext
        text = (inbound.text or "").strip()
        urgent = None
        if text and not text.startswith("/"):  # "/start" is a command, not START
            urgent = router.for_words(text, self.every_language, urgent=True)
        if turn.handoff is not None and router.with_staff is not None:
            return await (urgent or router.with_staff)(turn) or []
        if len(text) > MAX_TEXT:
            return await self._fallback(
                turn, _("That message is too long for me. Could you say it in a few words?")
            )
        labelled = inbound.action is not None and bool(text)  # a template's quick reply
        if inbound.action is None and urgent is None and text and turn.offered:
            chosen = pick(text, turn.offered)
            if chosen is not None:
                turn.inbound = inbound = replace(inbound, text=None, action=chosen)
        if inbound.action is not None:
            handler = router.for_button(inbound.action)
            turn.inbound = replace(inbound, text=None)  # a template button's text is its label
            replies = await handler(turn) if handler else None
            if replies is not None:
                return replies
            if not labelled:
                return await self._fallback(
                    turn, _("That button is no longer valid. Here is the menu again.")
                )
            turn.inbound = inbound = replace(inbound, action=None)  # unknown: read its words
        if urgent is not None:
            return await urgent(turn) or await self._fallback(turn, None)
        if inbound.contact is not None and router.on_contact is not None:
            replies = await router.on_contact(turn)
            if replies is not None:
                return replies
        candidates = []
        if turn.state.name in router.states and (text or inbound.photo):
            candidates.append(router.states[turn.state.name])
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text[1:] else ""
            if command in router.commands:
                candidates.append(router.commands[command])
        if text:
            by_words = router.for_words(text, [turn.speaker.gettext])
            if by_words is not None:
                candidates.append(by_words)
        for handler in candidates:
            replies = await handler(turn)
            if replies is not None:
                return replies
        if not text and inbound.attachment is not None:  # a voice note, a sticker, a place...
            return await self._fallback(
                turn, _("I can read only written messages: please write to me in words.")
            )
        return await self._fallback(turn, None)

    async def _unreadable(self, turn: Turn) -> list[Reply]:
        """A message the database could not keep (NUL, a lone surrogate): asked again, and
        neither understood, stored nor relayed."""
        notice = turn.speaker.gettext("I could not read that message. Could you write it again?")
        return [Reply(notice)] if turn.handoff is not None else await self._fallback(turn, notice)

    async def _fallback(self, turn: Turn, notice: str | None) -> list[Reply]:
        assert self.router.fallback is not None, "the handlers register a fallback"
        turn.misunderstood = notice is None
        replies = await self.router.fallback(turn) or [Reply("")]
        if notice is not None:  # the notice says what went wrong; the menu stays
            replies = [replace(replies[0], text=notice), *replies[1:]]
        return replies
