"""The demo club in a local SQLite file, and a chat with the concierge in the terminal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.running import committed, load, run
from services import members
from storage.migrate import upgrade

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork


async def _seeded(app: Concierge) -> str:
    """The schema brought up to date and the demo club in it; a member's card to show."""
    from bot.demo import seed

    await upgrade(app.db, store_zone=app.program.club.timezone)
    return await seed(app)


@click.command()
@click.option("--database", default="demo.db", show_default=True, help="SQLite file to seed.")
def demo(database: str) -> None:
    """Seed the demo club into a local SQLite file and show a member's card."""
    app = load(f"sqlite+aiosqlite:///{Path(database).resolve()}")
    click.echo(run(_seeded, app))


@click.command()
@click.option("--demo", "demo_club", is_flag=True, help="Seed the demo club into demo.db first.")
@click.option("--as", "phone", help="Chat as the member with this phone number.")
def chat(demo_club: bool, phone: str | None) -> None:
    """Talk to the concierge in the terminal (numbers pick the options; /quit leaves)."""
    from bot.demo import DEMO_PHONE

    app = load(f"sqlite+aiosqlite:///{Path('demo.db').resolve()}" if demo_club else None)
    if demo_club:
        phone = phone or DEMO_PHONE
    run(lambda app: _chat(app, demo_club, phone), app)


async def _chat(app: Concierge, demo_club: bool, phone: str | None) -> None:
    from bot import outbound
    from bot.channels.console import QUIT

    if demo_club:
        await _seeded(app)
    address = "console"
    if phone:
        address = await committed(app, lambda uow: _as_member(uow, app, phone))
    console = outbound.console(app, address, phone, click.echo)
    await console.send_line("/start")
    while True:
        try:
            line = await asyncio.to_thread(input, "> ")
        except (EOFError, KeyboardInterrupt):
            break
        if line.strip().lower() in QUIT:
            break
        if line.strip():
            await console.send_line(line)


async def _as_member(uow: UnitOfWork, app: Concierge, phone: str) -> str:
    """The console's address, linked to the member with this phone number."""
    member = await members.find(uow, phone, app.program)
    address = f"console:{member.phone}"
    await members.link(uow, member, "console", address, None, app.clock())
    return address


COMMANDS = (demo, chat)
