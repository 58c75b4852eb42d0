"""The main menu, help, and the answer to anything not understood."""

from __future__ import annotations

from handlers.conversation.dialog import Reply, Turn
from handlers.conversation.menu import way_on, with_menu
from handlers.conversation.router import Router

router = Router()
router.way_on(way_on)


@router.command("menu", "club")  # /club: the way in where the club shares a shop's bot
@router.action("menu")
@router.intent(
    lambda _: _("menu, main menu, hello, hi, good morning, good evening, good afternoon")
)
async def menu(turn: Turn) -> list[Reply]:
    _ = turn._
    turn.done()
    if turn.member is None and turn.inbound.verified_phone is not None:
        welcome = _(
            "Welcome to {club}. I cannot find a membership with this number yet. Would you "
            "like to join the club?"
        )
        return [with_menu(turn, welcome.format(club=turn.program.club.name))]
    if turn.member is None:
        welcome = _(
            "Welcome to {club}. Are you already a member? Share your phone number to link "
            "your membership, or join the club."
        )
        return [with_menu(turn, welcome.format(club=turn.program.club.name))]
    if turn.member.name:
        return [with_menu(turn, _("How may I help you, {name}?").format(name=turn.member.name))]
    return [with_menu(turn, _("How may I help you?"))]


@router.command("help")
@router.action("help")
@router.intent(lambda _: _("help, what can you do, how does it work, options, commands"))
async def help_(turn: Turn) -> list[Reply]:
    _ = turn._
    lines = [
        _("I am the concierge of {club}. I can:").format(club=turn.program.club.name),
        _('• show your member card, points and tier ("card")'),
        _('• list your latest points ("history")'),
        _('• show the rewards your points can take, and your vouchers ("rewards")'),
        _('• show the private previews selected for you, and take your answer ("previews")'),
        _('• book, move or cancel an appointment with our concierge ("appointment")'),
        _('• change what we may send you, your language and time zone ("preferences")'),
        _('• put you in touch with a member of our team ("person")'),
        _('• tell you our opening hours and where to find us ("opening hours", "address")'),
        _('Write "menu" to leave any question, "back" to go one question back.'),
        _('Write "stop" at any time to receive nothing more from us here, "start" to resume.'),
    ]
    return [with_menu(turn, "\n".join(lines))]


@router.otherwise
async def not_understood(turn: Turn) -> list[Reply]:
    return [with_menu(turn, turn._("I am sorry, I did not understand. Here is what I can do:"))]
