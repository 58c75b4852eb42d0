"""Who may act in the staff group, and when each of them works."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.params import Id, Text
from bot.cli.running import fail, transaction
from loyalty import office as office_rules
from loyalty.hours import DAYS, Opening, parse_day
from loyalty.ids import INT8_MAX
from services import office, schedules, staff

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork


@click.group("staff")
def staff_group() -> None:
    """Who may act in the staff group (Telegram user ids: ask @userinfobot, or see the log)."""


@staff_group.command("add")
@click.argument("telegram_user_id", type=Id(INT8_MAX))
@click.option(
    "--name", required=True, type=Text(), help="Shown to members: their first name only."
)
@click.option(
    "--role", type=click.Choice(["concierge", "manager"]), default="concierge", show_default=True
)
def staff_add(telegram_user_id: int, name: str, role: str) -> None:
    """Register a staff member (again, with a new name or role)."""
    shown = staff.shown_name(name)
    if shown is None:
        fail("--name: give a name of 1 to 80 characters")
    _register(telegram_user_id, shown, role)
    click.echo(f"{shown} ({role}) may now act in the staff group")


@transaction
async def _register(
    uow: UnitOfWork, app: Concierge, telegram_user_id: int, name: str, role: str
) -> None:
    await staff.register(uow, telegram_user_id, name, role, app.clock())


@staff_group.command("list")
@transaction
async def staff_list(uow: UnitOfWork, app: Concierge) -> None:
    """The registered staff."""
    rows = await staff.roster(uow)
    for person in rows:
        click.echo(f"{person.telegram_user_id:>12}  {person.role:<9}  {person.name}")
    if not rows:
        click.echo("no staff registered: concierge staff add TELEGRAM_USER_ID --name NAME")


@staff_group.command("remove")
@click.argument("telegram_user_id", type=Id(INT8_MAX))
@transaction
async def staff_remove(uow: UnitOfWork, app: Concierge, telegram_user_id: int) -> None:
    """Stop someone acting in the staff group (what they wrote stays in the transcripts)."""
    removed = await staff.remove(uow, telegram_user_id, app.clock())
    click.echo(f"{removed.name} may no longer act in the staff group")


@staff_group.command("hours")
@click.argument("who", metavar="STAFF")
@click.argument("day", type=click.Choice(DAYS))
@click.argument("start", required=False)
@click.argument("end", required=False)
def staff_hours(who: str, day: str, start: str | None, end: str | None) -> None:
    """When STAFF (Telegram id or name) works on DAY, in the store's time: `mon 10:00 18:00`;
    without times, not that day."""
    try:
        opening = parse_day(f"{start}-{end}")[0] if start and end else None
    except ValueError as exc:
        fail(f"hours: {exc}", 1)
    if (start is None) != (end is None):
        fail("give both times (FROM TO), or neither to take the day off", 1)
    name = _set_hours(who, DAYS.index(day), opening)
    click.echo(f"{name}: {day} {f'{start}-{end}' if opening else 'off'}")


@transaction
async def _set_hours(
    uow: UnitOfWork, app: Concierge, who: str, weekday: int, opening: Opening | None
) -> str:
    return (await schedules.set_hours(uow, who, weekday, opening)).name


@staff_group.group("login")
def login_group() -> None:
    """Who may sign in to the back office (/office/ of the web app)."""


@login_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(office_rules.ROLES), default="staff", show_default=True)
def login_add(email: str, role: str) -> None:
    """Give EMAIL a back-office account (or a new role) and print a one-time link, valid 48
    hours, to set its password; hand it to them yourself."""
    address = office.email_of(email)
    if address is None:
        fail(f"EMAIL: {email!r} is no e-mail address")
    click.echo(f"{address} ({role}) sets a password at {_invite(address, role)}")


@transaction
async def _invite(uow: UnitOfWork, app: Concierge, email: str, role: str) -> str:
    """The one-time link, addressed from CONCIERGE_PUBLIC_URL (refused without it)."""
    if app.settings.public_url is None:
        raise office.OfficeError("CONCIERGE_PUBLIC_URL is not set: the link is addressed from it")
    token = await office.invite(uow, email, role, app.clock())
    return f"{app.settings.public_url}/office/welcome/{token}"


@login_group.command("disable")
@click.argument("email")
@transaction
async def login_disable(uow: UnitOfWork, app: Concierge, email: str) -> None:
    """Stop EMAIL signing in to the back office: its sessions end and its links no longer
    work (the last owner's account stays). `login add` gives it back, with a new link."""
    address = office.email_of(email) or email
    changed = await office.disable(uow, address, app.clock())
    click.echo(f"{address} {'is now' if changed else 'was already'} disabled")


COMMANDS = (staff_group,)
