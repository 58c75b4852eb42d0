"""Private previews and trunk shows in the chat: what is for you, RSVP, waitlist, tickets.

Only events a member is eligible for are ever shown; the words say "selected for you",
never why.
"""

from __future__ import annotations

import secrets

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import link_first, with_menu
from handlers.conversation.router import Router
from loyalty.events import CANCELLED, GOING, OFFERED, WAITING, answers_until
from loyalty.ids import INT2_MAX, parse_id
from loyalty.membercard import ticket_payload
from loyalty.records import Event
from services import events, members
from services.calendars import for_event
from services.events import (
    CLOSED,
    GONE,
    GUESTS,
    NO_ROOM,
    NOT_FOR_YOU,
    NOT_YET,
    SEAT_OFFERED,
    EventError,
    ForMember,
)
from services.members import member_number

router = Router()
SHOWN = 5  # events listed at once, soonest first


def _line(found: ForMember, turn: Turn) -> str:
    _ = turn._
    event, answer = found.event, found.answer
    status = answer.status if answer else None
    if status == GOING:
        state = _("you are expected")
    elif status == OFFERED:
        state = _("a seat is held for you")
    elif status == WAITING:
        state = _("you are number {n} on the waitlist").format(n=found.place_in_line)
    elif found.opens_at > turn.now:
        state = _("open to you from {day}").format(day=turn.speaker.day(found.opens_at))
    elif found.seats_left <= 0:
        state = _("full")
    else:
        state = turn.speaker.ngettext("{n} seat left", "{n} seats left", found.seats_left).format(
            n=turn.speaker.number(found.seats_left)
        )
    return f"• {event.title} — {turn.speaker.day_and_time(event.starts_at)} — {state}"


@router.command("previews", "events")
@router.action("events")
@router.intent(
    lambda _: _(
        "preview, previews, private preview, event, events, trunk show, invitation, "
        "invitations, rsvp, ticket, my ticket, waitlist"
    )
)
async def previews(turn: Turn) -> list[Reply]:
    """The events selected for this member, soonest first."""
    if turn.member is None:
        return link_first(turn)
    _ = turn._
    found = (await events.for_member(turn.uow, turn.member, turn.now, turn.program))[:SHOWN]
    if not found:
        return [with_menu(turn, _("There is no private event for you at the moment."))]
    lines = [_("Selected for you:"), *(_line(f, turn) for f in found)]
    buttons = tuple((Button(f.event.title[:40], f"ev:{f.event.id}"),) for f in found)
    return [Reply("\n".join(lines), (*buttons, (Button(_("Menu"), "menu"),)))]


async def _mine(turn: Turn, event_id: int) -> ForMember | None:
    assert turn.member is not None
    found = await events.for_member(turn.uow, turn.member, turn.now, turn.program)
    return next((f for f in found if f.event.id == event_id), None)


def _event_id(turn: Turn) -> int | None:
    """The event a member's button names ("ev:7", "rsvp:7:no"); None: not a button of ours."""
    parts = (turn.inbound.action or "").split(":")
    return parse_id(parts[1]) if turn.member is not None and len(parts) > 1 else None


def _guests(action: str) -> int | None:
    """The guests an answer brings ("rsvp:7:1"; "rsvp:7:no" and "wait:7": none); None: not a
    button of ours."""
    match action.split(":"):
        case ["wait", _] | ["rsvp", _, "no"]:
            return 0
        case ["rsvp", _, guests]:
            return parse_id(guests, high=INT2_MAX, low=0)
    return None


@router.action("ev")
async def show_event(turn: Turn) -> list[Reply] | None:
    """One event: when, where, seats, and the answers the member can give now."""
    if (event_id := _event_id(turn)) is None:
        return None
    found = await _mine(turn, event_id)
    if found is None:
        return [with_menu(turn, turn._("This event is no longer on."))]
    _ = turn._
    event, answer = found.event, found.answer
    lines = [_line(found, turn), ""]
    if event.place:
        lines.append(_("Where: {place}").format(place=event.place))
    if event.description:
        lines.append(event.description)
    closes = answers_until(event.starts_at, event.deadline)
    if event.deadline:
        lines.append(_("Please answer by {day} at {time}.").format(
            day=turn.speaker.day(closes), time=turn.speaker.time(closes)))  # fmt: skip
    status = answer.status if answer else None
    buttons: list[tuple[Button, ...]] = []
    if status == GOING:
        buttons.append((Button(_("My ticket"), f"ticket:{event.id}"),))
        buttons.append((Button(_("Cancel my place"), f"rsvp:{event.id}:no"),))
    elif status == OFFERED:
        assert answer is not None and answer.offered_until is not None
        lines.append(_("A seat is held for you until {day} at {time}.").format(
            day=turn.speaker.day(answer.offered_until),
            time=turn.speaker.time(answer.offered_until)))  # fmt: skip
        buttons.append((Button(_("I take the seat"), f"rsvp:{event.id}:{answer.plus_ones}"),))
        buttons.append((Button(_("Let it go"), f"rsvp:{event.id}:no"),))
    elif status == WAITING:
        buttons.append((Button(_("Leave the waitlist"), f"rsvp:{event.id}:no"),))
    elif turn.now < found.opens_at or turn.now >= closes:
        pass  # nothing to answer yet, or any more
    elif found.seats_left > 0:
        buttons.append((Button(_("I will come"), f"rsvp:{event.id}:0"),))
        if event.plus_ones and found.seats_left > 1:
            buttons.append((Button(_("I will come with a guest"), f"rsvp:{event.id}:1"),))
        buttons.append((Button(_("No, thank you"), f"rsvp:{event.id}:no"),))
    else:
        lines.append(await _full(turn, event.id))
        buttons.append((Button(_("Join the waitlist"), f"wait:{event.id}"),))
    buttons.append((Button(_("Previews for you"), "events"), Button(_("Menu"), "menu")))
    return [Reply("\n".join(lines), tuple(buttons))]


async def _full(turn: Turn, event_id: int) -> str:
    """ "The event is full", and the member's place if they join the waitlist now."""
    waiting = await events.waiting(turn.uow, event_id)
    return turn._("The event is full. On the waitlist you would be number {n}.").format(
        n=waiting + 1
    )


def _refusal(error: EventError, turn: Turn) -> str:
    _ = turn._
    return {
        GONE: _("This event is no longer on."),
        NOT_FOR_YOU: _("This event is no longer on."),
        CLOSED: _("Answers for this event are closed."),
        NOT_YET: _("This event is not open to answers yet."),
        GUESTS: _("This event does not allow that many guests."),
        NO_ROOM: _("There are not enough seats left for your guest: your place is kept."),
    }.get(error.code, _("That did not work. Here is the menu again."))


async def ticket(turn: Turn, event: Event) -> Reply:
    """The code to show at the door, with the event for the member's calendar."""
    assert turn.member is not None
    key = await members.qr_key(turn.uow, lambda: secrets.token_urlsafe(32))
    text = turn._("You are expected at {title} on {when}. Show this code at the door.").format(
        title=event.title, when=turn.speaker.day_and_time(event.starts_at)
    )
    return Reply(
        text, qr=ticket_payload(event.id, member_number(turn.member.id), key),
        calendar=await for_event(turn.uow, event, turn.member.id, turn.program),
    )  # fmt: skip


@router.action("rsvp")
@router.action("wait")
async def rsvp(turn: Turn) -> list[Reply] | None:
    action = turn.inbound.action or ""
    if (event_id := _event_id(turn)) is None or (guests := _guests(action)) is None:
        return None
    assert turn.member is not None
    going = not action.endswith(":no")
    _ = turn._
    try:
        answered = await events.answer(
            turn.uow, turn.program, turn.member, event_id, turn.now, going, guests,
            waitlist=action.startswith("wait:"), channel=turn.consent_channel,
        )  # fmt: skip
    except EventError as error:
        return [with_menu(turn, _refusal(error, turn))]
    event = await events.get(turn.uow, event_id)
    assert event is not None
    await events.notify(turn.uow, turn.program, turn.now, SEAT_OFFERED, answered.offered)
    if answered.status == GOING:
        return [await ticket(turn, event), with_menu(turn, _("We look forward to seeing you."))]
    if answered.status == WAITING:
        text = _(
            "You are number {n} on the waitlist. If a seat frees up, we will hold it for you "
            "and tell you."
        ).format(n=answered.place_in_line)
        return [with_menu(turn, text)]
    if answered.status == events.FULL:
        waitlist = (Button(_("Join the waitlist"), f"wait:{event_id}"),)
        return [Reply(await _full(turn, event_id), (waitlist, (Button(_("Menu"), "menu"),)))]
    if answered.status == CANCELLED:
        return [with_menu(turn, _("Your place is cancelled. Thank you for telling us."))]
    return [with_menu(turn, _("Thank you for letting us know."))]


@router.action("ticket")
async def show_ticket(turn: Turn) -> list[Reply] | None:
    if (event_id := _event_id(turn)) is None:
        return None
    found = await _mine(turn, event_id)
    if found is None or found.answer is None or found.answer.status != GOING:
        return [with_menu(turn, turn._("You have no place at this event."))]
    return [await ticket(turn, found.event)]
