"""Reading what a member wrote: words compared without case, accents or punctuation, and
options answered by their number or their words; a typo in a word is forgiven (rapidfuzz)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from rapidfuzz.distance import OSA

from handlers.conversation.dialog import Button, Reply
from loyalty.ids import parse_id
from loyalty.text import normalize

T = TypeVar("T")
Words = tuple[str, ...]
FUZZY_WORDS = 4  # a message longer than this is free text: its words are not guessed at


def words(text: str) -> Words:
    return tuple(normalize(text).split())


def options(replies: list[Reply]) -> list[Button]:
    """Every button of a turn in reading order: what 1, 2, 3... mean where buttons are text."""
    return [button for reply in replies for row in reply.buttons for button in row]


def pick(text: str, offered: list[list[str]]) -> str | None:
    """The action of the option a member answered exactly: its number, or its whole label.

    `offered` holds [label, action] pairs in order. A number is ASCII digits ("3", "3.");
    one in another dress ("²", "١", "-1") is no option, and no words either.
    """
    said = " ".join(words(text))
    if said.isdigit():
        number = parse_id(text.strip().rstrip(".)").rstrip(), high=len(offered))
        return offered[number - 1][1] if number is not None else None
    return next((action for label, action in offered if said and " ".join(words(label)) == said),
                None)  # fmt: skip


def pick_within(text: str, offered: list[list[str]]) -> str | None:
    """The option whose label holds the member's words ("later", "guest"), when one alone
    does."""
    said = " ".join(words(text))
    if not said or said.isdigit():
        return None
    within = {action for label, action in offered if f" {said} " in f" {' '.join(words(label))} "}
    return within.pop() if len(within) == 1 else None


def pick_nearly(text: str, offered: list[list[str]]) -> tuple[str, int] | None:
    """The option whose label holds a short message's words but for a typo ("laterr",
    "crad"), when one option alone comes nearest; and how many typos."""
    said = words(text)
    if not said or len(said) > FUZZY_WORDS or "".join(said).isdigit():
        return None
    return nearest((action, edits(said, words(label))) for label, action in offered)


def says_any(text: str, keywords: str) -> bool:
    """Whether `text` holds one of the comma-separated words or phrases, as whole words."""
    said = f" {' '.join(words(text))} "
    return any(f" {phrase} " in said for phrase in phrases(keywords))


def yes_or_no(text: str, _: Callable[[str], str]) -> bool | None:
    """A written yes (True) or no (False), in the member's language or English; None when it
    is neither, or both."""
    yes = says_any(text, _("yes, gladly, ok, sure") + ", yes")
    no = says_any(text, _("no, no thanks") + ", no")
    return yes if yes != no else None


def says_nearly(text: str, keywords: str) -> int | None:
    """The fewest typos with which one of the keywords occurs in a short message; None: no
    keyword does, or the message is too long to be guessed at."""
    said = words(text)
    if len(said) > FUZZY_WORDS:
        return None
    found = [edits(tuple(phrase.split()), said) for phrase in phrases(keywords)]
    return min((n for n in found if n is not None), default=None)


def edits(needle: Words, haystack: Words) -> int | None:
    """The fewest typos with which `needle` occurs as whole words in `haystack` (None: not
    within each word's allowance: none under 4 letters, one under 8, else two)."""
    best = None
    for start in range(len(haystack) - len(needle) + 1):
        total = 0
        for want, got in zip(needle, haystack[start : start + len(needle)], strict=True):
            allowed = 0 if len(want) < 4 else 1 if len(want) < 8 else 2
            found = OSA.distance(want, got, score_cutoff=allowed)
            if found > allowed:
                break
            total += found
        else:
            best = total if best is None else min(best, total)
    return best if needle else None


def nearest(found: Iterable[tuple[T, int | None]]) -> tuple[T, int] | None:
    """The one choice with the fewest typos, and how many; None when none is near, or two
    tie."""
    scored = [(n, choice) for choice, n in found if n is not None]
    if not scored:
        return None
    fewest = min(n for n, _ in scored)
    chosen = {choice for n, choice in scored if n == fewest}
    return (chosen.pop(), fewest) if len(chosen) == 1 else None


@lru_cache(maxsize=256)
def phrases(keywords: str) -> tuple[str, ...]:
    """A keyword list, normalized once (it is read on every message)."""
    phrases = (" ".join(normalize(k).split()) for k in keywords.split(","))
    return tuple(phrase for phrase in phrases if phrase)
