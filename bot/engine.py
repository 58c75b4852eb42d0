"""The conversation engine: one unit of work per message, routed the same on every channel.

Routing order: a button's action; a STOP-like word that is the whole message; the number
or words of an option offered last time (on every channel); "menu", "back" or "cancel",
which leave any question; a shared contact; the answer the current question expects; a
/command; keywords in the member's language, then the same with a typo. A question that
cannot read its answer lets a command or keywords answer instead. Anything else gets the
fallback; every answer ends with a way on (the main menu at least). A WhatsApp template's
quick reply is a button that carries its label: when its payload names no action or
command, its label is read as words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import replace
from functools import partial
from typing import Protocol

from bot.bootstrap import Concierge
from handlers import router as default_router
from handlers.conversation.dialog import MAX_TEXT, STATE_TTL, Inbound, Reply, State, Traits, Turn
from handlers.conversation.menu import Escape, escape
from handlers.conversation.router import Handler, Router, command_name
from handlers.conversation.words import options, pick, pick_nearly, pick_within
from locales import translations
from loyalty.records import Saved
from loyalty.text import storable, unstorable
from services import chats, desk
from services.receipts import Later, Take
from services.wording import speaker_for

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
            member, saved = await chats.enter(
                uow, inbound.channel, inbound.address, inbound.verified_phone, inbound.language,
                received, now,
            )  # fmt: skip
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
            if turn.handoff is None:
                replies = self._way_on(turn, replies)
            for reply in replies if turn.staff_desk else ():
                turn.remember("bot", reply.text)
            offered = [[button.label, button.action] for button in options(replies)]
            if not offered and replies and replies[-1].alone and self.router.ending:
                hidden = self.router.ending(turn, Reply(""))  # after STOP: the main menu's
                offered = [[button.label, button.action] for button in options([hidden])]
            if turn.handoff is not None:
                turn.recent = []  # with staff, the transcript keeps the conversation
            kept = Saved(turn.state.name, turn.state.data, offered, misses, turn.recent)
            await chats.leave(
                uow, inbound.channel, inbound.address, kept, saved, now, now + STATE_TTL
            )
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
        leaving = None
        if inbound.action is None and urgent is None and text:
            chosen, leaving = self._chosen(turn, text)
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
        if leaving is not None:
            return await self._leave(turn, leaving)
        if inbound.contact is not None and router.on_contact is not None:
            replies = await router.on_contact(turn)
            if replies is not None:
                return replies
        question = router.states.get(turn.state.name or "")
        asked = None
        if question is not None and (text or inbound.photo) and not text.startswith("/"):
            asked = await question(turn)  # a command is never an answer
            if asked is not None and not turn.unread:
                return asked
        pending = turn.state
        for handler, leaves in self._by_words(turn, text):
            if leaves:
                turn.done()  # another capability answers: the question is left
            replies = await handler(turn)
            if replies is not None:
                return replies
            turn.state = pending
        if asked is not None:  # the question asks again
            return asked
        if not text and inbound.attachment is not None:  # a voice note, a sticker, a place...
            return await self._fallback(
                turn, _("I can read only written messages: please write to me in words.")
            )
        return await self._fallback(turn, None)

    def _chosen(self, turn: Turn, text: str) -> tuple[str | None, Escape | None]:
        """The option the words choose, or the question they leave: an option's number or
        whole label first, then "menu", "back", "cancel" in any club language, then words
        within one option's label."""
        chosen = pick(text, turn.offered)
        if chosen is not None:
            return chosen, None
        leaving = escape(text, self.every_language)
        if leaving is not None:
            return None, leaving
        return pick_within(text, turn.offered), None

    def _by_words(self, turn: Turn, text: str) -> Iterator[tuple[Handler, bool]]:
        """Who may answer a message by its words, and whether that leaves the question: its
        /command; a capability whose words it holds; an option it names but for a typo;
        a capability whose words it holds but for a typo."""
        router, gettexts = self.router, [turn.speaker.gettext]
        command = command_name(text)
        if command is not None:
            if command in router.commands:
                yield router.commands[command], True
        elif text:
            exact = router.for_words(text, gettexts)
            if exact is not None:
                yield exact, True
            # typos are weighed only when no exact word answered (a generator: asked lazily)
            option = pick_nearly(text, turn.offered)  # a typo: the nearest, an option on a tie
            intent = router.for_typos(text, gettexts)
            if option is not None and (intent is None or option[1] <= intent[1]):
                yield partial(self._press, option[0]), False
            elif intent is not None:
                yield intent[0], True

    async def _press(self, action: str, turn: Turn) -> list[Reply] | None:
        """An option chosen by words, as if its button were pressed."""
        handler, said = self.router.for_button(action), turn.inbound
        turn.inbound = replace(said, text=None, action=action)
        replies = await handler(turn) if handler is not None else None
        if replies is None:
            turn.inbound = said
        return replies

    async def _leave(self, turn: Turn, leaving: Escape) -> list[Reply]:
        """ "back" asks the question before this one, or presses the screen's own *Back*,
        where there is one; else the menu."""
        back = self.router.backs.get(turn.state.name or "")
        if leaving == "back" and back is not None:
            replies = await back(turn)
            if replies is not None:
                return replies
        label = turn.speaker.gettext("Back")  # "back" written in another of the club's languages
        pressed = next((action for shown, action in turn.offered if shown == label), None)
        if leaving == "back" and pressed is not None:
            replies = await self._press(pressed, turn)
            if replies is not None:
                return replies
        turn.done()
        menu = self.router.for_button("menu")
        return (await menu(turn) if menu else None) or await self._fallback(turn, None)

    def _way_on(self, turn: Turn, replies: list[Reply]) -> list[Reply]:
        """Every answer ends with what the member can do next: the main menu, unless it
        offers options of its own or is said alone (STOP, START, a person taking over)."""
        last, ending = replies[-1] if replies else None, self.router.ending
        if last is None or last.buttons or last.ask_contact or last.alone or ending is None:
            return replies
        return [*replies[:-1], ending(turn, last)]

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
