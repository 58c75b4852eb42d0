"""Talk to a person: the member's side of a conversation with staff.

While the conversation is with staff the bot is silent: what the member sends goes to the
topic in the staff group (handlers/desk.py), until staff close it. STOP is still obeyed.
"""

from __future__ import annotations

from handlers import desk
from handlers.dialog import MAX_TEXT, OTHER, Reply, Router, Turn
from handlers.menu import with_menu

router = Router()


@router.command("person")
@router.action("person")
@router.intent(lambda _: _("person, human, someone, staff, advisor, talk to"))
async def talk_to_a_person(turn: Turn) -> list[Reply]:
    return await hand_over(turn, "asked")


@router.confused
async def after_two_misunderstandings(turn: Turn) -> list[Reply] | None:
    """A member the concierge failed twice gets a person (a stranger gets the menu again)."""
    if turn.member is None or not turn.staff_desk:
        return None
    return await hand_over(turn, "confused")


async def hand_over(turn: Turn, reason: str) -> list[Reply]:
    _ = turn._
    if not turn.staff_desk:
        return [
            with_menu(
                turn, _("Our team cannot be reached from this chat yet: please call the store.")
            )
        ]
    inbound = turn.inbound
    member_id = turn.member.id if turn.member else None
    handoff, new = await turn.uow.handoffs.open(
        member_id, inbound.channel, inbound.address, reason, turn.now
    )
    if new:
        await desk.announce(turn, handoff)
    turn.done()
    if reason == "confused":
        text = _(
            "I am sorry, I still do not understand. I have asked a member of our team to help: "
            "they will answer you here."
        )
    else:
        text = _("Thank you. A member of our team will answer you here as soon as possible.")
    opens = turn.program.opening_hours.next_open(turn.now)
    if opens is not None and opens > turn.now:
        text += "\n" + _(
            "Our team is away at the moment: they will answer you from {day} at {time}."
        ).format(day=turn.speaker.day(opens), time=turn.speaker.time(opens))
    return [Reply(text)]


@router.during_handoff
async def relay(turn: Turn) -> list[Reply]:
    """The bot stays silent: what the member sends goes to the staff topic (words, files, a
    place, a contact card); what cannot be passed on is said plainly to both."""
    _ = turn._
    inbound, handoff = turn.inbound, turn.handoff
    assert handoff is not None
    text = (inbound.text or "").strip()
    if not text and inbound.attachment is None:  # a button from before
        return [Reply(_("You are talking with our team: write your message here."))]
    if len(text) > MAX_TEXT:
        return [Reply(_("That message is too long. Could you send it in a few parts?"))]
    if not text and inbound.attachment is not None and inbound.attachment.kind == OTHER:
        await desk.not_passed_on(turn, handoff)
        return [Reply(_("This kind of message cannot be passed on; please write it in words."))]
    await desk.from_member(turn, handoff)
    return []
