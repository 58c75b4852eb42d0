"""Choosing an appointment's time: a day first, then a time on it, or both in words ("Wednesday
at 3pm"); a time that is not free is answered with the nearest free ones. The same steps
serve a new booking and a booking's new time (`Target`), always in the member's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from handlers.conversation.dialog import Button, Reply, Turn
from loyalty.booking import Slot, days_of, nearest, on_day
from loyalty.dates import LATEST, iso_day, wall_clock
from loyalty.ids import parse_id
from loyalty.records import Appointment
from loyalty.when import read_when
from services import appointments

DAYS_SHOWN = 6  # days offered at a time
PER_ROW = 3  # a day's times, side by side on Telegram
NOON = time(12)
WHEN = "appt:when"  # waiting for a day or a time, chosen or typed


@dataclass(frozen=True)
class Target:
    """What a time is chosen for (a booking, a booking's new time, an experience), and the
    buttons of each step: `days:<arg>[:<from>]` lists days, `day:<arg>:<day>` a day's
    times, `pick:<arg>:<time>` takes one."""

    days: str
    day: str
    pick: str
    arg: str  # the service's key, or the booking's id
    service: str
    booking: Appointment | None = None  # a booking being moved: its time is never offered
    waiting: str = WHEN  # the state that reads a day or time typed next

    @property
    def state(self) -> dict[str, str]:
        """What the conversation keeps to read a day or time typed next."""
        return {"target": self.days, "arg": self.arg}


def to_book(service: str) -> Target:
    return Target("svc", "day", "slot", service, service)


def to_move(booking: Appointment) -> Target:
    return Target("mv", "mvd", "to", str(booking.id), booking.service, booking)


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def moment_of(text: str) -> datetime | None:
    seconds = parse_id(text, high=int(LATEST.timestamp()), low=0)
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def argument(turn: Turn, at: int) -> str:
    """The `at`-th part of the button's id (`prefix:arg:...`), or ""."""
    parts = (turn.inbound.action or "").split(":")
    return parts[at] if len(parts) > at else ""


async def free(turn: Turn, target: Target) -> list[Slot]:
    """Every free time of the target's service, its own booking's current time left out."""
    booking = target.booking
    found = await appointments.slots(
        turn.uow, turn.program, target.service, turn.now, limit=None,
        excluding=booking.id if booking else None,
    )  # fmt: skip
    return [slot for slot in found if booking is None or slot.start != booking.starts_at]


def _noon(turn: Turn, day: date) -> datetime:
    return wall_clock(day, NOON, turn.speaker.zone)


def _tail(turn: Turn, target: Target, other_day: bool = True) -> tuple[Button, ...]:
    _ = turn._
    menu = Button(_("Menu"), "menu")
    if not other_day:
        return (menu,)
    return (Button(_("Another day"), f"{target.days}:{target.arg}"), menu)


def _none_free(turn: Turn, target: Target) -> Reply:
    text = turn._("There is no free time for this in the coming weeks. Our team can help.")
    return Reply(text, (_tail(turn, target, other_day=False),))


async def days(turn: Turn, target: Target, text: str, since: date | None = None) -> Reply:
    """The next days with a free time (from `since`), and how to write one in words."""
    _ = turn._
    turn.goto(target.waiting, **target.state)
    found = days_of(await free(turn, target), turn.speaker.zone)
    found = [d for d in found if since is None or d >= since]
    if not found:
        return _none_free(turn, target)
    rows: list[tuple[Button, ...]] = [
        (Button(turn.speaker.day(_noon(turn, d)), f"{target.day}:{target.arg}:{d.isoformat()}"),)
        for d in found[:DAYS_SHOWN]
    ]
    if len(found) > DAYS_SHOWN:
        later = found[DAYS_SHOWN].isoformat()
        rows.append((Button(_("Later days"), f"{target.days}:{target.arg}:{later}"),))
    rows.append(_tail(turn, target, other_day=False))
    hint = _("Or write a day and a time, such as “Wednesday at 3pm”.")
    return Reply(f"{text}\n{hint}", tuple(rows))


async def times(turn: Turn, target: Target, day: date) -> Reply:
    """The free times of one day (the member's), side by side; the nearest ones when none."""
    _ = turn._
    turn.goto(target.waiting, **target.state, day=day.isoformat())
    every = await free(turn, target)
    found = on_day(every, day, turn.speaker.zone)
    if not found:
        text = _("There is no free time on {day}. The nearest free times:").format(
            day=turn.speaker.day(_noon(turn, day))
        )
        return choices(turn, target, text, nearest(every, _noon(turn, day), appointments.SHOWN))
    labels = [Button(turn.speaker.time(s.start), f"{target.pick}:{target.arg}:{epoch(s.start)}")
              for s in found]  # fmt: skip
    rows = [tuple(labels[i : i + PER_ROW]) for i in range(0, len(labels), PER_ROW)]
    text = _("Free times on {day} (your time):").format(day=turn.speaker.day(found[0].start))
    return Reply(text, (*rows, _tail(turn, target)))


def choices(turn: Turn, target: Target, text: str, found: list[Slot]) -> Reply:
    """Some free times, each with its day; none: the team can help."""
    if not found:
        return _none_free(turn, target)
    pick, label = f"{target.pick}:{target.arg}", turn.speaker.day_and_time
    rows = [(Button(label(s.start), f"{pick}:{epoch(s.start)}"),) for s in found]
    return Reply(text, (*rows, _tail(turn, target)))


async def day_chosen(turn: Turn, target: Target) -> Reply:
    """The times of the day a button names (`day:<arg>:<YYYY-MM-DD>`); else the days."""
    day = iso_day(argument(turn, 2))
    if day is None:
        return await days(turn, target, turn._("Which day would suit you?"))
    return await times(turn, target, day)


async def typed(turn: Turn, target: Target) -> Slot | Reply | None:
    """A day or time the member wrote: the free slot it names, or the day's times, or the
    nearest free times; None when the words are no day (the engine routes them on)."""
    looking_at = iso_day(str(turn.state.data.get("day", "")))
    speaker = turn.speaker
    wanted = read_when(turn.inbound.text or "", speaker.language, turn.now, speaker.zone,
                       looking_at)  # fmt: skip
    if wanted is None:
        return None
    if wanted.at is None:
        return await times(turn, target, wanted.day)
    moment = wall_clock(wanted.day, wanted.at, speaker.zone)
    every = await free(turn, target)
    for slot in every:
        if slot.start == moment:
            return slot
    _ = turn._
    if target.booking is not None and target.booking.starts_at == moment:
        text = _("That is already your appointment's time. The nearest other free times:")
    else:
        text = _("{when} is not free. The nearest free times:").format(
            when=speaker.day_and_time(moment)
        )
    turn.goto(target.waiting, **target.state, day=wanted.day.isoformat())
    return choices(turn, target, text, nearest(every, moment, appointments.SHOWN))
