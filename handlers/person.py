"""Talk to a person: the request is recorded; the handoff to staff builds on it."""

from __future__ import annotations

from handlers.dialog import Reply, Router, Turn
from handlers.menu import with_menu

router = Router()


@router.command("person")
@router.action("person")
@router.intent(lambda _: _("person, human, someone, staff, advisor, talk to"))
async def talk_to_a_person(turn: Turn) -> list[Reply]:
    inbound = turn.inbound
    member_id = turn.member.id if turn.member else None
    _, new = await turn.uow.handoffs.request(member_id, inbound.channel, inbound.address, turn.now)
    if new:
        text = turn._("Thank you. A member of our team will answer you here as soon as possible.")
    else:
        text = turn._("Your request is with our team: they will answer you here.")
    return [with_menu(turn, text)]
