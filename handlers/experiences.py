"""Experiences in the chat: a reward that books itself. Its time is chosen with the steps of
an appointment (handlers.appointment_times), then confirmed: the points held and the service
booked at once, or, the time gone or the points short, neither.

The Yes names the reward, the time and how many vouchers the member had when asked
(`xok:private_viewing:<time>:2`): pressed twice or stale, it takes nothing more."""

from __future__ import annotations

from datetime import datetime

from handlers.appointment_times import (
    Target,
    argument,
    day_chosen,
    days,
    epoch,
    moment_of,
    typed,
)
from handlers.appointments import booked, refused, tell_staff
from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import link_first, main_menu
from handlers.conversation.router import Router
from handlers.rewards import answered, asked_once, point_count, short_of, unavailable
from loyalty.booking import Slot
from loyalty.dates import iso_day
from loyalty.points import InsufficientPoints
from services import rewards
from services.appointments import BookingError
from services.rewards import RewardError

router = Router()
WHEN = "exp:when"  # waiting for the experience's day or time, chosen or typed


def _target(turn: Turn, key: str) -> Target | None:
    """The steps choosing an experience's time; None for a reward that books nothing."""
    chosen = turn.program.rewards.get(key)
    if chosen is None or chosen.service is None:
        return None
    return Target("xsvc", "xday", "xslot", key, chosen.service, waiting=WHEN)


def _name(turn: Turn, key: str) -> str:
    return turn.program.rewards[key].name[turn.speaker.language]


@router.action("xsvc")
async def choose_day(turn: Turn) -> list[Reply]:
    """The days the experience's service is free ("xsvc:key", or "xsvc:key:YYYY-MM-DD")."""
    if turn.member is None:
        return link_first(turn)
    key = argument(turn, 1)
    target = _target(turn, key)
    if target is None:
        return unavailable(turn)
    text = turn._("Which day would suit you for {reward}?").format(reward=_name(turn, key))
    return [await days(turn, target, text, iso_day(argument(turn, 2)))]


@router.action("xday")
async def choose_time(turn: Turn) -> list[Reply]:
    """The free times of a day ("xday:key:YYYY-MM-DD")."""
    target = _target(turn, argument(turn, 1))
    if turn.member is None:
        return link_first(turn)
    return [await day_chosen(turn, target)] if target else unavailable(turn)


@router.action("xslot")
async def chosen(turn: Turn) -> list[Reply]:
    """A time chosen ("xslot:key:time"): asked to confirm before anything is held."""
    key, start = argument(turn, 1), moment_of(argument(turn, 2))
    if turn.member is None:
        return link_first(turn)
    if _target(turn, key) is None or start is None:
        return unavailable(turn)
    return await _ask(turn, key, start)


@router.state(WHEN)
async def written(turn: Turn) -> list[Reply] | None:
    """A day or time written while choosing the experience's."""
    target = _target(turn, str(turn.state.data.get("arg")))
    if turn.member is None or target is None:
        return None
    found = await typed(turn, target)
    if isinstance(found, Slot):
        return await _ask(turn, target.arg, found.start)
    return [found] if found is not None else None


async def _ask(turn: Turn, key: str, start: datetime) -> list[Reply]:
    _ = turn._
    assert turn.member is not None
    turn.done()
    question = _("Take {reward} for {points}, on {when} (your time)?").format(
        reward=_name(turn, key),
        points=point_count(turn, turn.program.rewards[key].cost),
        when=turn.speaker.day_and_time(start),
    )
    held = len(await rewards.vouchers_of(turn.uow, turn.member))
    rows = (
        (Button(_("Yes"), f"xok:{key}:{epoch(start)}:{held}"),),
        (Button(_("Another time"), f"xsvc:{key}"), Button(_("No"), "rewards")),
    )
    return [Reply(question, (*rows, *main_menu(turn)))]


@router.action("xok")
async def take(turn: Turn) -> list[Reply]:
    """Taken: the points held and the time booked in one go; staff are told of the booking."""
    if turn.member is None:
        return link_first(turn)
    key, start = argument(turn, 1), moment_of(argument(turn, 2))
    target = _target(turn, key)
    if target is None or start is None:
        return unavailable(turn)
    if not await asked_once(turn, argument(turn, 3)):
        return answered(turn)
    try:
        voucher = await rewards.take(
            turn.uow, turn.member, key, turn.now, turn.program, start, turn.consent_channel
        )
    except InsufficientPoints as short:
        return short_of(turn, short)
    except BookingError as error:
        return [refused(turn, error, target)]
    except RewardError:
        return unavailable(turn)
    booking = await rewards.booking_of(turn.uow, voucher)
    assert booking is not None
    await tell_staff(turn, booking, turn.member, "new")
    first, *rest = await booked(turn, booking)
    done = turn._("Done: your points are held for it.")
    return [Reply(f"{done}\n{voucher.number} · {_name(turn, key)}"), first, *rest]
