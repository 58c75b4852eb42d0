"""Birthdays and anniversaries: who the club writes to on a day, and queueing them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from bot.bootstrap import Concierge
from bot.cli.params import Day
from bot.cli.running import transaction
from services import members, occasions

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork


@click.group("occasions")
def occasions_group() -> None:
    """Birthdays and anniversaries: who the club writes to, and when."""


def _planned_line(p: occasions.Planned, store: ZoneInfo) -> str:
    zone = ZoneInfo(p.member.timezone) if p.member.timezone else store
    when = p.due.astimezone(zone)
    years = f" ({p.occasion.years})" if p.occasion.years else ""
    who = f"{members.member_number(p.member.id)} {p.member.name or ''}".strip()
    where = p.channel if p.skip is None else f"not sent: {p.skip}"
    return f"{when:%Y-%m-%d %H:%M} {zone.key}  {who}  {p.occasion.kind}{years}  {where}"


@occasions_group.command("preview")
@click.option("--date", "day", type=Day(), help="Default: today.")
@transaction
async def occasions_preview(uow: UnitOfWork, app: Concierge, day: date | None) -> None:
    """A dry run: who would be written to on DATE (in their own zone), and who not, why."""
    planned = await occasions.plan(uow, app.program, app.clock(), day)
    for p in planned:
        click.echo(_planned_line(p, app.program.club.zone))
    going = sum(p.skip is None for p in planned)
    click.echo(f"{going} to send, {len(planned) - going} not")


@occasions_group.command("run")
@click.option("--date", "day", type=Day(), help="Default: today.")
@transaction
async def occasions_run(uow: UnitOfWork, app: Concierge, day: date | None) -> None:
    """Queue the occasions of DATE (in each member's zone); running it again adds nothing."""
    planned, added = await occasions.scan(uow, app.program, app.clock(), day)
    skipped = sum(p.skip is not None for p in planned)
    click.echo(f"queued {added}, {skipped} not sent (see `occasions preview`)")


COMMANDS = (occasions_group,)
