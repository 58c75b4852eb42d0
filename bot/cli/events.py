"""Private previews and trunk shows, as staff create, show, run and report on them."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.params import Id, Text, store_time
from bot.cli.running import fail, transaction
from loyalty.dates import OutOfRange, moment_in
from loyalty.events import KINDS
from loyalty.ids import INT2_MAX, INT4_MAX
from services import events, hosting, members

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork


@click.group("events")
def events_group() -> None:
    """Private previews and trunk shows. Times without an offset are the store's."""


def _names(values: tuple[str, ...]) -> list[str]:
    """`--tiers gold,platinum` or `--tiers gold --tiers platinum`."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _moment(app: Concierge, option: str, text: str) -> datetime:
    try:
        return moment_in(text, app.program.club.zone)
    except OutOfRange as exc:
        fail(f"{option}: {exc}", 1)
    except ValueError:
        fail(f"{option}: not an ISO 8601 date and time, e.g. 2026-12-08T18:30", 1)


@events_group.command("create")
@click.option("--title", required=True, type=Text())
@click.option("--starts", required=True, help="ISO 8601, e.g. 2026-12-08T18:30")
@click.option("--ends", required=True)
@click.option("--capacity", required=True, type=click.IntRange(max=INT4_MAX))
@click.option(
    "--plus-ones",
    default=0,
    show_default=True,
    type=click.IntRange(max=INT2_MAX),
    help="guests a member may bring",
)
@click.option("--kind", default=KINDS[0], show_default=True, type=click.Choice(KINDS))
@click.option("--tiers", multiple=True, help="only these tiers (comma-separated)")
@click.option("--segments", multiple=True, help="only these segments (comma-separated)")
@click.option("--badges", multiple=True, help="only holders of these badges (comma-separated)")
@click.option(
    "--guest", "guests", multiple=True, metavar="MEMBER", help="named guest (repeatable)"
)
@click.option("--deadline", help="RSVP deadline, ISO 8601")
@click.option("--place", default="", type=Text())
@click.option("--description", default="", type=Text(lines=True))
@transaction
async def events_create(
    uow: UnitOfWork, app: Concierge, title: str, starts: str, ends: str, capacity: int,
    plus_ones: int, kind: str, tiers: tuple[str, ...], segments: tuple[str, ...],
    badges: tuple[str, ...], guests: tuple[str, ...], deadline: str | None, place: str,
    description: str,
) -> None:  # fmt: skip
    """Create an event; prints its id. With no eligibility option, every member may come."""
    named = [(await members.find(uow, ref, app.program)).id for ref in guests]
    event = await events.create(
        uow, app.program, app.clock(), title=title, starts_at=_moment(app, "--starts", starts),
        ends_at=_moment(app, "--ends", ends), capacity=capacity, plus_ones=plus_ones, kind=kind,
        tiers=_names(tiers), segments=_names(segments), badges=_names(badges), guests=named,
        deadline=_moment(app, "--deadline", deadline) if deadline is not None else None,
        place=place, description=description,
    )  # fmt: skip
    click.echo(event.id)


@events_group.command("list")
@transaction
async def events_list(uow: UnitOfWork, app: Concierge) -> None:
    """Every event, soonest first: id, start (store time), seats held, title."""
    for event in await hosting.listing(uow):
        state = " CANCELLED" if event.cancelled_at else ""
        click.echo(
            f"{event.id:>4}  {store_time(app, event.starts_at)}  "
            f"{event.seats_taken:>3}/{event.capacity:<3}  {event.title}{state}"
        )


@events_group.command("show")
@click.argument("event_id", type=Id())
@transaction
async def events_show(uow: UnitOfWork, app: Concierge, event_id: int) -> None:
    """One event: when, where, who may come, seats, answers."""
    sheet = await hosting.sheet(uow, event_id)
    event = sheet.event
    lines = [
        f"{event.title} ({event.kind})" + (" (cancelled)" if event.cancelled_at else ""),
        f"when: {store_time(app, event.starts_at)} – {store_time(app, event.ends_at)} "
        f"({app.program.club.timezone})",
        f"place: {event.place or '—'}",
        f"seats: {event.seats_taken} held of {event.capacity}; "
        f"up to {event.plus_ones} guest(s) each",
        f"deadline: {store_time(app, event.deadline) if event.deadline else 'the start'}",
        f"tiers: {', '.join(event.tiers) or 'any'}; "
        f"segments: {', '.join(event.segments) or 'any'}; "
        f"badges: {', '.join(event.badges) or 'any'}",
        f"guest list: {', '.join(members.member_number(m) for m in sheet.guests) or '—'}",
        "answers: " + (", ".join(f"{n} {s}" for s, n in sheet.answers.items()) or "none yet"),
    ]
    click.echo("\n".join(lines))


@events_group.command("guests")
@click.argument("event_id", type=Id())
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet")
@transaction
async def events_guests(uow: UnitOfWork, app: Concierge, event_id: int, as_csv: bool) -> None:
    """Who answered: member, name, answer, guests, place in line, checked in."""
    guests = await hosting.guest_list(uow, event_id)
    if as_csv:
        click.echo(hosting.guests_csv(guests, app.program.club.zone), nl=False)
        return
    table = hosting.guest_rows(guests, app.program.club.zone)
    for member, name, answer, plus_ones, came in table[1:]:
        click.echo(f"{member}  {answer:<9}  +{plus_ones}  {came or '-':<16}  {name}")


@events_group.command("cancel")
@click.argument("event_id", type=Id())
@transaction
async def events_cancel(uow: UnitOfWork, app: Concierge, event_id: int) -> None:
    """Cancel an event: everyone coming or waiting is told."""
    done = await hosting.cancel(uow, app.program, event_id, app.clock())
    click.echo(f"{done.event.title}: cancelled; {done.queued} of {done.told} members told")


@events_group.command("invite")
@click.argument("event_id", type=Id())
@transaction
async def events_invite(uow: UnitOfWork, app: Concierge, event_id: int) -> None:
    """Invite every eligible member who agreed to hear about events (once each)."""
    invited = await hosting.invite(uow, app.program, event_id, app.clock())
    click.echo(f"{invited.queued} invitations queued, {invited.already} invited before")
    for why, count in sorted(invited.skipped.items()):
        click.echo(f"{count} not invited: {why}")


@events_group.command("check-in")
@click.argument("payload")
@transaction
async def events_check_in(uow: UnitOfWork, app: Concierge, payload: str) -> None:
    """Record attendance from the text the door's scanner reads from a ticket."""
    came = await hosting.check_in(
        uow, app.program, payload, app.clock(), lambda: secrets.token_urlsafe(32)
    )
    number, row = came.number, came.rsvp
    guests = f", with {row.plus_ones} guest(s)" if row.plus_ones else ""
    assert row.checked_in_at is not None  # admitted: now or before
    at = store_time(app, row.checked_in_at)
    click.echo(f"{came.member.name or number} ({number}){guests}: checked in at {at}")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@events_group.command("report")
@click.argument("event_id", type=Id())
@transaction
async def events_report(uow: UnitOfWork, app: Concierge, event_id: int) -> None:
    """RSVP rate, attendance and purchases after the event."""
    found = await hosting.report(uow, app.program, event_id)
    days = app.program.events.conversion_days
    click.echo("\n".join((
        f"invited: {found.invited}; said yes: {found.answered_yes}; declined: {found.declined}",
        f"RSVP rate: {_share(found.rsvp_rate)} (yes / invited)",
        f"attended: {found.attended}; attendance rate: {_share(found.attendance_rate)} "
        "(came / said yes)",
        f"bought within {days} days: {found.bought_after}; conversion: "
        f"{_share(found.conversion)} (buyers / attendees)",
    )))  # fmt: skip


COMMANDS = (events_group,)
