"""The way out, wired once per process: the channels that are on, the budgets they share,
the sender that drains the outbox through them, and the engine that writes to it.

The web app, the worker, `concierge outbox drain`, polling and the console all start here,
so every message leaves the same way (services/sending.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.bootstrap import Concierge
from bot.channels.console import FILES, ConsoleChat
from bot.channels.staff import StaffDesk, staff_desk
from bot.channels.telegram import TelegramChannel, telegram_channel
from bot.channels.whatsapp import WhatsAppChannel, whatsapp_channel
from bot.engine import Chat, Engine
from handlers.conversation.router import Router
from loyalty.ports import ChannelPort
from services import handoffs
from services.sending import Sender
from storage.pace import budgets

log = logging.getLogger("concierge.outbound")
DRAIN_EVERY = 5.0  # seconds between a receiving process's rounds of sending what waits


@dataclass
class Channels:
    """The platforms this process talks to (None: off in the settings)."""

    telegram: TelegramChannel | None
    whatsapp: WhatsAppChannel | None
    desk: StaffDesk | None
    extra: dict[str, ChannelPort] = field(default_factory=dict)  # the console

    def ports(self) -> dict[str, ChannelPort]:
        found: dict[str, ChannelPort] = {
            port.name: port for port in (self.telegram, self.whatsapp, self.desk) if port
        }
        return found | self.extra

    async def aclose(self) -> None:
        if self.telegram is not None:
            await self.telegram.aclose()
        if self.whatsapp is not None:
            await self.whatsapp.aclose()


def channels(app: Concierge) -> Channels:
    """Every channel the settings switch on; the staff group keeps the topics it makes."""
    telegram = telegram_channel(app)
    whatsapp = whatsapp_channel(app)

    async def made_topic(handoff_id: int, thread: int) -> None:
        async with app.db.unit_of_work() as uow:
            await handoffs.made_topic(uow, handoff_id, thread)
            await uow.commit()

    desk = staff_desk(
        app, telegram.bot if telegram else None, whatsapp.fetch_media if whatsapp else None,
        made_topic,
    )  # fmt: skip
    if telegram is not None:
        telegram.desk = desk
    return Channels(telegram, whatsapp, desk)


def sender(app: Concierge, ports: dict[str, ChannelPort], role: str) -> Sender:
    """A sender for this process, named in the leases it takes (`role` and the pid)."""
    return Sender(
        app.db.unit_of_work, app.program, ports, budgets(app.db), app.clock,
        f"{role}-{os.getpid()}", sleep=app.sleep,
    )  # fmt: skip


def engine(
    app: Concierge, found: Channels, sending: Sender, router: Router | None = None
) -> Engine:
    """The engine, writing each channel's replies as that channel renders them; the
    channels that take messages in are given it."""
    chats: dict[str, Chat] = {}
    for channel in (found.telegram, found.whatsapp):
        if channel is not None:
            chats[channel.name] = channel
    built = Engine(app, sending, chats, router, desk=found.desk is not None)
    for adapter in (found.telegram, found.whatsapp, found.desk):
        if adapter is not None:
            adapter.engine = built
    return built


def wire(
    app: Concierge, role: str, router: Router | None = None
) -> tuple[Channels, Sender, Engine]:
    """A process's way in and out: its channels, its sender, and the engine between."""
    found = channels(app)
    sending = sender(app, found.ports(), role)
    return found, sending, engine(app, found, sending, router)


async def catch_up(receiving: Iterable[TelegramChannel | WhatsAppChannel | None]) -> None:
    """What the last process received on these channels but did not handle, handled now."""
    for channel in receiving:
        if channel is not None:
            handled = await channel.catch_up()
            if handled:
                log.info("%s: handled %d messages left over from a restart",
                         channel.name, handled)  # fmt: skip


@asynccontextmanager
async def running(
    app: Concierge,
    found: Channels,
    sending: Sender,
    catching_up: Callable[[], Coroutine[Any, Any, None]],
    background: bool = True,
) -> AsyncIterator[None]:
    """A process that takes messages in (the web app, a shop's aiogram bot), while it runs:
    in the `background`, what the last one left unhandled (`catching_up`) and what waits
    sent every DRAIN_EVERY seconds; at the end the sending stops between statements before
    anything is cancelled, then the channels and the database close."""
    stop = asyncio.Event()
    started = []
    if background:
        started = [
            asyncio.create_task(catching_up()),
            asyncio.create_task(sending.run(stop, DRAIN_EVERY)),
        ]
    try:
        yield
    finally:
        stop.set()
        await sending.release()  # its rounds end between statements, what it holds goes back
        for task in started:
            task.cancel()
        await asyncio.gather(*started, return_exceptions=True)
        await found.aclose()
        await app.db.close()


def console(
    app: Concierge,
    address: str,
    phone: str | None,
    say: Callable[[str], None],
    files: Path = FILES,
) -> ConsoleChat:
    """A chat at the terminal: its replies written to the outbox and printed by its sender,
    their files written to `files`."""
    chat = ConsoleChat(address, phone, say, files, app.program.club.default_country)
    sending = sender(app, {chat.name: chat}, "console")
    chat.engine = Engine(app, sending, {chat.name: chat})
    return chat
