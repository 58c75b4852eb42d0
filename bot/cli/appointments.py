"""Concierge appointments as staff see them, and the days the store is closed to them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.params import Day, Id, Text, store_time
from bot.cli.running import transaction
from services import agenda, members, schedules

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork


@click.group("closures")
def closures_group() -> None:
    """Days the store is closed (holidays): no appointment can be booked on them."""


@closures_group.command("add")
@click.argument("day", type=Day())
@click.option("--reason", default="", type=Text())
@click.option(
    "--cancel-bookings", is_flag=True, help="cancel what is booked that day, telling the members"
)
@transaction
async def closures_add(
    uow: UnitOfWork, app: Concierge, day: date, reason: str, cancel_bookings: bool
) -> None:
    """Close the store on DAY; refused while appointments are booked then, unless
    --cancel-bookings."""
    try:
        closed = await schedules.close(uow, app.program, day, reason, app.clock(), cancel_bookings)
    except schedules.BookedThatDay as exc:
        raise schedules.ScheduleError(
            f"{exc}: add --cancel-bookings to cancel them and tell the members"
        ) from None
    cancelled = f"; {len(closed.cancelled)} booking(s) cancelled, {closed.told} member(s) told"
    click.echo(f"closed on {day.isoformat()}" + (cancelled if closed.cancelled else ""))


@closures_group.command("list")
@transaction
async def closures_list(uow: UnitOfWork, app: Concierge) -> None:
    for closure in await schedules.closures(uow):
        click.echo(f"{closure.day.isoformat()}  {closure.reason}".rstrip())


@closures_group.command("remove")
@click.argument("day", type=Day())
@transaction
async def closures_remove(uow: UnitOfWork, app: Concierge, day: date) -> None:
    await schedules.reopen(uow, day)
    click.echo(f"open on {day.isoformat()}")


@click.group("appointments")
def appointments_group() -> None:
    """Concierge appointments."""


@appointments_group.command("list")
@click.option("--day", type=Day(), help="one day (default: the next 7)")
@transaction
async def appointments_list(uow: UnitOfWork, app: Concierge, day: date | None) -> None:
    """Time (store), service, member, staff and status."""
    entries = await agenda.agenda(uow, app.program, app.clock(), day)
    for entry in entries:
        row, name = entry.booking, (entry.member.name if entry.member else "") or ""
        click.echo(
            f"{row.id:>4}  {store_time(app, row.starts_at)}  {row.service:<20}  "
            f"{members.member_number(row.member_id)} {name}  {entry.staff}  {row.status}"
        )
    if not entries:
        click.echo("no appointments")


@appointments_group.command("no-show")
@click.argument("appointment_id", type=Id())
@transaction
async def appointments_no_show(uow: UnitOfWork, app: Concierge, appointment_id: int) -> None:
    """The member did not come (kept for the club's figures)."""
    await agenda.no_show(uow, appointment_id, app.clock())
    click.echo(f"appointment {appointment_id}: no-show recorded")


COMMANDS = (closures_group, appointments_group)
