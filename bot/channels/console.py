"""The terminal as a channel: the same engine, buttons as numbered options.

Its replies leave the house like any other's: written to the outbox with the message, then
sent (printed) through the channel contract.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.channels.media import qr_png
from bot.engine import Engine
from handlers.conversation.dialog import Contact, Inbound, Reply, Traits, Turn
from loyalty.consent import Channel
from loyalty.ids import parse_id
from loyalty.pace import Pace
from loyalty.ports import BeforeCall, Outcome, Outgoing, Sent

CHANNEL = "console"
QUIT = {"/quit", "/exit", "quit", "exit"}


class ConsoleChat:
    """One person at the terminal; `address` is their console identity."""

    name = CHANNEL
    traits = Traits(consent=Channel.TELEGRAM)  # the console stands in for Telegram

    def __init__(
        self,
        address: str,
        phone: str | None,
        say: Callable[[str], None],
        images: Path | None = None,
    ) -> None:
        self.engine: Engine | None = None  # set once the engine writes to this chat
        self.address = address
        self.phone = phone
        self.say = say
        self.images = images or Path(tempfile.gettempdir())
        self.options: list[Inbound] = []  # what each number printed since the last line means

    async def queue(self, turn: Turn, replies: list[Reply]) -> None:
        """Write the replies to the outbox, in the transaction that decided them."""
        member_id = turn.member.id if turn.member else None
        for reply in replies:
            extras: dict[str, Any] = {
                "buttons": [[[b.label, b.action] for b in row] for row in reply.buttons]
            }
            if reply.calendar is not None:
                extras["calendar"] = [reply.calendar.ref, reply.calendar.text]
            if reply.ask_contact:
                extras["ask_contact"] = reply.ask_contact
            await turn.uow.outbox.add(
                turn.now, member_id=member_id, channel=CHANNEL, address=turn.inbound.address,
                kind="reply", body=reply.text, media=reply.qr, variables=extras,
            )  # fmt: skip

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return []  # a terminal takes what it is given

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        """Print a reply; remember what each number means for the next answer."""
        await before_call()
        self.say(message.text)
        safe = re.sub(r"[^A-Za-z0-9]+", "-", self.address).strip("-")
        if message.media is not None:
            path = self.images / f"concierge-card-{safe}.png"
            path.write_bytes(qr_png(message.media))
            self.say(f"[image: {path}]")
        if "calendar" in message.extras:
            ref, text = message.extras["calendar"]
            path = self.images / f"concierge-{ref}-{safe}.ics"
            path.write_text(text, encoding="utf-8")
            self.say(f"[calendar: {path}]")
        for row in message.extras.get("buttons", []):
            for label, action in row:
                self.options.append(self._inbound(action=action))
                self.say(f"  {len(self.options)}. {label}")
        if message.extras.get("ask_contact") and self.phone:
            self.options.append(self._inbound(contact=Contact(self.phone, self.address)))
            self.say(f"  {len(self.options)}. {message.extras['ask_contact']} ({self.phone})")
        return Sent()

    def _inbound(self, **fields: object) -> Inbound:
        return Inbound(CHANNEL, self.address, **fields)  # type: ignore[arg-type]

    def read(self, line: str) -> Inbound:
        """A number picks an option; anything else is a message."""
        text = line.strip()
        number = parse_id(text, high=len(self.options))
        return self.options[number - 1] if number is not None else self._inbound(text=text)

    async def send_line(self, line: str) -> None:
        """What the person typed, handled; the answer printed."""
        assert self.engine is not None
        inbound = self.read(line)
        self.options = []
        later = await self.engine.handle(inbound)
        if later is not None:
            await later()
