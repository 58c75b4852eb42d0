"""Calendar files (.ics) for what a member has with the club: an event, an appointment.

A file is named by a short reference, so a channel that can only link to it (WhatsApp) can
ask for it again: "a12" is appointment 12, "e7-42" event 7 as member 42 holds it. Both name
the member, so nothing is drawn again for a member whose data was erased.

Strict clients (Outlook, Apple, Google) keep one entry per UID and replace it by a copy with
a higher SEQUENCE: the UID is drawn from this installation's own id (two clubs' appointment
12 never meet in one calendar), the SEQUENCE rises at each move, and a cancellation is the
same UID with METHOD:CANCEL. Times are in UTC throughout, so no VTIMEZONE is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

from icalendar import Calendar, vCalAddress
from icalendar import Event as CalendarEntry

from loyalty.booking import BOOKED
from loyalty.ids import parse_id
from loyalty.program import Program
from loyalty.records import Appointment, Event
from loyalty.stores import UnitOfWork

EVENT, APPOINTMENT = "e", "a"
INSTALLATION = "installation"  # the club secret naming this installation (its UIDs' root)
PUBLISH, CANCEL = "PUBLISH", "CANCEL"


@dataclass(frozen=True)
class CalendarFile:
    """An .ics file: adapters attach it, or link to it by its reference ("e7", "a12")."""

    ref: str
    text: str
    cancelled: bool = False  # METHOD:CANCEL: it takes the entry out of the calendar


@dataclass(frozen=True)
class Entry:
    """One entry as a calendar keeps it: `uid` names it across copies, `sequence` orders them,
    `stamp` is when this copy's content was last changed (so a re-send is the same file)."""

    uid: str
    title: str
    start: datetime
    end: datetime
    stamp: datetime
    sequence: int = 0
    cancelled: bool = False
    place: str = ""
    description: str = ""


async def installation(uow: UnitOfWork) -> UUID:
    """This installation's id, made on first use and kept in the database."""
    made = await uow.secrets.get_or_create(INSTALLATION, lambda: str(uuid4()))
    return UUID(made)


def calendar_file(ref: str, program: Program, entry: Entry) -> CalendarFile:
    """One entry for the member's calendar (RFC 5545 and iTIP's PUBLISH or CANCEL)."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{program.club.name}//Concierge//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", CANCEL if entry.cancelled else PUBLISH)
    event = CalendarEntry()
    event.add("uid", entry.uid)
    event.add("dtstamp", entry.stamp.astimezone(UTC))
    event.add("sequence", entry.sequence)
    event.add("dtstart", entry.start.astimezone(UTC))  # a zone's name would need its VTIMEZONE
    event.add("dtend", entry.end.astimezone(UTC))
    event.add("summary", entry.title)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    if program.store.email:
        organizer = vCalAddress(f"mailto:{program.store.email}")
        organizer.params["cn"] = program.club.name
        event.add("organizer", organizer)
    if entry.place:
        event.add("location", entry.place)
    if entry.description:
        event.add("description", entry.description)
    calendar.add_component(event)
    return CalendarFile(ref, calendar.to_ical().decode(), entry.cancelled)


def _store(program: Program) -> str:
    """The store as a calendar names the place: the club and its address."""
    return ", ".join(part for part in (program.club.name, program.store.address) if part)


async def for_event(
    uow: UnitOfWork, event: Event, member_id: int, program: Program
) -> CalendarFile:
    """The event as the member holds it: one UID per event, cancelled once it is."""
    cancelled = event.cancelled_at is not None
    entry = Entry(
        str(uuid5(await installation(uow), f"{EVENT}{event.id}")), event.title, event.starts_at,
        event.ends_at, event.cancelled_at or event.created_at, int(cancelled), cancelled,
        event.place or _store(program), event.description,
    )  # fmt: skip
    return calendar_file(f"{EVENT}{event.id}-{member_id}", program, entry)


async def for_appointment(
    uow: UnitOfWork, booking: Appointment, program: Program, language: str
) -> CalendarFile:
    """The booking as it stands: moved ones with a higher SEQUENCE, ended ones cancelled."""
    service = program.services[booking.service].name[language]
    entry = Entry(
        str(uuid5(await installation(uow), f"{APPOINTMENT}{booking.id}")),
        f"{service} · {program.club.name}", booking.starts_at, booking.ends_at,
        booking.updated_at, booking.sequence, booking.status != BOOKED, _store(program),
    )  # fmt: skip
    return calendar_file(f"{APPOINTMENT}{booking.id}", program, entry)


async def by_ref(uow: UnitOfWork, ref: str, program: Program) -> CalendarFile | None:
    """The file a reference names, drawn again from what the database holds; None for a
    reference that names nothing, or a member whose data was erased."""
    kind, numbers = ref[:1], ref[1:].split("-")
    ids = [number for number in map(parse_id, numbers) if number is not None]
    if len(ids) != len(numbers):
        return None
    if kind == EVENT and len(ids) == 2:
        event = await uow.events.get(ids[0])
        if event is not None and await _present(uow, ids[1]):
            return await for_event(uow, event, ids[1], program)
    if kind == APPOINTMENT and len(ids) == 1:
        booking = await uow.appointments.get(ids[0])
        if booking is not None and await _present(uow, booking.member_id):
            return await for_appointment(uow, booking, program, program.club.default_language)
    return None


async def _present(uow: UnitOfWork, member_id: int) -> bool:
    """Whether the member is there, their data not erased."""
    member = await uow.members.get(member_id)
    return member is not None and member.erased_at is None
