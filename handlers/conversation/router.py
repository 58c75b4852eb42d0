"""Who handles what: each capability registers its commands, buttons, states and words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from handlers.conversation.dialog import Reply, Turn
from handlers.conversation.words import nearest, phrases, says_any, says_nearly, words

Handler = Callable[[Turn], Awaitable[list[Reply] | None]]  # None: "not mine", route on
H = TypeVar("H", bound=Handler)  # registering keeps a handler's own type for its callers
Gettext = Callable[[str], str]
Keywords = Callable[[Gettext], str]  # gettext -> "word, other word"


@dataclass
class _Intent:
    keywords: Keywords
    handler: Handler
    urgent: bool
    alone: bool
    first: bool


class Router:
    """Each handlers module registers here what it answers: commands, buttons, states, words."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.actions: dict[str, Handler] = {}
        self.states: dict[str, Handler] = {}
        self.backs: dict[str, Handler] = {}
        self.intents: list[_Intent] = []
        self.on_contact: Handler | None = None
        self.fallback: Handler | None = None
        self.with_staff: Handler | None = None
        self.on_confused: Handler | None = None
        self.ending: Callable[[Turn, Reply], Reply] | None = None

    def command(self, *names: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            for name in names:
                self.commands[name] = handler
            return handler

        return register

    def action(self, prefix: str) -> Callable[[H], H]:
        """Buttons whose id is `prefix` or starts with ``prefix:``."""

        def register(handler: H) -> H:
            self.actions[prefix] = handler
            return handler

        return register

    def state(self, name: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.states[name] = handler
            return handler

        return register

    def back(self, name: str) -> Callable[[H], H]:
        """What "back" does at the question `name`: ask the question before it."""

        def register(handler: H) -> H:
            self.backs[name] = handler
            return handler

        return register

    def intent(
        self, keywords: Keywords, urgent: bool = False, alone: bool = False, first: bool = False
    ) -> Callable[[H], H]:
        """Words (comma-separated, translated per language) that call this handler.

        An urgent intent (STOP) is obeyed even mid-question when a keyword is the whole
        message; one that must stand `alone` (START) is heard only then, and never guessed
        from a typo. One heard `first` outranks the others in a sentence (a wish to stop
        outranks the topic it names).
        """

        def register(handler: H) -> H:
            self.intents.append(_Intent(keywords, handler, urgent, alone, first))
            self.intents.sort(key=lambda intent: not intent.first)  # stable: order kept
            return handler

        return register

    def contact(self, handler: H) -> H:
        """The handler for a shared phone number."""
        self.on_contact = handler
        return handler

    def otherwise(self, handler: H) -> H:
        """The answer to anything nobody else understood."""
        self.fallback = handler
        return handler

    def during_handoff(self, handler: H) -> H:
        """The handler for what a member writes while the conversation is with staff."""
        self.with_staff = handler
        return handler

    def confused(self, handler: H) -> H:
        """The answer when a member was not understood twice in a row."""
        self.on_confused = handler
        return handler

    def way_on(self, ending: Callable[[Turn, Reply], Reply]) -> Callable[[Turn, Reply], Reply]:
        """How an answer with no options of its own is given a way on (the main menu)."""
        self.ending = ending
        return ending

    def include(self, other: Router) -> None:
        self.commands.update(other.commands)
        self.actions.update(other.actions)
        self.states.update(other.states)
        self.backs.update(other.backs)
        self.intents.extend(other.intents)
        self.intents.sort(key=lambda intent: not intent.first)
        self.on_contact = other.on_contact or self.on_contact
        self.fallback = other.fallback or self.fallback
        self.with_staff = other.with_staff or self.with_staff
        self.on_confused = other.on_confused or self.on_confused
        self.ending = other.ending or self.ending

    def for_action(self, action: str) -> Handler | None:
        return self.actions.get(action.split(":", 1)[0])

    def for_button(self, action: str) -> Handler | None:
        """A button's handler: its action's, else the command of that name (a WhatsApp
        template's quick reply may carry "appointments" as its payload)."""
        return self.for_action(action) or self.commands.get(action)

    def for_words(
        self, text: str, languages: Sequence[Gettext], urgent: bool = False
    ) -> Handler | None:
        """The first intent one of whose keywords (in one of `languages`, or English) is said.

        With `urgent`, only urgent intents, and only when a keyword is the whole message: the
        engine gives every language the club speaks then, so STOP is obeyed whatever the
        member's own language.
        """
        said = " ".join(words(text))
        for intent in self.intents:
            if (urgent and not intent.urgent) or (intent.alone and not urgent):
                continue
            listed = _listed(intent, languages)
            if said in phrases(listed) if urgent else says_any(text, listed):
                return intent.handler
        return None

    def for_typos(self, text: str, languages: Sequence[Gettext]) -> tuple[Handler, int] | None:
        """The intent a short message names but for a typo ("crad", "histroy"), when one
        alone comes nearest, and how many typos; never one that must stand alone (STOP only
        as written)."""
        return nearest(
            (intent.handler, says_nearly(text, _listed(intent, languages)))
            for intent in self.intents
            if not intent.alone
        )


def command_name(text: str) -> str | None:
    """The /command a message begins with, as the router names it ("/Card@ShopBot 2" is
    "card"); None when it begins with none."""
    if not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text[1:].strip() else ""


def _listed(intent: _Intent, languages: Sequence[Gettext]) -> str:
    """An intent's keywords in these languages and English."""
    return ",".join(intent.keywords(gettext) for gettext in (*languages, _english))


def _english(message: str) -> str:
    return message
