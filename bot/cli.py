"""The `concierge` command: staff tools, the web app, the worker, the demo."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import functools
import io
import json
import logging
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from bot import logs
from bot.bootstrap import Concierge, bootstrap, utc_now
from bot.settings import ConfigError, Settings, load_settings
from handlers.card import render_card
from handlers.history import render_history
from loyalty.booking import BOOKED
from loyalty.consent import Channel, Purpose
from loyalty.dates import EARLIEST, LATEST, OutOfRange, iso_day, moment_in, wall_clock
from loyalty.hours import DAYS, parse_day
from loyalty.ids import INT2_MAX, INT4_MAX, INT8_MAX, parse_id
from loyalty.membercard import verify_ticket
from loyalty.points import InsufficientPoints
from loyalty.text import unstorable
from services import appointments, events, members, occasions, privacy
from services.desk import ERASED, tell_staff
from services.wording import speaker_for
from storage.migrate import behind, upgrade

T = TypeVar("T")


class Id(click.ParamType):
    """An id staff type: ASCII digits within the column's range (loyalty.ids), else a usage
    error before anything reaches the database."""

    name = "id"

    def __init__(self, high: int = INT4_MAX) -> None:
        self.high = high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number = parse_id(str(value), self.high)
        if number is None:
            self.fail(f"{value!r} is not an id (digits 0-9, at most {self.high})", param, ctx)
        return number


class Day(click.ParamType):
    """A day as YYYY-MM-DD (ASCII digits) in the years the club's date arithmetic holds."""

    name = "yyyy-mm-dd"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        day = iso_day(str(value))
        if day is None:
            first, last = EARLIEST.year, LATEST.year - 1
            self.fail(f"{value!r} is not a day of {first} to {last} (YYYY-MM-DD)", param, ctx)
        return day


class Text(click.ParamType):
    """Text staff type, refused when the database could not keep it (loyalty.text): a lone
    surrogate is what an argument in another encoding than UTF-8 becomes."""

    name = "text"

    def __init__(self, lines: bool = False) -> None:
        self.lines = lines

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        problem = unstorable(str(value), self.lines)
        if problem is not None:
            self.fail(problem, param, ctx)
        return str(value)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"concierge: {message}", err=True)
    sys.exit(code)


def _load(database: str | None = None) -> Concierge:
    """Settings, program and database, or a one-line error and exit code 2.

    The clock (and the pauses of pacing) are the real ones unless the caller put others in
    click's root object: `clock`, `sleep`, `monotonic` (tests invoke the command at a fixed
    moment, and never sleep).
    """
    root = click.get_current_context(silent=True)
    given = (root.find_root().obj or {}) if root else {}
    try:
        settings = load_settings()
        if database is not None:
            settings = Settings(**{**settings.model_dump(), "database_url": database})
        app = bootstrap(settings, given.get("clock", utc_now))
        return replace(app, **{k: v for k, v in given.items() if k in ("sleep", "monotonic")})
    except ConfigError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from None


def _run(work: Callable[[Concierge], Awaitable[T]], app: Concierge | None = None) -> T:
    """Run one async piece of work against the database, closing it afterwards."""
    app = app or _load()

    async def main() -> T:
        try:
            return await work(app)
        finally:
            await app.db.close()

    try:
        return asyncio.run(main())
    except (members.MemberError, InsufficientPoints) as exc:
        _fail(str(exc), 1)
        raise AssertionError("unreachable") from None


def _schema_current(app: Concierge) -> None:
    """A long-running process on an old schema would fail later, message by message."""

    async def check() -> str | None:
        try:
            return await behind(app.db)
        finally:
            await app.db.engine.dispose()

    problem = asyncio.run(check())
    if problem is not None:
        _fail(problem)


def _with_member(
    lookup: Callable[[Any, str, Any], Awaitable[Any]],
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]]:
    """Commands on MEMBER: `lookup` finds them, `func(uow, app, member, **options)` runs in
    one unit of work, which is committed."""

    def command(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(member: str, **options: Any) -> Any:
            async def work(app: Concierge) -> Any:
                async with app.db.unit_of_work() as uow:
                    found = await lookup(uow, member, app.program)
                    result = await func(uow, app, found, **options)
                    await uow.commit()
                    return result

            return _run(work)

        return wrapper

    return command


# Acting on a person refuses an erased member ("M00001 was erased on ..."); reading what
# is held shows an erased member's anonymous remainder.
_member_command = _with_member(members.find)
_member_record = _with_member(members.look_up)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """Concierge: the conversational concierge for a jeweller's loyalty club."""
    if not logging.getLogger().handlers:  # as basicConfig: logging set up already is kept
        logs.configure(verbose)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    _run(lambda app: upgrade(app.db, store_zone=app.program.club.timezone))
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT, else 8000.")
def serve(host: str, port: int | None) -> None:
    """Run the web app (webhooks, health check, API docs at /docs)."""
    import uvicorn

    from bot.web import create_app

    app = _load()
    _schema_current(app)
    # no log_config: uvicorn's loggers, the access log too, write through the masking handler
    uvicorn.run(
        create_app(app), host=host, port=port or app.settings.port, log_level="info",
        log_config=None,
    )  # fmt: skip


@main.command()
def worker() -> None:
    """Run the scheduler: settle daily, occasions hourly, send the outbox (one per database)."""
    from bot import outbound
    from scheduler.worker import AnotherWorker, run

    app = _load()
    _schema_current(app)

    async def work() -> None:
        found = outbound.channels(app)
        try:
            await run(app, outbound.sender(app, found.ports(), "worker"))
        finally:
            await found.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(work())
        except AnotherWorker as exc:
            _fail(str(exc), 1)


@main.group("import")
def import_() -> None:
    """Bring data in."""


@import_.command("purchases")
@click.argument("file", type=click.Path(path_type=Path))
def import_purchases(file: Path) -> None:
    """Import purchases from a CSV (order_id, phone, amount, currency, purchased_at, ...)."""
    from bot.importer import UnreadableFile, import_purchases

    size = file.stat().st_size if file.exists() else 0

    def reject(line: int, reason: str) -> None:
        click.echo(f"line {line}: rejected: {reason}", err=True)

    async def work(app: Concierge) -> None:
        with click.progressbar(
            length=size, label="importing", file=sys.stderr, show_eta=True
        ) as bar:
            done = 0

            def progress(position: int) -> None:
                nonlocal done
                bar.update(position - done)
                done = position

            try:
                report = await import_purchases(app, file, reject, progress)
            except UnreadableFile as exc:
                _fail(str(exc), 1)
        click.echo(
            f"created {report.created}, refunded {report.refunded}, "
            f"unchanged {report.unchanged}, rejected {report.rejected}"
        )

    _run(work)


@main.group()
def telegram() -> None:
    """The Telegram bot."""


def _telegram(app: Concierge) -> Any:
    from bot.channels.telegram import telegram_channel

    channel = telegram_channel(app)
    if channel is None:
        _fail("TELEGRAM_BOT_TOKEN: not set (Telegram is off)")
    return channel


@telegram.command("set-webhook")
@click.argument("url")
def telegram_set_webhook(url: str) -> None:
    """Tell Telegram to post updates to URL (ending in /telegram/webhook)."""
    from bot.channels.telegram import ALLOWED_UPDATES

    app = _load()
    channel = _telegram(app)
    secret = app.settings.telegram_webhook_secret
    if secret is None:
        _fail("TELEGRAM_WEBHOOK_SECRET: not set (the webhook would accept anyone)")

    async def work(app: Concierge) -> None:
        await channel.bot.set_webhook(
            url, secret_token=secret.get_secret_value(), allowed_updates=ALLOWED_UPDATES
        )
        await channel.bot.shutdown()

    _run(work, app)
    click.echo(f"webhook set to {url} for {', '.join(ALLOWED_UPDATES)}")


@telegram.command("poll")
def telegram_poll() -> None:
    """Fetch updates by long polling (local use, no public URL); Ctrl-C stops."""
    from bot import outbound
    from bot.channels.telegram import poll

    app = _load()
    if app.settings.telegram_bot_token is None:
        _fail("TELEGRAM_BOT_TOKEN: not set (Telegram is off)")
    found, sending, _ = outbound.wire(app, "poll")
    assert found.telegram is not None

    async def work(app: Concierge) -> None:
        try:
            await poll(found.telegram)  # type: ignore[arg-type]
        finally:
            await sending.release()
            await found.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        _run(work, app)


@main.group("events")
def events_group() -> None:
    """Private previews and trunk shows. Times without an offset are the store's."""


def _names(values: tuple[str, ...]) -> list[str]:
    """`--tiers gold,platinum` or `--tiers gold --tiers platinum`."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _moment(app: Concierge, option: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return moment_in(text, app.program.club.zone)
    except OutOfRange as exc:
        _fail(f"{option}: {exc}", 1)
    except ValueError:
        _fail(f"{option}: not an ISO 8601 date and time, e.g. 2026-12-08T18:30", 1)


def _event_command(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run `func(uow, app, **options)` in one unit of work and commit; an EventError is
    one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(**options: Any) -> Any:
        async def work(app: Concierge) -> Any:
            async with app.db.unit_of_work() as uow:
                try:
                    result = await func(uow, app, **options)
                except events.EventError as exc:
                    _fail(str(exc), 1)
                await uow.commit()
                return result

        return _run(work)

    return wrapper


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
@click.option("--tiers", multiple=True, help="only these tiers (comma-separated)")
@click.option("--segments", multiple=True, help="only these segments (comma-separated)")
@click.option("--badges", multiple=True, help="only holders of these badges (comma-separated)")
@click.option(
    "--guest", "guests", multiple=True, metavar="MEMBER", help="named guest (repeatable)"
)
@click.option("--deadline", help="RSVP deadline, ISO 8601")
@click.option("--place", default="", type=Text())
@click.option("--description", default="", type=Text(lines=True))
@_event_command
async def events_create(uow: Any, app: Concierge, **options: Any) -> None:
    """Create an event; prints its id. With no eligibility option, every member may come."""
    guests = [(await members.find(uow, ref, app.program)).id for ref in options["guests"]]
    event = await events.create(
        uow, app.program, app.clock(), title=options["title"],
        starts_at=_moment(app, "--starts", options["starts"]),
        ends_at=_moment(app, "--ends", options["ends"]), capacity=options["capacity"],
        plus_ones=options["plus_ones"], tiers=_names(options["tiers"]),
        segments=_names(options["segments"]), badges=_names(options["badges"]), guests=guests,
        deadline=_moment(app, "--deadline", options["deadline"]), place=options["place"],
        description=options["description"],
    )  # fmt: skip
    click.echo(event.id)


def _when(app: Concierge, moment: Any) -> str:
    return moment.astimezone(app.program.club.zone).strftime("%Y-%m-%d %H:%M")


@events_group.command("list")
@_event_command
async def events_list(uow: Any, app: Concierge) -> None:
    """Every event, soonest first: id, start (store time), seats held, title."""
    for event in await uow.events.all():
        state = " CANCELLED" if event.cancelled_at else ""
        click.echo(
            f"{event.id:>4}  {_when(app, event.starts_at)}  "
            f"{event.seats_taken:>3}/{event.capacity:<3}  {event.title}{state}"
        )


@events_group.command("show")
@click.argument("event_id", type=Id())
@_event_command
async def events_show(uow: Any, app: Concierge, event_id: int) -> None:
    """One event: when, where, who may come, seats, answers."""
    event = await uow.events.get(event_id)
    if event is None:
        raise events.EventError(f"no event {event_id}")
    guests = await uow.members.many(sorted(await uow.events.guests(event.id)))
    rows = await uow.rsvps.for_event(event.id)
    counts = {status: sum(r.status == status for r in rows) for status in {r.status for r in rows}}
    lines = [
        f"{event.title}" + (" (cancelled)" if event.cancelled_at else ""),
        f"when: {_when(app, event.starts_at)} – {_when(app, event.ends_at)} "
        f"({app.program.club.timezone})",
        f"place: {event.place or '—'}",
        f"seats: {event.seats_taken} held of {event.capacity}; "
        f"up to {event.plus_ones} guest(s) each",
        f"deadline: {_when(app, event.deadline) if event.deadline else 'the start'}",
        f"tiers: {', '.join(event.tiers) or 'any'}; "
        f"segments: {', '.join(event.segments) or 'any'}; "
        f"badges: {', '.join(event.badges) or 'any'}",
        f"guest list: {', '.join(members.member_number(m) for m in guests) or '—'}",
        "answers: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet"),
    ]
    click.echo("\n".join(lines))


@events_group.command("guests")
@click.argument("event_id", type=Id())
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet")
@_event_command
async def events_guests(uow: Any, app: Concierge, event_id: int, as_csv: bool) -> None:
    """Who answered: member, name, answer, guests, place in line, checked in."""
    if await uow.events.get(event_id) is None:
        raise events.EventError(f"no event {event_id}")
    rows = await uow.rsvps.for_event(event_id)
    people = await uow.members.many([r.member_id for r in rows])
    table = [("member", "name", "answer", "guests", "checked_in")]
    for row in sorted(rows, key=lambda r: (r.status, r.waiting_since or r.answered_at)):
        person = people.get(row.member_id)
        table.append((
            members.member_number(row.member_id), (person.name if person else None) or "",
            row.status, str(row.plus_ones),
            _when(app, row.checked_in_at) if row.checked_in_at else "",
        ))  # fmt: skip
    if as_csv:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(table)
        click.echo(out.getvalue(), nl=False)
        return
    for member, name, answer, guests, came in table[1:]:
        click.echo(f"{member}  {answer:<9}  +{guests}  {came or '-':<16}  {name}")


@events_group.command("cancel")
@click.argument("event_id", type=Id())
@_event_command
async def events_cancel(uow: Any, app: Concierge, event_id: int) -> None:
    """Cancel an event: everyone coming or waiting is told."""
    event, told = await events.cancel(uow, event_id, app.clock())
    queued = await events.notify(uow, app.program, app.clock(), events.EVENT_CANCELLED, told)
    click.echo(f"{event.title}: cancelled; {queued} of {len(told)} members told")


@events_group.command("invite")
@click.argument("event_id", type=Id())
@_event_command
async def events_invite(uow: Any, app: Concierge, event_id: int) -> None:
    """Invite every eligible member who agreed to hear about events (once each)."""
    invited = await events.invite(uow, app.program, event_id, app.clock())
    click.echo(f"{invited.queued} invitations queued, {invited.already} invited before")
    for why, count in sorted(invited.skipped.items()):
        click.echo(f"{count} not invited: {why}")


@events_group.command("check-in")
@click.argument("payload")
@_event_command
async def events_check_in(uow: Any, app: Concierge, payload: str) -> None:
    """Record attendance from the text the door's scanner reads from a ticket."""
    key = await members.qr_key(uow, lambda: secrets.token_urlsafe(32))
    found = verify_ticket(payload, key)
    if found is None:
        raise events.EventError("not a ticket of this club (forged or misread)")
    event_id, number = found
    member = await members.find(uow, number, app.program)
    row = await events.check_in(uow, app.program, event_id, member, app.clock())
    guests = f", with {row.plus_ones} guest(s)" if row.plus_ones else ""
    at = _when(app, row.checked_in_at)
    click.echo(f"{member.name or number} ({number}){guests}: checked in at {at}")


@events_group.command("report")
@click.argument("event_id", type=Id())
@_event_command
async def events_report(uow: Any, app: Concierge, event_id: int) -> None:
    """RSVP rate, attendance and purchases after the event."""
    found = await events.report(uow, app.program, event_id)

    def share(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    days = app.program.events.conversion_days
    click.echo("\n".join((
        f"invited: {found.invited}; said yes: {found.answered_yes}; declined: {found.declined}",
        f"RSVP rate: {share(found.rsvp_rate)} (yes / invited)",
        f"attended: {found.attended}; attendance rate: {share(found.attendance_rate)} "
        "(came / said yes)",
        f"bought within {days} days: {found.bought_after}; conversion: "
        f"{share(found.conversion)} (buyers / attendees)",
    )))  # fmt: skip


@main.group("staff")
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
    name = " ".join(name.split())
    if not name or len(name) > 80:
        _fail("--name: give a name of 1 to 80 characters")

    async def work(app: Concierge) -> None:
        async with app.db.unit_of_work() as uow:
            await uow.staff.add(telegram_user_id, name, role, app.clock())
            await uow.commit()

    _run(work)
    click.echo(f"{name} ({role}) may now act in the staff group")


@staff_group.command("list")
def staff_list() -> None:
    """The registered staff."""

    async def work(app: Concierge) -> list[tuple[int, str, str]]:
        async with app.db.unit_of_work() as uow:
            return [(s.telegram_user_id, s.name, s.role) for s in await uow.staff.all()]

    rows = _run(work)
    for user_id, name, role in rows:
        click.echo(f"{user_id:>12}  {role:<9}  {name}")
    if not rows:
        click.echo("no staff registered: concierge staff add TELEGRAM_USER_ID --name NAME")


@staff_group.command("remove")
@click.argument("telegram_user_id", type=Id(INT8_MAX))
def staff_remove(telegram_user_id: int) -> None:
    """Stop someone acting in the staff group (what they wrote stays in the transcripts)."""

    async def work(app: Concierge) -> str | None:
        async with app.db.unit_of_work() as uow:
            removed = await uow.staff.remove(telegram_user_id, app.clock())
            await uow.commit()
            return removed.name if removed else None

    name = _run(work)
    if name is None:
        _fail(f"no staff member with Telegram id {telegram_user_id}", 1)
    click.echo(f"{name} may no longer act in the staff group")


@staff_group.command("hours")
@click.argument("staff")
@click.argument("day", type=click.Choice(DAYS))
@click.argument("start", required=False)
@click.argument("end", required=False)
def staff_hours(staff: str, day: str, start: str | None, end: str | None) -> None:
    """When STAFF (Telegram id or name) works on DAY, in the store's time: `mon 10:00 18:00`;
    without times, not that day."""
    try:
        opening = parse_day(f"{start}-{end}")[0] if start and end else None
    except ValueError as exc:
        _fail(f"hours: {exc}", 1)
        raise AssertionError("unreachable") from None
    if (start is None) != (end is None):
        _fail("give both times (FROM TO), or neither to take the day off", 1)

    async def work(app: Concierge) -> str | None:
        async with app.db.unit_of_work() as uow:
            found = [
                s for s in await uow.staff.all()
                if staff in (str(s.telegram_user_id), s.name) or s.name.split(" ")[0] == staff
            ]  # fmt: skip
            if len(found) != 1:
                return None
            await uow.schedules.set_hours(
                found[0].id, DAYS.index(day), opening.start if opening else None,
                opening.end if opening else None,
            )  # fmt: skip
            await uow.commit()
            return found[0].name

    name = _run(work)
    if name is None:
        _fail(f"no single staff member {staff!r} (see concierge staff list)", 1)
    click.echo(f"{name}: {day} {f'{start}-{end}' if opening else 'off'}")


@main.group("closures")
def closures_group() -> None:
    """Days the store is closed (holidays): no appointment can be booked on them."""


@closures_group.command("add")
@click.argument("day", type=Day())
@click.option("--reason", default="", type=Text())
def closures_add(day: date, reason: str) -> None:
    async def work(app: Concierge) -> None:
        async with app.db.unit_of_work() as uow:
            await uow.schedules.close(day, reason)
            await uow.commit()

    _run(work)
    click.echo(f"closed on {day.isoformat()}")


@closures_group.command("list")
def closures_list() -> None:
    async def work(app: Concierge) -> list[tuple[str, str]]:
        async with app.db.unit_of_work() as uow:
            return [(c.day.isoformat(), c.reason) for c in await uow.schedules.closures()]

    for day, reason in _run(work):
        click.echo(f"{day}  {reason}".rstrip())


@closures_group.command("remove")
@click.argument("day", type=Day())
def closures_remove(day: date) -> None:
    async def work(app: Concierge) -> bool:
        async with app.db.unit_of_work() as uow:
            removed = await uow.schedules.reopen(day)
            await uow.commit()
            return removed

    if not _run(work):
        _fail(f"no closure on {day.isoformat()}", 1)
    click.echo(f"open on {day.isoformat()}")


@main.group("appointments")
def appointments_group() -> None:
    """Concierge appointments."""


@appointments_group.command("list")
@click.option("--day", type=Day(), help="one day (default: the next 7)")
def appointments_list(day: date | None) -> None:
    """Time (store), service, member, staff and status."""

    async def work(app: Concierge) -> list[str]:
        zone = app.program.club.zone
        first = day or app.clock().astimezone(zone).date()
        start = wall_clock(first, dtime(0), zone)
        end = wall_clock(first + timedelta(days=1 if day else 7), dtime(0), zone)
        async with app.db.unit_of_work() as uow:
            rows = await uow.appointments.between(start, end)
            people = await uow.members.many([r.member_id for r in rows])
            staff = {s.id: s.name for s in await uow.staff.all()}
        lines = []
        for row in rows:
            person = people.get(row.member_id)
            lines.append(
                f"{row.id:>4}  {_when(app, row.starts_at)}  {row.service:<20}  "
                f"{members.member_number(row.member_id)} {(person.name if person else '') or ''}"
                f"  {staff.get(row.staff_id, '?')}  {row.status}"
            )
        return lines

    for line in _run(work) or ["no appointments"]:
        click.echo(line)


@appointments_group.command("no-show")
@click.argument("appointment_id", type=Id())
def appointments_no_show(appointment_id: int) -> None:
    """The member did not come (kept for the club's figures)."""

    async def work(app: Concierge) -> bool:
        async with app.db.unit_of_work() as uow:
            row = await uow.appointments.get(appointment_id)
            if row is None or row.status != BOOKED:
                return False
            await appointments.cancel(uow, row, app.clock(), status=appointments.NO_SHOW)
            await uow.commit()
            return True

    if not _run(work):
        _fail(f"no booked appointment {appointment_id}", 1)
    click.echo(f"appointment {appointment_id}: no-show recorded")


@main.group("members")
def members_group() -> None:
    """Staff tools for members: MEMBER is a member number (M00042) or a phone number."""


@members_group.command("add")
@click.argument("phone")
@click.option("--name", type=Text())
@click.option("--email", type=Text())
@click.option("--birthday", help="MM-DD or YYYY-MM-DD")
@click.option("--timezone", help="e.g. Europe/Paris; default: the store's")
@click.option("--locale", help="one of the club's languages")
@click.option(
    "--anniversary",
    "anniversaries",
    multiple=True,
    metavar="KIND=YYYY-MM-DD",
    help="a date the member declared, e.g. wedding=2015-06-20 (repeatable)",
)
def members_add(phone: str, anniversaries: tuple[str, ...], **profile: Any) -> None:
    """Enrol a member."""

    async def work(app: Concierge) -> str:
        async with app.db.unit_of_work() as uow:
            member = await members.add(uow, app.program, app.clock(), phone, **profile)
            for anniversary in anniversaries:
                kind, _, on = anniversary.partition("=")
                await members.add_anniversary(uow, member, kind, on, app.program)
            await uow.commit()
            return members.member_number(member.id)

    click.echo(f"member {_run(work)} added")


@members_group.command("show")
@click.argument("member")
@_member_record
async def members_show(uow: Any, app: Concierge, member: Any) -> None:
    """The staff view of a member's card (hidden tier and segment included); of an erased
    member, what is left for the books."""
    if member.erased_at is not None:
        left = await privacy.remainder(uow, member, app.program)
        click.echo(
            f"{left.number} · erased on {left.erased_on.isoformat()} · {left.points:,} points "
            "(ledger kept, anonymous, for the books)"
        )
        return
    card = await members.card(uow, member, app.clock(), app.program)
    speaker = speaker_for(member.locale, member.timezone, app.program)
    click.echo(render_card(card, app.program, speaker, staff=True))


@members_group.command("consent")
@click.argument("member")
@click.argument("purpose", type=click.Choice([p.value for p in Purpose]))
@click.argument("channel", type=click.Choice([c.value for c in Channel]))
@click.option("--grant/--revoke", required=True)
@click.option(
    "--wording",
    default="recorded by staff",
    show_default=True,
    type=Text(lines=True),
    help="What the member was told or agreed to.",
)
@_member_command
async def members_consent(
    uow: Any, app: Concierge, member: Any, purpose: str, channel: str, grant: bool, wording: str
) -> None:
    """Grant or revoke one purpose on one channel (recorded with its source)."""
    changed = await members.set_consent(
        uow, member, Purpose(purpose), Channel(channel), grant, app.clock(), "staff-cli", wording
    )
    state = "granted" if grant else "revoked"
    verb = "is now" if changed else "was already"
    click.echo(f"{purpose} on {channel} {verb} {state}")


@members_group.command("redeem")
@click.argument("member")
@click.argument("points", type=click.IntRange(1, INT4_MAX))
@click.option(
    "--note", default="", type=Text(lines=True), help="What the points were exchanged for."
)
@_member_command
async def members_redeem(uow: Any, app: Concierge, member: Any, points: int, note: str) -> None:
    """Take points from a member's balance (never below zero)."""
    left = await members.redeem(
        uow, member, points, str(uuid.uuid4()), note, app.clock(), app.program
    )
    click.echo(f"redeemed {points} points; balance {left}")


@members_group.command("adjust", context_settings={"ignore_unknown_options": True})
@click.argument("member")
@click.argument("points", type=click.IntRange(-INT4_MAX, INT4_MAX))
@click.option(
    "--note", required=True, type=Text(lines=True), help="Why, in words the member can read."
)
@_member_command
async def members_adjust(uow: Any, app: Concierge, member: Any, points: int, note: str) -> None:
    """Correct a balance either way (goodwill, a mistake); never below zero."""
    if points == 0:
        raise members.MemberError("an adjustment takes a non-zero number of points")
    left = await members.adjust(
        uow, member, points, str(uuid.uuid4()), note, app.clock(), app.program
    )
    click.echo(f"adjusted by {points:+d} points; balance {left}")


@members_group.command("history")
@click.argument("member")
@click.option("--last", type=click.IntRange(1, 500), default=20, show_default=True)
@_member_command
async def members_history(uow: Any, app: Concierge, member: Any, last: int) -> None:
    """The member's latest ledger entries with their reasons, as the member reads them."""
    speaker = speaker_for(member.locale, member.timezone, app.program)
    for line in render_history(await uow.ledger.latest(member.id, last), speaker):
        click.echo(line)


@members_group.command("tier")
@click.argument("member")
@click.argument("tier", required=False)
@click.option("--clear", is_flag=True, help="Back to the tier the member has earned.")
@_member_command
async def members_tier(
    uow: Any, app: Concierge, member: Any, tier: str | None, clear: bool
) -> None:
    """Invite a member into an invite-only tier (e.g. ambassador), or --clear it."""
    if (tier is None) == (not clear):
        raise members.MemberError("give an invite-only TIER, or --clear")
    state = await members.set_invited_tier(uow, member, tier, app.clock(), app.program)
    click.echo(f"{members.member_number(member.id)} is now in tier {state.tier}")


@members_group.command("invite")
@click.argument("member")
@_member_command
async def members_invite(uow: Any, app: Concierge, member: Any) -> None:
    """Print a single-use Telegram link (valid 14 days) that links the member's account."""
    import secrets

    from bot.channels.telegram import telegram_channel

    telegram = telegram_channel(app)
    if telegram is None:
        raise members.MemberError("Telegram is off: set TELEGRAM_BOT_TOKEN")
    me = await telegram.bot.get_me()
    token = secrets.token_urlsafe(24)
    expires = await members.invite(uow, member, token, app.clock())
    click.echo(f"https://t.me/{me.username}?start={token}")
    click.echo(f"valid until {expires:%Y-%m-%d %H:%M} UTC, once", err=True)


@members_group.command("verify-qr")
@click.argument("payload")
def members_verify_qr(payload: str) -> None:
    """Check the text a till scanner read from a member's QR code."""
    import secrets

    from loyalty.membercard import verify

    async def work(app: Concierge) -> str:
        async with app.db.unit_of_work() as uow:
            key = await members.qr_key(uow, lambda: secrets.token_urlsafe(32))
            number = verify(payload, key)
            if number is None:
                raise members.MemberError("not a genuine member card of this club")
            member = await members.find(uow, number, app.program)
            card = await members.card(uow, member, app.clock(), app.program)
            await uow.commit()
        tier = app.program.tiers.level(card.tier.tier).name[app.program.club.default_language]
        return f"genuine: {number} {member.name or ''} · {tier} · {card.points} points"

    click.echo(_run(work))


@members_group.command("export")
@click.argument("member")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file.")
@_member_record
async def members_export(uow: Any, app: Concierge, member: Any, out: Path | None) -> None:
    """Everything held about a member, as JSON (of an erased member: what is left)."""
    text = json.dumps(await privacy.export(uow, member), indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"written to {out}", err=True)


@members_group.command("erase")
@click.argument("member")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
def members_erase(member: str, yes: bool) -> None:
    """Remove a member's personal data; anonymous ledger sums stay for the books.

    Bookings to come are cancelled (staff told in their group, by member number only),
    seats on events to come go to the waitlist, and the member's topics in the staff group
    are deleted at once.
    """
    if not yes:
        _fail("erasing cannot be undone: add --yes to confirm", 1)

    async def work(app: Concierge) -> list[str]:
        settings = app.settings
        group = None not in (settings.telegram_staff_chat_id, settings.telegram_bot_token)
        async with app.db.unit_of_work() as uow:
            found = await members.find(uow, member, app.program)
            now = app.clock()
            erasure = await privacy.erase(uow, app.program, found, now)
            posts = []
            for booking in erasure.cancelled if group else ():
                posts += await tell_staff(uow, app.program, now, booking, found, ERASED)
            await uow.commit()
        removed = ", ".join(
            f"{count} {table.replace('_', ' ')}" for table, count in erasure.removed.items()
            if count
        )  # fmt: skip
        lines = [
            f"{members.member_number(found.id)}: erased name, phone, email, birthday, language, "
            f"zone; removed {removed or 'nothing else'}; cancelled {len(erasure.cancelled)} "
            f"booking(s) to come, gave back {erasure.released} place(s) on events to come; the "
            "ledger and purchase amounts stay, anonymous, for the books"
        ]
        if not await app.db.scrub():
            lines.append(
                "the database's write-ahead log is in use: it may keep older pages until every "
                "process using the database has closed it (restart the web app and the worker)"
            )
        if group:
            lines += await _to_staff_group(app, erasure.deletions + posts)
        elif erasure.deletions:
            lines.append(
                f"staff group off here: {len(erasure.deletions)} topic(s) queued for deletion, "
                "done when the web app runs with TELEGRAM_STAFF_CHAT_ID"
            )
        return lines

    for line in _run(work):
        click.echo(line)


async def _to_staff_group(app: Concierge, row_ids: list[int]) -> list[str]:
    """An erasure's staff-group posts sent now (topics deleted, cancellations posted); what
    Telegram does not take now stays queued, and the lines say so."""
    from bot import outbound
    from loyalty.ports import Failed, Sent
    from services.handoffs import DELETE

    found = outbound.channels(app)
    assert found.desk is not None  # the staff group is on
    sending = outbound.sender(app, {found.desk.name: found.desk}, "erase")
    try:
        outcomes = await sending.send_these(row_ids)
        async with app.db.unit_of_work() as uow:
            kinds = {row_id: (await uow.outbox.get(row_id)) for row_id in outcomes}
    finally:
        await found.aclose()
    deleting = {row_id for row_id, row in kinds.items() if row is not None and row.kind == DELETE}
    sent = {row_id for row_id, outcome in outcomes.items() if isinstance(outcome, Sent)}
    deleted = len(sent & deleting)
    lines = [f"staff group: {deleted} topic(s) deleted, {len(sent) - deleted} post(s) sent"]
    for row_id, outcome in outcomes.items():
        what = "a topic's deletion" if row_id in deleting else "a post"
        if isinstance(outcome, Failed):
            lines.append(f"staff group: Telegram refused {what} ({outcome.reason})")
        elif not isinstance(outcome, Sent):
            lines.append(
                f"staff group: Telegram did not take {what} now "
                f"({getattr(outcome, 'reason', '')}): it stays queued and goes with the "
                "group's next posts"
            )
    return lines


@main.command()
@click.option("--database", default="demo.db", show_default=True, help="SQLite file to seed.")
def demo(database: str) -> None:
    """Seed the demo club into a local SQLite file and show a member's card."""
    from bot.demo import seed

    app = _load(f"sqlite+aiosqlite:///{Path(database).resolve()}")

    async def work(app: Concierge) -> str:
        await upgrade(app.db, store_zone=app.program.club.timezone)
        return await seed(app)

    click.echo(_run(work, app))


@main.command()
@click.option("--demo", "demo_club", is_flag=True, help="Seed the demo club into demo.db first.")
@click.option("--as", "phone", help="Chat as the member with this phone number.")
def chat(demo_club: bool, phone: str | None) -> None:
    """Talk to the concierge in the terminal (numbers pick the options; /quit leaves)."""
    from bot import outbound
    from bot.channels.console import QUIT
    from bot.demo import DEMO_PHONE, seed

    app = _load(f"sqlite+aiosqlite:///{Path('demo.db').resolve()}" if demo_club else None)
    if demo_club:
        phone = phone or DEMO_PHONE

    async def work(app: Concierge) -> None:
        if demo_club:
            await upgrade(app.db, store_zone=app.program.club.timezone)
            await seed(app)
        address = "console"
        if phone:
            async with app.db.unit_of_work() as uow:
                member = await members.find(uow, phone, app.program)
                address = f"console:{member.phone}"
                await uow.identities.link(member.id, "console", address, None, app.clock())
                await uow.commit()
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

    _run(work, app)


@main.group("occasions")
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
def occasions_preview(day: date | None) -> None:
    """A dry run: who would be written to on DATE (in their own zone), and who not, why."""

    async def work(app: Concierge) -> None:
        async with app.db.unit_of_work() as uow:
            planned = await occasions.plan(uow, app.program, app.clock(), day)
        for p in planned:
            click.echo(_planned_line(p, app.program.club.zone))
        going = sum(p.skip is None for p in planned)
        click.echo(f"{going} to send, {len(planned) - going} not")

    _run(work)


@occasions_group.command("run")
@click.option("--date", "day", type=Day(), help="Default: today.")
def occasions_run(day: date | None) -> None:
    """Queue the occasions of DATE (in each member's zone); running it again adds nothing."""

    async def work(app: Concierge) -> None:
        async with app.db.unit_of_work() as uow:
            planned, added = await occasions.scan(uow, app.program, app.clock(), day)
        skipped = sum(p.skip is not None for p in planned)
        click.echo(f"queued {added}, {skipped} not sent (see `occasions preview`)")

    _run(work)


@main.group("outbox")
def outbox_group() -> None:
    """Messages waiting to go, gone, or stuck: see them, send one again, or cancel it."""


@outbox_group.command("list")
@click.option(
    "--status", help="Only this status (pending, uncertain, awaiting_template, dead, failed...)."
)
@click.option("--last", type=click.IntRange(1, 1000), default=50, show_default=True)
def outbox_list(status: str | None, last: int) -> None:
    """The newest messages: id, status, channel, purpose, kind, due time, why it may go
    (consent, or the member's request), last error."""

    async def work(app: Concierge) -> None:
        async with app.db.unit_of_work() as uow:
            rows = await uow.outbox.latest(last, status)
        for row in rows:
            due = f"{row.due_at:%Y-%m-%d %H:%M}Z" if row.due_at else "now"
            basis = f"  ({row.basis})" if row.basis else ""
            error = "".join(f"  {part}" for part in (row.error_code, row.last_error) if part)
            click.echo(
                f"{row.id:>7}  {row.status:<17} {row.channel:<9} {row.purpose or 'reply':<11} "
                f"{row.kind:<26} due {due}{basis}{error}"
            )

    _run(work)


def _decide(row_id: int, status: str, done: str) -> None:
    async def work(app: Concierge) -> None:
        async with app.db.unit_of_work() as uow:
            row = await uow.outbox.decide(row_id, status, app.clock())
            await uow.commit()
        if row is None:
            _fail(f"message {row_id}: no such message, or it cannot change now", 1)
        click.echo(f"message {row_id}: {done}")

    _run(work)


@outbox_group.command("retry")
@click.argument("row_id", metavar="ID", type=Id(INT8_MAX))
def outbox_retry(row_id: int) -> None:
    """Send a message again (uncertain, dead, failed, cancelled): staff decided it should go."""
    _decide(row_id, "pending", "will be sent again")


@outbox_group.command("cancel")
@click.argument("row_id", metavar="ID", type=Id(INT8_MAX))
def outbox_cancel(row_id: int) -> None:
    """Never send this message."""
    _decide(row_id, "cancelled", "cancelled")


@outbox_group.command("drain")
def outbox_drain() -> None:
    """Send what is due now (consent, quiet hours and the cap checked again), then exit."""
    from bot import outbound

    async def work(app: Concierge) -> None:
        found = outbound.channels(app)
        sending = outbound.sender(app, found.ports(), "drain")
        try:
            report = await sending.drain()
        finally:
            await sending.release()
            await found.aclose()
        click.echo(
            f"sent {report.sent}, deferred {report.deferred}, cancelled {report.cancelled}, "
            f"to retry {report.retried}, failed {report.failed}, waiting for a template "
            f"{report.awaiting_template}; leases expired: "
            f"{report.taken_back} taken back, {report.uncertain} uncertain"
        )

    _run(work)
