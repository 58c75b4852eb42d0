"""The terminal as a channel: the same engine, buttons as numbered options."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.channels.media import qr_png
from bot.engine import Engine
from handlers.dialog import Contact, Inbound, Reply, options
from loyalty.ids import parse_id

CHANNEL = "console"
QUIT = {"/quit", "/exit", "quit", "exit"}


class ConsoleChat:
    """One person at the terminal; `address` is their console identity."""

    def __init__(
        self,
        engine: Engine,
        address: str,
        phone: str | None,
        say: Callable[[str], None],
        images: Path | None = None,
    ) -> None:
        self.engine = engine
        self.address = address
        self.phone = phone
        self.say = say
        self.images = images or Path(tempfile.gettempdir())
        self.options: list[Inbound] = []

    def render(self, replies: list[Reply]) -> None:
        """Print replies; remember what each number means for the next answer."""
        self.options = []
        for reply in replies:
            self.say(reply.text)
            safe = re.sub(r"[^A-Za-z0-9]+", "-", self.address).strip("-")
            if reply.qr is not None:
                path = self.images / f"concierge-card-{safe}.png"
                path.write_bytes(qr_png(reply.qr))
                self.say(f"[image: {path}]")
            if reply.calendar is not None:
                path = self.images / f"concierge-{reply.calendar.ref}-{safe}.ics"
                path.write_text(reply.calendar.text, encoding="utf-8")
                self.say(f"[calendar: {path}]")
            for button in options([reply]):
                self.options.append(self._inbound(action=button.action))
                self.say(f"  {len(self.options)}. {button.label}")
            if reply.ask_contact and self.phone:
                self.options.append(self._inbound(contact=Contact(self.phone, self.address)))
                self.say(f"  {len(self.options)}. {reply.ask_contact} ({self.phone})")

    def _inbound(self, **fields: object) -> Inbound:
        return Inbound(CHANNEL, self.address, **fields)  # type: ignore[arg-type]

    def read(self, line: str) -> Inbound:
        """A number picks an option; anything else is a message."""
        text = line.strip()
        number = parse_id(text, high=len(self.options))
        return self.options[number - 1] if number is not None else self._inbound(text=text)

    async def send(self, line: str) -> None:
        self.render(await self.engine.handle(self.read(line)))
