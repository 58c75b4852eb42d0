"""Concierge appointments in the chat: choose a service, a day and a time (or write them), add
a note, confirm; then change the time (confirmed before it moves) or cancel from the same
conversation. Staff are told in their group."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from handlers.appointment_times import (
    WHEN,
    Target,
    argument,
    choices,
    day_chosen,
    days,
    epoch,
    moment_of,
    to_book,
    to_move,
    typed,
)
from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import link_first, with_menu
from handlers.conversation.router import Router
from handlers.rewards import returned
from loyalty.booking import Slot
from loyalty.dates import iso_day
from loyalty.ids import parse_id
from loyalty.records import Appointment, Member
from services import appointments, desk
from services.appointments import BookingError
from services.calendars import for_appointment
from services.wording import service_name

router = Router()
NOTE = "appt:note"  # waiting for the note (or a photo) before confirming


@router.command("appointments", "book")
@router.action("appts")
@router.intent(
    lambda _: _(
        "appointment, appointments, book, booking, consultation, resize, resizing, "
        "meeting, reservation, my appointments"
    )
)
async def overview(turn: Turn) -> list[Reply]:
    """The member's bookings to come, then the services they may book, each told apart."""
    if turn.member is None:
        return link_first(turn)
    _ = turn._
    tier = await appointments.tier_of(turn.uow, turn.member, turn.now, turn.program)
    booked = await appointments.upcoming(turn.uow, turn.member.id, turn.now)
    lines = [_("Your appointments:")] if booked else []
    rows = []
    for booking in booked:
        name = service_name(turn.program, booking.service, turn.speaker)
        when = turn.speaker.day_and_time(booking.starts_at)
        lines.append(f"• {name} — {when}")
        rows.append(
            (Button(_("{when} · {service}").format(when=when, service=name), f"apt:{booking.id}"),)
        )
    lines.append(_("What would you like to book?"))
    for key in appointments.bookable(turn.program, tier):
        name = service_name(turn.program, key, turn.speaker)
        rows.append((Button(_("Book: {service}").format(service=name), f"svc:{key}"),))
    rows.append((Button(_("Menu"), "menu"),))
    return [Reply("\n".join(lines), tuple(rows))]


@router.action("svc")
async def choose_day(turn: Turn) -> list[Reply] | None:
    """The days a service is free ("svc:key", or "svc:key:YYYY-MM-DD" for later ones)."""
    key = argument(turn, 1)
    if turn.member is None or key not in turn.program.services:
        return None
    text = turn._("Which day would suit you for {service}?").format(
        service=service_name(turn.program, key, turn.speaker)
    )
    return [await days(turn, to_book(key), text, iso_day(argument(turn, 2)))]


@router.action("day")
async def choose_time(turn: Turn) -> list[Reply] | None:
    """The free times of a service on a day ("day:key:YYYY-MM-DD")."""
    key = argument(turn, 1)
    if turn.member is None or key not in turn.program.services:
        return None
    return [await day_chosen(turn, to_book(key))]


@router.action("slot")
async def chosen(turn: Turn) -> list[Reply] | None:
    start, key = moment_of(argument(turn, 2)), argument(turn, 1)
    if turn.member is None or start is None or key not in turn.program.services:
        return None
    return _ask_note(turn, key, start)


def _ask_note(turn: Turn, key: str, start: datetime) -> list[Reply]:
    """The time chosen: a note next (one given already is kept, and confirmed again)."""
    data = turn.state.data
    if turn.state.name == NOTE and "note" in data:
        turn.goto(NOTE, service=key, start=epoch(start))
        return _confirmation(turn, str(data["note"]), str(data["photo"]) or None)
    turn.goto(NOTE, service=key, start=epoch(start))
    _ = turn._
    text = _("{service}, {when} (your time).").format(
        service=service_name(turn.program, key, turn.speaker),
        when=turn.speaker.day_and_time(start),
    )
    text += "\n" + _(
        "Would you like to add a note for us: a ring size, the piece you will bring, or a "
        "photo? Write it here, or:"
    )
    return [Reply(text, ((Button(_("No note"), "note:skip"),), (Button(_("Cancel"), "menu"),)))]


@router.state(WHEN)
async def written(turn: Turn) -> list[Reply] | None:
    """A day or time written while choosing one: for a booking, or a booking's new time."""
    data = turn.state.data
    target: Target | None = None
    if data.get("target") == "svc" and str(data.get("arg")) in turn.program.services:
        target = to_book(str(data["arg"]))
    elif data.get("target") == "mv":
        booking = await _mine(turn, str(data.get("arg")))
        target = to_move(booking) if booking is not None else None
    if turn.member is None or target is None:
        return None
    found = await typed(turn, target)
    if isinstance(found, Slot):
        if target.booking is not None:
            return _ask_move(turn, target.booking, found.start)
        return _ask_note(turn, target.service, found.start)
    return [found] if found is not None else None


@router.state(NOTE)
async def note_written(turn: Turn) -> list[Reply]:
    """The note; a day and time written here is a new time, never the note."""
    key = str(turn.state.data["service"])
    if turn.inbound.text and key in turn.program.services:
        found = await typed(turn, to_book(key))
        if isinstance(found, Slot):
            return _ask_note(turn, key, found.start)
        if found is not None:
            return [found]
    return _confirmation(turn, (turn.inbound.text or "").strip()[:1000], turn.inbound.photo)


@router.back(NOTE)
async def back_to_times(turn: Turn) -> list[Reply] | None:
    """ "back" at the note: the free times of that day again."""
    start = moment_of(str(turn.state.data.get("start", "")))
    day = start.astimezone(turn.speaker.zone).date().isoformat() if start else ""
    turn.inbound = replace(turn.inbound, action=f"day:{turn.state.data.get('service')}:{day}")
    turn.done()
    return await choose_time(turn)


@router.action("note")
async def no_note(turn: Turn) -> list[Reply] | None:
    if turn.state.name != NOTE:
        return None
    return _confirmation(turn, "", None)


def _confirmation(turn: Turn, note: str, photo: str | None) -> list[Reply]:
    _ = turn._
    data = turn.state.data
    turn.goto(NOTE, **{**data, "note": note, "photo": photo or ""})  # a new note replaces
    start = moment_of(str(data["start"]))
    assert start is not None
    lines = [
        _("{service}, {when} (your time).").format(
            service=service_name(turn.program, str(data["service"]), turn.speaker),
            when=turn.speaker.day_and_time(start),
        )
    ]
    if note:
        lines.append(_("Your note: {note}").format(note=note))
    if photo:
        lines.append(_("With your photo."))
    buttons = (
        (Button(_("Confirm"), "confirm"),),
        (Button(_("Another time"), f"svc:{data['service']}"), Button(_("Cancel"), "menu")),
    )
    return [Reply("\n".join(lines), buttons)]


@router.action("confirm")
async def confirm(turn: Turn) -> list[Reply] | None:
    if turn.member is None or turn.state.name != NOTE or "note" not in turn.state.data:
        return [with_menu(turn, turn._("That button is no longer valid. Here is the menu again."))]
    data = turn.state.data
    key, start = str(data["service"]), moment_of(str(data["start"]))
    assert start is not None
    try:
        booking = await appointments.book(
            turn.uow, turn.program, turn.member, key, start, turn.now, str(data["note"]),
            str(data["photo"]) or None, channel=turn.consent_channel,
        )  # fmt: skip
    except BookingError as error:
        return [refused(turn, error, to_book(key))]
    turn.done()
    await tell_staff(turn, booking, turn.member, "new")
    return await booked(turn, booking)


def refused(turn: Turn, error: BookingError, target: Target) -> Reply:
    _ = turn._
    if error.code == appointments.TAKEN:
        text = _("That time was just taken. Here are the next free times:")
        return choices(turn, target, text, error.alternatives)
    return with_menu(turn, _("This is not something you can book. Here is the menu again."))


async def booked(turn: Turn, booking: Appointment) -> list[Reply]:
    _ = turn._
    text = _("Booked: {service}, {when}. We look forward to seeing you.").format(
        service=service_name(turn.program, booking.service, turn.speaker),
        when=turn.speaker.day_and_time(booking.starts_at),
    )
    calendar = await for_appointment(turn.uow, booking, turn.program, turn.speaker.language)
    return [Reply(text, calendar=calendar), with_menu(turn, _("Anything else?"))]


async def _mine(turn: Turn, ref: str | None = None) -> Appointment | None:
    """The booking `ref` or the button (`prefix:<id>:...`) names, the member's own, still
    booked and to come."""
    booking_id = parse_id(argument(turn, 1) if ref is None else ref)
    if turn.member is None or booking_id is None:
        return None
    booking = await appointments.of_member(turn.uow, turn.member.id, booking_id)
    return booking if booking is not None and booking.starts_at > turn.now else None


def _gone(turn: Turn) -> list[Reply]:
    return [with_menu(turn, turn._("This appointment is no longer booked."))]


@router.action("apt")
async def show(turn: Turn) -> list[Reply] | None:
    booking = await _mine(turn)
    if booking is None:
        return _gone(turn)
    _ = turn._
    lines = [f"{service_name(turn.program, booking.service, turn.speaker)} — "
             f"{turn.speaker.day_and_time(booking.starts_at)}"]  # fmt: skip
    if booking.note:
        lines.append(_("Your note: {note}").format(note=booking.note))
    buttons = (
        (Button(_("Change the time"), f"mv:{booking.id}"),),
        (Button(_("Cancel it"), f"cx:{booking.id}"), Button(_("Menu"), "menu")),
    )
    return [Reply("\n".join(lines), buttons)]


@router.action("mv")
async def new_day(turn: Turn) -> list[Reply] | None:
    """The days free for a booking's new time ("mv:id", or "mv:id:YYYY-MM-DD" for later)."""
    booking = await _mine(turn)
    if booking is None:
        return _gone(turn)
    text = turn._("Your appointment is on {when}. Which day would suit you instead?").format(
        when=turn.speaker.day_and_time(booking.starts_at)
    )
    return [await days(turn, to_move(booking), text, iso_day(argument(turn, 2)))]


@router.action("mvd")
async def new_time(turn: Turn) -> list[Reply] | None:
    """The free times of a day for a booking's new time ("mvd:id:YYYY-MM-DD")."""
    booking = await _mine(turn)
    return [await day_chosen(turn, to_move(booking))] if booking else _gone(turn)


@router.action("to")
async def move_asked(turn: Turn) -> list[Reply] | None:
    """A new time chosen ("to:id:time"): asked to confirm before the booking moves."""
    booking, start = await _mine(turn), moment_of(argument(turn, 2))
    if booking is None or start is None:
        return _gone(turn)
    return _ask_move(turn, booking, start)


def _ask_move(turn: Turn, booking: Appointment, start: datetime) -> list[Reply]:
    _ = turn._
    turn.done()
    text = _("Move your {service} from {old} to {new}?").format(
        service=service_name(turn.program, booking.service, turn.speaker),
        old=turn.speaker.day_and_time(booking.starts_at),
        new=turn.speaker.day_and_time(start),
    )
    buttons = (
        (Button(_("Yes, move it"), f"mvok:{booking.id}:{epoch(start)}"),),
        (Button(_("Another time"), f"mv:{booking.id}"),),
        (Button(_("Keep the current time"), f"apt:{booking.id}"), Button(_("Menu"), "menu")),
    )
    return [Reply(text, buttons)]


@router.action("mvok")
async def moved(turn: Turn) -> list[Reply] | None:
    booking, start = await _mine(turn), moment_of(argument(turn, 2))
    if booking is None or start is None or turn.member is None:
        return _gone(turn)
    if start == booking.starts_at:  # confirmed twice: it is there already
        return await booked(turn, booking)
    try:
        await appointments.move(
            turn.uow, turn.program, booking, start, turn.now, channel=turn.consent_channel
        )
    except BookingError as error:
        return [refused(turn, error, to_move(booking))]
    await tell_staff(turn, booking, turn.member, "moved")
    return await booked(turn, booking)


@router.action("cx")
async def cancelled(turn: Turn) -> list[Reply] | None:
    booking = await _mine(turn)
    if booking is None or turn.member is None:
        return _gone(turn)
    given = await appointments.cancel(turn.uow, booking, turn.now)
    await tell_staff(turn, booking, turn.member, "cancelled")
    text = turn._("Your appointment is cancelled. Thank you for telling us.")
    if given is not None:  # an experience taken with points
        text += "\n" + returned(turn, given)
    told = with_menu(turn, text)
    # the cancellation takes the booking out of the member's calendar too
    calendar = await for_appointment(turn.uow, booking, turn.program, turn.speaker.language)
    return [replace(told, calendar=calendar)]


async def tell_staff(turn: Turn, booking: Appointment, member: Member, what: str) -> None:
    if turn.staff_desk:
        await desk.tell_staff(turn.uow, turn.program, turn.now, booking, member, what)
