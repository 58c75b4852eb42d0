"""Reading what a member wrote: words compared without case, accents or punctuation, and
options answered by their number or their words."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from handlers.conversation.dialog import Button, Reply
from loyalty.ids import parse_id
from loyalty.text import normalize


def options(replies: list[Reply]) -> list[Button]:
    """Every button of a turn in reading order: what 1, 2, 3... mean where buttons are text."""
    return [button for reply in replies for row in reply.buttons for button in row]


def pick(text: str, offered: list[list[str]]) -> str | None:
    """The action of the option a member answered: its number, or its words.

    `offered` holds [label, action] pairs in order. A number is ASCII digits ("3", "3.");
    one in another dress ("²", "١", "-1") is no option, and no words either. The words match
    when they are the option's whole label, or when they occur in exactly one option's label.
    """
    said = " ".join(normalize(text).split())
    if said.isdigit():
        number = parse_id(text.strip().rstrip(".)").rstrip(), high=len(offered))
        return offered[number - 1][1] if number is not None else None
    if not said:
        return None
    labels = [(" ".join(normalize(label).split()), action) for label, action in offered]
    for label, action in labels:
        if label == said:
            return action
    within = {action for label, action in labels if f" {said} " in f" {label} "}
    return within.pop() if len(within) == 1 else None


def says_any(text: str, keywords: str) -> bool:
    """Whether `text` holds one of the comma-separated words or phrases, as whole words."""
    said = f" {' '.join(normalize(text).split())} "
    return any(f" {phrase} " in said for phrase in phrases(keywords))


def yes_or_no(text: str, _: Callable[[str], str]) -> bool | None:
    """A written yes (True) or no (False), in the member's language or English; None when it
    is neither, or both."""
    yes = says_any(text, _("yes, gladly, ok, sure") + ", yes")
    no = says_any(text, _("no, no thanks") + ", no")
    return yes if yes != no else None


@lru_cache(maxsize=256)
def phrases(keywords: str) -> tuple[str, ...]:
    """A keyword list, normalized once (it is read on every message)."""
    phrases = (" ".join(normalize(k).split()) for k in keywords.split(","))
    return tuple(phrase for phrase in phrases if phrase)
