"""The main menu every answer can end with, the words that lead back to it from any
question, and the answer to a stranger asking for a member's thing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.words import phrases, words

Escape = Literal["back", "menu"]


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
        (Button(_("Help"), "help"), Button(_("Rewards"), "rewards")),
    )


def with_menu(turn: Turn, text: str) -> Reply:
    """`text` and the main menu; a stranger may share their number, unless the channel knows it."""
    return way_on(turn, Reply(text))


def way_on(turn: Turn, reply: Reply) -> Reply:
    """`reply` ending with the main menu (and, for a stranger, sharing their number)."""
    unknown_number = turn.member is None and turn.inbound.verified_phone is None
    share = turn._("Share my phone number") if unknown_number else None
    return replace(reply, buttons=main_menu(turn), ask_contact=share)


def escape(text: str, languages: Sequence[Callable[[str], str]]) -> Escape | None:
    """Whether the whole message asks to leave the question: "back" one question, or to
    the "menu" ("menu", "cancel"), in any of `languages` or English."""
    said = " ".join(words(text))
    readers: tuple[Callable[[str], str], ...] = (*languages, str)  # str: the English as written
    for gettext in readers:
        if said in phrases(gettext("back, go back, previous")):
            return "back"
        if said in phrases(gettext("menu, main menu, cancel, home, never mind")):
            return "menu"
    return None


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
