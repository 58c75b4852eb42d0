"""Calendar files (.ics) for what a member has with the club: an event, an appointment.

A file is named by a short reference ("e7": event 7, "a12": appointment 12), so a channel
that can only link to it (WhatsApp) can ask for it again.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar
from icalendar import Event as CalendarEntry

from handlers.dialog import CalendarFile
from loyalty.program import Program
from storage.models import Appointment, Event
from storage.unit_of_work import UnitOfWork

EVENT, APPOINTMENT = "e", "a"


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


def for_event(event: Event, program: Program) -> CalendarFile:
    return calendar_file(
        f"{EVENT}{event.id}", program, event.title, event.starts_at, event.ends_at,
        event.created_at, event.place, event.description,
    )  # fmt: skip


def for_appointment(booking: Appointment, program: Program, language: str) -> CalendarFile:
    service = program.services[booking.service].name[language]
    return calendar_file(
        f"{APPOINTMENT}{booking.id}", program, f"{service} · {program.club.name}",
        booking.starts_at, booking.ends_at, booking.created_at,
    )  # fmt: skip


async def by_ref(uow: UnitOfWork, ref: str, program: Program) -> CalendarFile | None:
    """The file a reference names, drawn again from what the database holds."""
    kind, number = ref[:1], ref[1:]
    if not number.isdigit():
        return None
    if kind == EVENT:
        event = await uow.events.get(int(number))
        return for_event(event, program) if event else None
    if kind == APPOINTMENT:
        booking = await uow.appointments.get(int(number))
        language = program.club.default_language
        return for_appointment(booking, program, language) if booking else None
    return None
