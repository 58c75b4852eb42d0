"""The words of the messages the club sends on its own: occasions, event notices, reminders.

One place below the chat, so that the chat and the outbox dispatcher say the same thing in
the member's language. Only what the member told us or did with us is named (their name,
their tier, the occasion they declared, the event or booking they have); nothing inferred
about them ever is.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_day_names

from locales import Speaker
from loyalty.hours import alike
from loyalty.occasions import BIRTHDAY, CLUB_ANNIVERSARY, FIRST_PURCHASE
from loyalty.program import Program
from loyalty.records import Appointment, Event, Member
from services import appointments, events


@dataclass(frozen=True)
class Greeting:
    """What a message says, and the values an approved template fills in instead."""

    text: str
    variables: dict[str, str]
    template: str | None  # the template kind: "birthday", "anniversary", an event notice's, ...


def speaker_for(locale: str | None, timezone: str | None, program: Program) -> Speaker:
    """The member's own setting, else the club's default language and the store's zone."""
    zone = ZoneInfo(timezone) if timezone else program.club.zone
    return Speaker(program.language(locale), zone)


def staff_speaker(program: Program) -> Speaker:
    """How the staff group is written to: the club's staff language, the store's zone."""
    return speaker_for(program.club.staff_language, None, program)


def opening_hours(program: Program, speaker: Speaker) -> list[str]:
    """The store's hours in words, days alike together: "Tue–Fri: 10:00 AM–7:00 PM"."""
    days = get_day_names("abbreviated", locale=speaker.language)
    lines = []
    for first, last, openings in alike(program.store.week()):
        span = days[first] if first == last else f"{days[first]}–{days[last]}"
        hours = ", ".join(
            f"{format_time(o.start, 'short', locale=speaker.language)}–"
            f"{format_time(o.end, 'short', locale=speaker.language)}"
            for o in openings
        )
        lines.append(speaker.gettext("{days}: {hours}").format(days=span, hours=hours))
    return lines


def first_name(name: str | None) -> str:
    """How the club addresses a member or signs a staff message: the first name."""
    return (name or "").split(" ")[0]


def salutation(first_name: str, speaker: Speaker) -> str:
    """ "Dear Giulia," (or "Dear member," when we have no name)."""
    _ = speaker.gettext
    return _("Dear {name},").format(name=first_name) if first_name else _("Dear member,")


def occasion_name(kind: str, speaker: Speaker) -> str:
    """The occasion as the member declared it; an unknown kind is just "your anniversary"."""
    _ = speaker.gettext
    names = {
        CLUB_ANNIVERSARY: _("your anniversary with the club"),
        FIRST_PURCHASE: _("the anniversary of your first piece with us"),
        "wedding": _("your wedding anniversary"),
        "engagement": _("your engagement anniversary"),
    }
    return names.get(kind, _("your anniversary"))


def greeting(
    kind: str,
    years: int | None,
    first_name: str,
    tier: str,
    points: int,
    club: str,
    speaker: Speaker,
) -> Greeting:
    """The message for one occasion; `points` is the birthday gift (0: none)."""
    _ = speaker.gettext
    if kind == BIRTHDAY:
        lines = [_("Happy birthday, {name}!").format(name=first_name) if first_name
                 else _("Happy birthday!")]  # fmt: skip
        lines.append(_("Everyone at {club} sends you their warmest wishes.").format(club=club))
        if points:
            lines.append(
                speaker.ngettext(
                    "As a {tier} member, {points} point has been added to your card.",
                    "As a {tier} member, {points} points have been added to your card.",
                    points,
                ).format(tier=tier, points=speaker.number(points))
            )
        variables = {"first_name": first_name, "club": club, "tier": tier, "points": str(points)}
        return Greeting("\n".join(lines), variables, "birthday")
    occasion = occasion_name(kind, speaker)
    lines = [
        salutation(first_name, speaker),
        _("Today is {occasion}.").format(occasion=occasion)
        if not years
        else speaker.ngettext(
            "Today is {occasion}: {years} year.", "Today is {occasion}: {years} years.", years
        ).format(occasion=occasion, years=speaker.number(years)),
        _("Thank you for sharing it with {club}, as one of our {tier} members.").format(
            club=club, tier=tier
        ),
    ]
    variables = {
        "first_name": first_name, "club": club, "tier": tier, "years": str(years or ""),
        "occasion": occasion,
    }  # fmt: skip
    return Greeting("\n".join(lines), variables, "anniversary")


def notice(kind: str, event: Event, member: Member, speaker: Speaker, club: str) -> Greeting:
    """The words of a message about an event, in the member's language."""
    _ = speaker.gettext
    first = first_name(member.name)
    moment = speaker.day_and_time(event.starts_at)
    if kind == events.INVITATION:
        body = _('Selected for you: {title}, {when}. Write "previews" to answer; seats are few.')
    elif kind == events.REMINDER:
        body = _('A reminder: we expect you at {title}, {when}. Your ticket is in "previews".')
    elif kind == events.SEAT_OFFERED:
        body = _(
            "A seat has freed up at {title}, {when}, and it is held for you for a while: "
            'write "previews" to take it.'
        )
    elif kind == events.EVENT_MOVED:
        body = (
            _('Please note a change to {title}: it is now {when}, until {end}, at {place}. Your '
              'answer stands; to change it, write "previews".') if event.place
            else _('Please note a change to {title}: it is now {when}, until {end}. Your answer '
                   'stands; to change it, write "previews".')
        )  # fmt: skip
    else:
        body = _("We are sorry: {title}, {when}, is cancelled. We hope to see you soon.")
    variables = {"first_name": first, "club": club, "event": event.title, "when": moment}
    if kind == events.EVENT_MOVED:  # the end too: a later end alone is news
        same_day = speaker.day(event.ends_at) == speaker.day(event.starts_at)
        end = speaker.time(event.ends_at) if same_day else speaker.day_and_time(event.ends_at)
        variables |= {"end": end, "place": event.place}
    said = body.format(title=event.title, when=moment, end=variables.get("end"),
                       place=event.place)  # fmt: skip
    text = "\n".join((salutation(first, speaker), said, club))
    return Greeting(text, variables, kind)


def service_name(program: Program, key: str, speaker: Speaker) -> str:
    """A service's name in the member's language; its key when the program no longer has it
    (a booking outlives a service the jeweller removed)."""
    service = program.services.get(key)
    return service.name[speaker.language] if service else key


def booking_news(
    kind: str, booking: Appointment, member: Member, speaker: Speaker, program: Program,
    by: str | None = None,
) -> Greeting:  # fmt: skip
    """News of a member's booking (its reminder, or its cancellation by the club: the store
    closes that day, or `by` staff), in their language and zone, signed by the club."""
    _ = speaker.gettext
    if kind == appointments.CLOSED and by == appointments.BY_STAFF:
        body = _(
            "Please note: your appointment, {service}, {when}, is cancelled. To choose another "
            'time, write "appointment".'
        )
    elif kind == appointments.CLOSED:
        body = _(
            "We are sorry: the store is closed on the day of your appointment, {service}, "
            '{when}, so it is cancelled. To choose another time, write "appointment".'
        )
    else:
        body = _('A reminder of your appointment: {service}, {when}. To change it, write '
                 '"appointment".')  # fmt: skip
    first = first_name(member.name)
    service = service_name(program, booking.service, speaker)
    moment = speaker.day_and_time(booking.starts_at)
    text = "\n".join((
        salutation(first, speaker), body.format(service=service, when=moment), program.club.name
    ))  # fmt: skip
    variables = {"first_name": first, "club": program.club.name, "service": service,
                 "when": moment}  # fmt: skip
    return Greeting(text, variables, kind)
