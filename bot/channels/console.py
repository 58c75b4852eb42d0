"""The terminal as a channel: the same engine, buttons as numbered options.

Its replies leave the house like any other's: written to the outbox with the message, then
sent (printed) through the channel contract. The files a reply carries (a card's or a
ticket's QR code, a calendar file) are written to a folder of the person's choosing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.channels.media import qr_png
from bot.engine import Engine
from handlers.conversation.dialog import Contact, Inbound, Reply, Traits, Turn
from loyalty.consent import Channel
from loyalty.ids import parse_id
from loyalty.membercard import TICKET
from loyalty.pace import Pace
from loyalty.phones import InvalidPhone, normalize_phone
from loyalty.ports import BeforeCall, Outcome, Outgoing, Sent
from services import outbox

CHANNEL = "console"
QUIT = {"/quit", "/exit", "quit", "exit"}
FILES = Path("concierge-files")  # beside where the chat runs, unless told otherwise
_DIALLED = re.compile(r"\+?[0-9][0-9 ()./-]{5,}")  # what a typed phone number looks like


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def qr_file(payload: str) -> str:
    """A QR code's file named for what it shows, its signature left out:
    `card-M00001.png`, `ticket-E1-M00001.png` (so a ticket never overwrites the card)."""
    body = payload.rpartition(":")[0] or payload
    kind, _, names = body.partition(":")
    return f"{'ticket' if kind == TICKET else 'card'}-{_safe(names)}.png"


def typed_phone(text: str, country: str) -> str | None:
    """A phone number written out (the terminal has no contact to share): E.164, or None."""
    if _DIALLED.fullmatch(text) is None:
        return None
    try:
        return normalize_phone(text, country)
    except InvalidPhone:
        return None


class ConsoleChat:
    """One person at the terminal; `address` is their console identity."""

    name = CHANNEL
    traits = Traits(consent=Channel.TELEGRAM)  # the console stands in for Telegram

    def __init__(
        self,
        address: str,
        phone: str | None,
        say: Callable[[str], None],
        files: Path = FILES,
        country: str = "",
    ) -> None:
        self.engine: Engine | None = None  # set once the engine writes to this chat
        self.address = address
        self.phone = phone
        self.say = say
        self.files = files
        self.country = country  # the club's, for a number typed without its country code
        # what each number printed since the last line means; None: "write your number"
        self.options: list[Inbound | None] = []
        self.sharing: str | None = None  # how to share a number, while one is asked for

    async def queue(self, turn: Turn, replies: list[Reply]) -> None:
        """Write the replies to the outbox, in the transaction that decided them."""
        await outbox.queue(turn.uow, turn.now, [
            {"member_id": turn.member.id if turn.member else None, "channel": CHANNEL,
             "address": turn.inbound.address, "kind": "reply", "body": reply.text,
             "media": reply.qr, "variables": self._extras(turn, reply)}
            for reply in replies
        ])  # fmt: skip

    @staticmethod
    def _extras(turn: Turn, reply: Reply) -> dict[str, Any]:
        """What a terminal shows beside the text: the buttons as numbers, the calendar file,
        how to share a number."""
        extras: dict[str, Any] = {
            "buttons": [[[b.label, b.action] for b in row] for row in reply.buttons]
        }
        if reply.calendar is not None:
            extras["calendar"] = [reply.calendar.ref, reply.calendar.text]
        if reply.ask_contact:
            extras["ask_contact"] = reply.ask_contact
            extras["write_it"] = turn.speaker.gettext("write it here")
        return extras

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return []  # a terminal takes what it is given

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        """Print a reply; remember what each number means for the next answer."""
        await before_call()
        self.say(message.text)
        if message.media is not None:
            path = self.files / qr_file(message.media)
            path.write_bytes(qr_png(message.media))
            self.say(f"[image: {path}]")
        if "calendar" in message.extras:
            ref, text = message.extras["calendar"]
            path = self.files / f"calendar-{_safe(ref)}.ics"
            path.write_text(text, encoding="utf-8")
            self.say(f"[calendar: {path}]")
        for row in message.extras.get("buttons", []):
            for label, action in row:
                self.options.append(self._inbound(action=action))
                self.say(f"  {len(self.options)}. {label}")
        if share := message.extras.get("ask_contact"):
            self._offer_sharing(share, message.extras.get("write_it", ""))
        return Sent()

    def _offer_sharing(self, label: str, write_it: str) -> None:
        """The number `--as` gave, as Telegram's button shares it; else the person writes it."""
        if self.phone:
            self.options.append(self._inbound(contact=Contact(self.phone, self.address)))
            self.say(f"  {len(self.options)}. {label} ({self.phone})")
            return
        self.sharing = f"{label} ({write_it})"
        self.options.append(None)
        self.say(f"  {len(self.options)}. {self.sharing}")

    def _inbound(self, **fields: object) -> Inbound:
        return Inbound(CHANNEL, self.address, **fields)  # type: ignore[arg-type]

    def read(self, line: str) -> Inbound | None:
        """A number picks an option; a phone number, while one is asked for, is shared as
        the person's own (this terminal's chat becomes that number's); anything else is a
        message. None: the option to write one's number was picked."""
        text = line.strip()
        number = parse_id(text, high=len(self.options))
        if number is not None:
            return self.options[number - 1]
        phone = typed_phone(text, self.country) if self.sharing else None
        if phone is not None:
            self.address, self.phone = f"{CHANNEL}:{phone}", phone
            return self._inbound(contact=Contact(phone, self.address))
        return self._inbound(text=text)

    async def send_line(self, line: str) -> None:
        """What the person typed, handled; the answer printed."""
        assert self.engine is not None
        inbound = self.read(line)
        if inbound is None:  # asked how to share their number: say it again, and wait
            self.say(self.sharing or "")
            return
        self.options, self.sharing = [], None
        later = await self.engine.handle(inbound)
        if later is not None:
            await later()
