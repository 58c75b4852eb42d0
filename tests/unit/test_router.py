"""Who answers words: keywords said, a typo forgiven in a short message, STOP never guessed,
and a wish to stop heard before the topic it names."""

from __future__ import annotations

from handlers import router as full_router
from handlers.conversation.menu import escape
from handlers.conversation.router import Router
from locales import translations

ROUTER = full_router()
EN, FR, IT = (translations(code).gettext for code in ("en", "fr", "it"))


def named(handler: object) -> str | None:
    return getattr(handler, "__name__", None)


def test_a_typo_finds_the_one_capability_it_comes_nearest() -> None:
    found = ROUTER.for_typos("histroy", [EN])
    assert found is not None and named(found[0]) == "show_history" and found[1] == 1
    found = ROUTER.for_typos("rendez-vosu", [FR])
    assert found is not None and named(found[0]) == "overview"


def test_stop_is_never_guessed_from_a_typo_nor_obeyed_in_a_sentence() -> None:
    assert named(ROUTER.for_words("stop", [EN], urgent=True)) == "stop"
    assert ROUTER.for_words("stpo", [EN], urgent=True) is None
    typo = ROUTER.for_typos("stpo", [EN])  # heard as a wish to stop: explained, not obeyed
    assert typo is not None and named(typo[0]) == "wish_to_stop"
    sentence = ROUTER.for_words("please stop sending me invitations to events", [EN])
    assert named(sentence) == "wish_to_stop"  # before "events", the topic it names


def test_a_long_message_is_not_guessed_at() -> None:
    assert ROUTER.for_typos("I would like to see my crad and my points history", [EN]) is None


def test_leaving_words_are_heard_in_every_club_language() -> None:
    languages = [EN, FR, IT]
    assert [escape(said, languages) for said in ("Menu", "retour", "Annulla", "back!")] == [
        "menu", "back", "menu", "back",
    ]  # fmt: skip
    assert escape("back to the menu please", languages) is None  # only the whole message


def test_an_intent_heard_first_outranks_one_registered_before_it() -> None:
    router = Router()

    async def topic(turn: object) -> None: ...

    async def wish(turn: object) -> None: ...

    router.intent(lambda _: "events")(topic)
    router.intent(lambda _: "stop", first=True)(wish)
    assert router.for_words("stop the events", [EN]) is wish
