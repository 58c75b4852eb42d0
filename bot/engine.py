"""The conversation engine: one unit of work per message, routed the same on every channel.

Routing order: a button's action, then the answer the current state expects, then a
/command, then keywords in the member's language; anything else gets the fallback.
"""

from __future__ import annotations

from dataclasses import replace

from bot.bootstrap import Concierge
from handlers import router as default_router
from handlers.dialog import MAX_TEXT, STATE_TTL, Inbound, Reply, Router, State, Turn
from handlers.language import speaker_for


class Engine:
    def __init__(self, app: Concierge, router: Router | None = None) -> None:
        self.app = app
        self.router = router or default_router()

    async def handle(self, inbound: Inbound, receipt_id: int | None = None) -> list[Reply]:
        """Handle one message in one transaction; with a receipt, at most once."""
        app = self.app
        now = app.clock()
        async with app.db.unit_of_work() as uow:
            if receipt_id is not None and not await uow.receipts.take(receipt_id, now):
                return []  # handled already (a restart's catch-up met a live worker)
            found = await uow.identities.member(inbound.channel, inbound.address)
            member = found[1] if found else None
            name, data = await uow.conversations.get(inbound.channel, inbound.address, now)
            locale = (member.locale if member else None) or inbound.language
            speaker = speaker_for(locale, member.timezone if member else None, app.program)
            turn = Turn(uow, app.program, now, inbound, member, State(name, data), speaker)
            replies = await self.route(turn)
            if (turn.state.name, turn.state.data) != (name, data):
                await uow.conversations.save(
                    inbound.channel, inbound.address, turn.state.name, turn.state.data,
                    now + STATE_TTL,
                )  # fmt: skip
            await uow.commit()
        return replies

    async def route(self, turn: Turn) -> list[Reply]:
        router, inbound = self.router, turn.inbound
        _ = turn.speaker.gettext
        text = (inbound.text or "").strip()
        if len(text) > MAX_TEXT:
            return await self._fallback(
                turn, _("That message is too long for me. Could you say it in a few words?")
            )
        if inbound.action is not None:
            handler = router.for_action(inbound.action)
            replies = await handler(turn) if handler else None
            if replies is None:
                return await self._fallback(
                    turn, _("That button is no longer valid. Here is the menu again.")
                )
            return replies
        if inbound.contact is not None and router.on_contact is not None:
            replies = await router.on_contact(turn)
            if replies is not None:
                return replies
        candidates = []
        if turn.state.name in router.states and text:
            candidates.append(router.states[turn.state.name])
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text[1:] else ""
            if command in router.commands:
                candidates.append(router.commands[command])
        if text:
            by_words = router.for_words(text, turn.speaker)
            if by_words is not None:
                candidates.append(by_words)
        for handler in candidates:
            replies = await handler(turn)
            if replies is not None:
                return replies
        return await self._fallback(turn, None)

    async def _fallback(self, turn: Turn, notice: str | None) -> list[Reply]:
        assert self.router.fallback is not None, "the handlers register a fallback"
        replies = await self.router.fallback(turn) or [Reply("")]
        if notice is not None:  # the notice says what went wrong; the menu stays
            replies = [replace(replies[0], text=notice), *replies[1:]]
        return replies
