"""The main menu every answer can end with, and the answer to a stranger asking for a
member's thing."""

from __future__ import annotations

from handlers.conversation.dialog import Button, Reply, Turn


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
