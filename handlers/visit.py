"""Visiting the store: its opening hours and where it is, from the program."""

from __future__ import annotations

from itertools import groupby

from babel.dates import format_time, get_day_names

from handlers.conversation.dialog import Reply, Turn
from handlers.conversation.menu import with_menu
from handlers.conversation.router import Router
from locales import Speaker
from loyalty.hours import Opening

router = Router()


def opening_lines(week: tuple[tuple[Opening, ...], ...], turn: Turn) -> list[str]:
    """The week in the member's language, days with the same hours together: "Tuesday to
    Friday: 10:00 AM – 7:00 PM", "Sunday: closed"."""
    _, language = turn._, turn.speaker.language
    names = get_day_names("wide", locale=language)
    lines = []
    for openings, days in groupby(enumerate(week), key=lambda day: day[1]):
        numbers = [number for number, _openings in days]
        first, last = names[numbers[0]].capitalize(), names[numbers[-1]].capitalize()
        when = first if first == last else _("{first} to {last}").format(first=first, last=last)
        hours = ", ".join(
            f"{format_time(o.start, 'short', locale=language)} – "
            f"{format_time(o.end, 'short', locale=language)}"
            for o in openings
        )
        lines.append(f"{when}: {hours or _('closed')}")
    return lines


@router.command("hours", "address")
@router.intent(
    lambda _: _(
        "opening hours, hours, opening times, open, when are you open, closing time, "
        "address, where are you, where is the store, location, directions, find you, "
        "boutique, visit you"
    )
)
async def visit(turn: Turn) -> list[Reply]:
    """Where the store is, when it is open, and whether it is open now (its own zone)."""
    _ = turn._
    program = turn.program
    lines = [program.club.name]
    if program.store.address:
        lines.append(_("Where: {place}").format(place=program.store.address))
    lines += ["", _("Opening hours (store time):"), *opening_lines(program.store.week(), turn)]
    opens = program.opening_hours.next_open(turn.now)
    if opens == turn.now:
        lines.append(_("We are open now."))
    elif opens is not None:
        store_time = Speaker(turn.speaker.language, program.club.zone)
        lines.append(
            _("We open again on {day} at {time}.").format(
                day=store_time.day(opens), time=store_time.time(opens)
            )
        )
    return [with_menu(turn, "\n".join(lines))]
