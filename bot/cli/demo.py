"""The demo club in a local SQLite file, and a chat with the concierge in the terminal."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.channels.console import FILES, QUIT
from bot.cli.processes import serving
from bot.cli.running import committed, current, fail, load, one_line, run, schema_current
from services import members, office
from storage.migrate import upgrade

if TYPE_CHECKING:
    from bot.channels.console import ConsoleChat
    from storage.unit_of_work import UnitOfWork

GOODBYE = "goodbye"


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
    click.echo(run(_seeded, app, schema=False))


@click.command()
@click.option("--demo", "demo_club", is_flag=True, help="Seed the demo club into demo.db first.")
@click.option("--as", "phone", help="Chat as the member with this phone number.")
@click.option(
    "--files",
    type=click.Path(file_okay=False, path_type=Path),
    default=FILES,
    show_default=True,
    help="Folder for the card, ticket and calendar files the chat gives.",
)
def chat(demo_club: bool, phone: str | None, files: Path) -> None:
    """Talk to the concierge in the terminal (numbers pick the options; /quit, Ctrl-D or
    Ctrl-C leave)."""
    _writable(files)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:  # -v shows what goes on
        logging.getLogger("concierge").setLevel(logging.WARNING)  # a chat, not a server's log
    try:
        _chat(demo_club, phone, files)
    finally:
        logging.getLogger("concierge").setLevel(logging.NOTSET)
    click.echo(GOODBYE)


def _chat(demo_club: bool, phone: str | None, files: Path) -> None:
    from bot.demo import DEMO_PHONE

    app = load(f"sqlite+aiosqlite:///{Path('demo.db').resolve()}" if demo_club else None)
    if demo_club:
        phone = phone or DEMO_PHONE
    # one event loop for the whole chat; each line typed is read outside it, so Ctrl-C and
    # Ctrl-D end the chat at once, whether it waits for a line or for the concierge
    with one_line(app.db), asyncio.Runner() as loop:
        app.db.open_file()
        try:
            console = loop.run(_open(app, demo_club, phone, files))
            _converse(loop, console)
        except KeyboardInterrupt:
            click.echo()  # after the ^C the terminal shows
        finally:
            loop.run(app.db.close())


def _writable(files: Path) -> None:
    """The folder made now, so that a file the chat gives cannot fail halfway."""
    try:
        files.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--files: {files}: {exc.strerror or exc}", 1)
    if not os.access(files, os.W_OK | os.X_OK):
        fail(f"--files: {files}: not writable", 1)


async def _open(app: Concierge, demo_club: bool, phone: str | None, files: Path) -> ConsoleChat:
    """The chat opened (the demo seeded first, or the schema checked) and greeted."""
    from bot import outbound

    if demo_club:
        await _seeded(app)
    else:
        await current(app.db)
    address = "console"
    if phone:
        address = await committed(app, lambda uow: _as_member(uow, app, phone))
    console = outbound.console(app, address, phone, click.echo, files)
    await console.send_line("/start")
    return console


def _converse(loop: asyncio.Runner, console: ConsoleChat) -> None:
    """Lines typed, each handled, until the person leaves (Ctrl-D ends the input)."""
    while True:
        try:
            line = input("> ")
        except EOFError:
            click.echo()  # the prompt's line ended, for the goodbye to stand on its own
            return
        if line.strip().lower() in QUIT:
            return
        if line.strip():
            loop.run(console.send_line(line))


async def _as_member(uow: UnitOfWork, app: Concierge, phone: str) -> str:
    """The console's address, linked to the member with this phone number."""
    member = await members.find(uow, phone, app.program)
    address = f"console:{member.phone}"
    await members.link(uow, member, "console", address, None, app.clock())
    return address


OFFICE_FILE = "office.db"
OWNER = "owner@maison-aurelia.example"
STAFF = "staff@maison-aurelia.example"
PASSWORD = "aurelia-demo-2026"  # the demo's, printed for anyone to sign in: never a real club's


@click.command("office")
@click.option(
    "--demo", "demo_club", is_flag=True,
    help=f"Seed the demo club and its last fourteen months into {OFFICE_FILE} first (made "
    "anew at each run), with an owner and a staff account.",
)  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT, else 8000.")
def office_command(demo_club: bool, host: str, port: int | None) -> None:
    """Serve the web app and print the back office's address (Ctrl-C stops it)."""
    if demo_club:
        _fresh(Path(OFFICE_FILE))
    app = load(f"sqlite+aiosqlite:///{Path(OFFICE_FILE).resolve()}" if demo_club else None)
    if demo_club:
        click.echo(f"seeding the demo club into {OFFICE_FILE}...")
        run(seed_office, app, schema=False)
    else:
        schema_current(app)
    port = port or app.settings.port
    click.echo(f"the back office: http://{host}:{port}/office/")
    if demo_club:
        click.echo(f"sign in as the owner: {OWNER}  password: {PASSWORD}")
        click.echo(f"or as staff:          {STAFF}  password: {PASSWORD}")
    click.echo("Ctrl-C stops it")
    serving(app, host, port)


def _fresh(database: Path) -> None:
    """The history is of the fourteen months before now: an older copy is thrown away."""
    for path in (database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            fail(f"{path}: {exc.strerror or exc}", 1)


async def seed_office(app: Concierge, count: int | None = None) -> None:
    """The demo club, its history (`count` members, default about 150), and the demo's two
    back-office accounts."""
    from bot.demo_history import seed_history

    await _seeded(app)
    await seed_history(app, count=count)
    now = app.clock()
    async with app.db.unit_of_work() as uow:
        for email, role in ((OWNER, "owner"), (STAFF, "staff")):
            token = await office.invite(uow, email, role, now)
            await office.set_password(uow, token, PASSWORD, now)
        await uow.commit()


COMMANDS = (demo, chat, office_command)
