"""The main menu, help, and the answer to anything not understood."""

from __future__ import annotations

from handlers.dialog import Button, Reply, Router, Turn

router = Router()


def main_menu(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    """The buttons every answer can end with; a stranger is offered to link or join."""
    _ = turn._
    if turn.member is None:
        return (
            (Button(_("Join the club"), "join"),),
            (Button(_("Help"), "help"), Button(_("Talk to a person"), "person")),
        )
    return (
        (Button(_("My card"), "card"), Button(_("My points history"), "history")),
        (Button(_("Previews for you"), "events"), Button(_("Appointments"), "appts")),
        (Button(_("Talk to a person"), "person"), Button(_("Preferences"), "prefs")),
        (Button(_("Help"), "help"),),
    )


def with_menu(turn: Turn, text: str) -> Reply:
    """`text` and the main menu; a stranger may share their number, unless the channel knows it."""
    unknown_number = turn.member is None and turn.inbound.verified_phone is None
    share = turn._("Share my phone number") if unknown_number else None
    return Reply(text, main_menu(turn), ask_contact=share)


def link_first(turn: Turn) -> list[Reply]:
    """The answer to a stranger asking for a member's thing."""
    if turn.inbound.verified_phone is not None:  # their number is no member's: only joining
        text = turn._("This is for club members. Would you like to join the club?")
    else:
        text = turn._(
            "This is for club members. Share your phone number to link your membership, "
            "or join the club."
        )
    return [with_menu(turn, text)]


@router.command("menu")
@router.action("menu")
@router.intent(lambda _: _("menu, hello, hi, good morning, good evening"))
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
@router.intent(lambda _: _("help, what can you do"))
async def help_(turn: Turn) -> list[Reply]:
    _ = turn._
    lines = [
        _("I am the concierge of {club}. I can:").format(club=turn.program.club.name),
        _('• show your member card, points and tier ("card")'),
        _('• list your latest points ("history")'),
        _('• show the private previews selected for you, and take your answer ("previews")'),
        _('• book, move or cancel an appointment with our concierge ("appointment")'),
        _('• change what we may send you, your language and time zone ("preferences")'),
        _('• put you in touch with a member of our team ("person")'),
        _('Write "stop" at any time to receive nothing more from us here, "start" to resume.'),
    ]
    return [with_menu(turn, "\n".join(lines))]


@router.otherwise
async def not_understood(turn: Turn) -> list[Reply]:
    return [with_menu(turn, turn._("I am sorry, I did not understand. Here is what I can do:"))]
