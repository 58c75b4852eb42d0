"""Calendar files (.ics) for what a member has with the club: an event, an appointment.

A file is named by a short reference, so a channel that can only link to it (WhatsApp) can
ask for it again: "a12" is appointment 12, "e7-42" event 7 as member 42 holds it. Both name
the member, so nothing is drawn again for a member whose data was erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar
from icalendar import Event as CalendarEntry

from loyalty.ids import parse_id
from loyalty.program import Program
from loyalty.records import Appointment, Event
from loyalty.stores import UnitOfWork

EVENT, APPOINTMENT = "e", "a"


@dataclass(frozen=True)
class CalendarFile:
    """An .ics file: adapters attach it, or link to it by its reference ("e7", "a12")."""

    ref: str
    text: str


def calendar_file(
    ref: str, program: Program, title: str, start: datetime, end: datetime, stamp: datetime,
    place: str = "", description: str = "",
) -> CalendarFile:  # fmt: skip
    """One entry for the member's calendar (RFC 5545), times in UTC."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{program.club.name}//Concierge//EN")
    calendar.add("version", "2.0")
    entry = CalendarEntry()
    entry.add("uid", f"{ref}@concierge")
    entry.add("dtstamp", stamp)
    entry.add("dtstart", start)
    entry.add("dtend", end)
    entry.add("summary", title)
    if place:
        entry.add("location", place)
    if description:
        entry.add("description", description)
    calendar.add_component(entry)
    return CalendarFile(ref, calendar.to_ical().decode())


def for_event(event: Event, member_id: int, program: Program) -> CalendarFile:
    return calendar_file(
        f"{EVENT}{event.id}-{member_id}", program, event.title, event.starts_at, event.ends_at,
        event.created_at, event.place, event.description,
    )  # fmt: skip


def for_appointment(booking: Appointment, program: Program, language: str) -> CalendarFile:
    service = program.services[booking.service].name[language]
    return calendar_file(
        f"{APPOINTMENT}{booking.id}", program, f"{service} · {program.club.name}",
        booking.starts_at, booking.ends_at, booking.created_at,
    )  # fmt: skip


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
            return for_event(event, ids[1], program)
    if kind == APPOINTMENT and len(ids) == 1:
        booking = await uow.appointments.get(ids[0])
        if booking is not None and await _present(uow, booking.member_id):
            return for_appointment(booking, program, program.club.default_language)
    return None


async def _present(uow: UnitOfWork, member_id: int) -> bool:
    """Whether the member is there, their data not erased."""
    member = await uow.members.get(member_id)
    return member is not None and member.erased_at is None
