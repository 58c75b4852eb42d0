"""Concierge appointments in the chat: choose a service, a time, add a note, confirm; then
change the time or cancel from the same conversation. Staff are told in their group."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import link_first, with_menu
from handlers.conversation.router import Router
from loyalty.booking import Slot
from loyalty.dates import LATEST
from loyalty.ids import parse_id
from loyalty.records import Appointment, Member
from services import appointments, desk
from services.appointments import BookingError
from services.calendars import for_appointment
from services.wording import service_name

router = Router()
NOTE = "appt:note"  # waiting for the note (or a photo) before confirming


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _moment(text: str) -> datetime | None:
    seconds = parse_id(text, high=int(LATEST.timestamp()), low=0)
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def _after(parts: list[str]) -> datetime | None:
    """For "Later": just after the last time shown (`…:<time>`)."""
    shown = _moment(parts[2]) if len(parts) == 3 else None
    return shown + timedelta(seconds=1) if shown else None


def _slots_reply(turn: Turn, text: str, found: list[Slot], pick: str, later: str) -> Reply:
    """Slots as buttons `pick:<time>` (shown in the member's zone), and `later:<time>` for
    the next ones."""
    _ = turn._
    rows = [
        (Button(turn.speaker.day_and_time(s.start), f"{pick}:{_epoch(s.start)}"),) for s in found
    ]
    if found:
        rows.append((Button(_("Later"), f"{later}:{_epoch(found[-1].start)}"),))
    else:
        text = _("There is no free time for this in the coming weeks. Our team can help.")
    rows.append((Button(_("Menu"), "menu"),))
    return Reply(text, tuple(rows))


@router.command("appointments", "book")
@router.action("appts")
@router.intent(
    lambda _: _(
        "appointment, appointments, book, booking, consultation, resize, resizing, "
        "meeting, reservation, my appointments"
    )
)
async def overview(turn: Turn) -> list[Reply]:
    """The member's bookings to come, and the services they may book."""
    if turn.member is None:
        return link_first(turn)
    _ = turn._
    tier = await appointments.tier_of(turn.uow, turn.member, turn.now, turn.program)
    booked = await appointments.upcoming(turn.uow, turn.member.id, turn.now)
    lines = [_("Your appointments:")] if booked else []
    rows = []
    for booking in booked:
        name = service_name(turn.program, booking.service, turn.speaker)
        lines.append(f"• {name} — {turn.speaker.day_and_time(booking.starts_at)}")
        rows.append((Button(f"{name}"[:40], f"apt:{booking.id}"),))
    lines.append(_("What would you like to book?"))
    for key in appointments.bookable(turn.program, tier):
        rows.append((Button(service_name(turn.program, key, turn.speaker), f"svc:{key}"),))
    rows.append((Button(_("Menu"), "menu"),))
    return [Reply("\n".join(lines), tuple(rows))]


@router.action("svc")
async def choose_time(turn: Turn) -> list[Reply] | None:
    """The next free times of a service ("svc:key" or, for later ones, "svc:key:after")."""
    parts = (turn.inbound.action or "").split(":")
    key = parts[1] if len(parts) > 1 else ""
    if turn.member is None or key not in turn.program.services:
        return None
    after = _after(parts)
    found = await appointments.slots(turn.uow, turn.program, key, turn.now, after=after)
    text = turn._("When would suit you for {service}? (your time)").format(
        service=service_name(turn.program, key, turn.speaker)
    )
    return [_slots_reply(turn, text, found, f"slot:{key}", f"svc:{key}")]


@router.action("slot")
async def chosen(turn: Turn) -> list[Reply] | None:
    parts = (turn.inbound.action or "").split(":")
    start = _moment(parts[2]) if len(parts) == 3 else None
    if turn.member is None or start is None or parts[1] not in turn.program.services:
        return None
    turn.goto(NOTE, service=parts[1], start=parts[2])
    _ = turn._
    text = _(
        "Would you like to add a note for us: a ring size, the piece you will bring, or a "
        "photo? Write it here, or:"
    )
    return [Reply(text, ((Button(_("No note"), "note:skip"),), (Button(_("Cancel"), "menu"),)))]


@router.state(NOTE)
async def note_written(turn: Turn) -> list[Reply]:
    return _confirmation(turn, (turn.inbound.text or "").strip()[:1000], turn.inbound.photo)


@router.back(NOTE)
async def back_to_times(turn: Turn) -> list[Reply] | None:
    """ "back" at the note: the free times again."""
    turn.inbound = replace(turn.inbound, action=f"svc:{turn.state.data.get('service')}")
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
    start = _moment(str(data["start"]))
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
    key, start = str(data["service"]), _moment(str(data["start"]))
    assert start is not None
    try:
        booking = await appointments.book(
            turn.uow, turn.program, turn.member, key, start, turn.now, str(data["note"]),
            str(data["photo"]) or None, channel=turn.consent_channel,
        )  # fmt: skip
    except BookingError as error:
        return [_refused(turn, error, f"slot:{key}", f"svc:{key}")]
    turn.done()
    await _tell_staff(turn, booking, turn.member, "new")
    return _booked(turn, booking)


def _refused(turn: Turn, error: BookingError, pick: str, later: str) -> Reply:
    _ = turn._
    if error.code == appointments.TAKEN:
        text = _("That time was just taken. Here are the next free times:")
        return _slots_reply(turn, text, error.alternatives, pick, later)
    return with_menu(turn, _("This is not something you can book. Here is the menu again."))


def _booked(turn: Turn, booking: Appointment) -> list[Reply]:
    _ = turn._
    text = _("Booked: {service}, {when}. We look forward to seeing you.").format(
        service=service_name(turn.program, booking.service, turn.speaker),
        when=turn.speaker.day_and_time(booking.starts_at),
    )
    calendar = for_appointment(booking, turn.program, turn.speaker.language)
    return [Reply(text, calendar=calendar), with_menu(turn, _("Anything else?"))]


async def _mine(turn: Turn, at: int = 1) -> Appointment | None:
    parts = (turn.inbound.action or "").split(":")
    booking_id = parse_id(parts[at]) if len(parts) > at else None
    if turn.member is None or booking_id is None:
        return None
    return await appointments.of_member(turn.uow, turn.member.id, booking_id)


@router.action("apt")
async def show(turn: Turn) -> list[Reply] | None:
    booking = await _mine(turn)
    if booking is None or booking.starts_at <= turn.now:
        return [with_menu(turn, turn._("This appointment is no longer booked."))]
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
async def new_time(turn: Turn) -> list[Reply] | None:
    """Free times for a booking's new time ("mv:id" or "mv:id:after")."""
    booking = await _mine(turn)
    if booking is None:
        return [with_menu(turn, turn._("This appointment is no longer booked."))]
    after = _after((turn.inbound.action or "").split(":"))
    found = await appointments.slots(
        turn.uow, turn.program, booking.service, turn.now, after=after, excluding=booking.id
    )
    text = turn._("Which new time would suit you? (your time)")
    return [_slots_reply(turn, text, found, f"to:{booking.id}", f"mv:{booking.id}")]


@router.action("to")
async def moved(turn: Turn) -> list[Reply] | None:
    booking = await _mine(turn)
    parts = (turn.inbound.action or "").split(":")
    start = _moment(parts[2]) if len(parts) == 3 else None
    if booking is None or start is None or turn.member is None:
        return [with_menu(turn, turn._("This appointment is no longer booked."))]
    try:
        await appointments.move(
            turn.uow, turn.program, booking, start, turn.now, channel=turn.consent_channel
        )
    except BookingError as error:
        return [_refused(turn, error, f"to:{booking.id}", f"mv:{booking.id}")]
    await _tell_staff(turn, booking, turn.member, "moved")
    return _booked(turn, booking)


@router.action("cx")
async def cancelled(turn: Turn) -> list[Reply] | None:
    booking = await _mine(turn)
    if booking is None or turn.member is None:
        return [with_menu(turn, turn._("This appointment is no longer booked."))]
    await appointments.cancel(turn.uow, booking, turn.now)
    await _tell_staff(turn, booking, turn.member, "cancelled")
    return [with_menu(turn, turn._("Your appointment is cancelled. Thank you for telling us."))]


async def _tell_staff(turn: Turn, booking: Appointment, member: Member, what: str) -> None:
    if turn.staff_desk:
        await desk.tell_staff(turn.uow, turn.program, turn.now, booking, member, what)
