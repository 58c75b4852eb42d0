"""The conversation suite: one set of scenarios run over every channel (terminal, Telegram,
WhatsApp, Telegram through a shop's aiogram bot) and every club language. Every capability
is reached by its number, its words and its words with a typo; every question is left with
"menu" and "back"; no answer leaves the member without a way on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from bot.settings import load_program
from loyalty.program import EventRules
from services import members
from storage.models import Member
from tests.channel.chats import (
    CHANNELS,
    LANGUAGES,
    Answer,
    Chat,
    Where,
    member,
    open_chat,
    preview,
    words,
)
from tests.storage.test_appointments import anna

# what each capability's answer holds, its main menu label, and what a member may write for
# it in each language: its words, then the same with a typo
CAPABILITIES = {
    "card": ("Show this code at the till.", "My card"),
    "history": ("No points yet: they will appear here with your first purchase.",
                "My points history"),
    "events": ("Selected for you:", "Previews for you"),
    "appointments": ("What would you like to book?", "Appointments"),
    "person": ("Our team does not answer in this chat: please call the store at {phone}.",
               "Talk to a person"),
    "preferences": ("Your preferences", "Preferences"),
    "help": ("I am the concierge of {club}. I can:", "Help"),
    "visit": ("Opening hours (store time):", None),
    "rewards": ("No reward within your points yet.", "Rewards"),
    "vouchers": ("You hold no voucher now.", None),
}  # fmt: skip
SAID = {
    "en": {
        "card": ["card", "badges", "balance", "crad"],
        "history": ["history", "statement", "histroy"],
        "events": ["previews", "trunk show", "previwes"],
        "appointments": ["appointment", "book", "appointmnet"],
        "person": ["talk to a person", "persom"],
        "preferences": ["preferences", "settings", "prefrences"],
        "help": ["help", "what can you do", "hepl"],
        "visit": ["opening hours", "where are you", "opening hurs"],
        "rewards": ["rewards", "redeem my points", "rewrads"],
        "vouchers": ["my vouchers", "vouchers", "vuochers"],
    },
    "fr": {
        "card": ["carte", "badges", "solde", "catre"],
        "history": ["historique", "historiqeu"],
        "events": ["avant-premières", "avant-premiers"],
        "appointments": ["rendez-vous", "rendez-vosu"],
        "person": ["conseiller", "conseiler"],
        "preferences": ["préférences", "paramètres", "preferneces"],
        "help": ["aide", "aied"],
        "visit": ["horaires", "où êtes-vous ?", "horaries"],
        "rewards": ["récompenses", "utiliser mes points", "recompenes"],
        "vouchers": ["mes bons", "bons d'achat", "mes bonss"],
    },
    "it": {
        "card": ["tessera", "saldo", "badge", "tesera"],
        "history": ["storico", "storcio"],
        "events": ["anteprime", "antepirme"],
        "appointments": ["appuntamento", "appuntamneto"],
        "person": ["persona", "persnoa"],
        "preferences": ["preferenze", "impostazioni", "preferneze"],
        "help": ["aiuto", "aiuot"],
        "visit": ["orari", "dove siete?", "orai"],
        "rewards": ["premi", "usare i miei punti", "prmei"],
        "vouchers": ["i miei buoni", "voucher", "i miei buini"],
    },
}
# "menu", "back", "cancel" as a member writes them in each language
LEAVE = {"en": ("menu", "back", "cancel"), "fr": ("menu", "retour", "annuler"),
         "it": ("menu", "indietro", "annulla")}  # fmt: skip


@pytest.fixture
def concierge(concierge: Concierge) -> Concierge:
    """The demo club without its tier priority: every member may answer an event at once."""
    return replace(
        concierge, program=concierge.program.model_copy(update={"events": EventRules()})
    )


@pytest.fixture(params=CHANNELS)
def channel(request: pytest.FixtureRequest) -> Where:
    """Each channel in turn, with its web app (or the shop's bot) running where it has one."""
    name = request.param
    return name, request.getfixturevalue(name) if name != "console" else None


async def step(chat: Chat, text: str, holds: str, alone: bool = False) -> Answer:
    """Write `text`; the answer holds `holds` and, unless it is a one-line STOP or START,
    ends with a way on."""
    answer = await chat.say(text)
    assert holds in answer.text, f"{text!r} -> {answer.text!r}, expected {holds!r}"
    assert alone or answer.options, f"{text!r} -> {answer.text!r} offers no way on"
    return answer


def expected(capability: str, language: str, club: str) -> str:
    """What the answer holds, in `language`: the demo program's club name and phone filled."""
    phone = load_program(None).store.phone
    return words(language)(CAPABILITIES[capability][0]).format(club=club, phone=phone)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_capability_by_number_by_words_and_with_a_typo(
    channel: Where, language: str, concierge: Concierge,
    tmp_path: Path,
) -> None:  # fmt: skip
    await member(concierge, language)
    await preview(concierge)
    chat = open_chat(channel, concierge, tmp_path, language)
    _, club = words(language), concierge.program.club.name
    hello = _("How may I help you, {name}?").format(name="Giulia Rossi")
    last = await step(chat, "menu", hello)
    for capability, (_holds, label) in CAPABILITIES.items():
        if label is not None:  # by its number in the main menu (which most answers end with)
            if _(label) not in last.options:
                last = await step(chat, "menu", hello)
            last = await step(chat, last.number(_(label)), expected(capability, language, club))
        for said in SAID[language][capability]:  # by its words, from wherever the member is
            last = await step(chat, said, expected(capability, language, club))


async def test_joining_is_left_with_menu_and_back_at_every_question(
    channel: Where, concierge: Concierge, tmp_path: Path
) -> None:
    chat = open_chat(channel, concierge, tmp_path, stranger=True)
    name, join = "What name should we use for you?", "Join the club"
    birthday, consent = "When is your birthday?", "May we send you our wishes on your birthday?"
    menu = await step(chat, "menu", "Welcome to Maison Aurelia.")
    await step(chat, menu.number(join), name)
    await step(chat, "back", "Welcome to Maison Aurelia.")  # no question before: the menu
    await step(chat, "join the club", name)
    await step(chat, "Giulia", birthday)
    await step(chat, "back", name)
    await step(chat, "Giulia", birthday)
    await step(chat, "someday", "I could not read that date.")  # asked again
    await step(chat, "14/07", consent)
    await step(chat, "back", birthday)
    await step(chat, "14/07", consent)
    await step(chat, "yes", "May we remember your anniversaries")
    await step(chat, "back", consent)
    menu = await step(chat, "menu", "Welcome to Maison Aurelia.")
    assert join in menu.options
    await step(chat, "Giulia", "I am sorry, I did not understand.")  # the question was left
    await step(chat, "join", name)
    await step(chat, "/start", "Welcome to Maison Aurelia.")
    await step(chat, "I would like to sign up", name)
    await step(chat, "cancel", "No problem. You can join at any time.")
    async with concierge.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Member)) == 0


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_time_zone_question_never_swallows_a_way_out(
    channel: Where, language: str, concierge: Concierge,
    tmp_path: Path,
) -> None:  # fmt: skip
    member_id = await member(concierge, language)
    chat = open_chat(channel, concierge, tmp_path, language)
    _, club = words(language), concierge.program.club.name
    menu_word, back, _cancel = LEAVE[language]
    ask = _(
        "Which city do you live in, or near? Write its name in any language, or choose one "
        "below. Skip keeps your time zone as it is ({zone})."
    ).format(zone=concierge.program.club.timezone)
    prefs = await step(chat, SAID[language]["preferences"][0], _("Your preferences"))
    for said, holds in [
        (menu_word, _("How may I help you, {name}?").format(name="Giulia Rossi")),
        (back, _("Your preferences")),
        ("back", _("Your preferences")),  # in English, the screen's own Back is pressed
        (SAID[language]["card"][0], expected("card", language, club)),
        (SAID[language]["help"][0], expected("help", language, club)),
        ("/start", _("How may I help you, {name}?").format(name="Giulia Rossi")),
        ("Qwzxv Plkj", _("I do not know that place. Please write a large city near you.")),
    ]:
        prefs = await step(chat, SAID[language]["preferences"][0], _("Your preferences"))
        await step(chat, prefs.number(_("Time zone")), ask)
        await step(chat, said, holds)
    await step(chat, "1", _("Your preferences"))  # after "I do not know that place": Skip
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None and found.timezone is None  # no answer was taken as a place


@pytest.mark.parametrize("language", LANGUAGES)
async def test_booking_questions_are_left_with_back_and_menu(
    channel: Where, language: str, concierge: Concierge,
    tmp_path: Path,
) -> None:  # fmt: skip
    await member(concierge, language)
    await anna(concierge)  # the club's concierge, Tuesday to Saturday
    chat = open_chat(channel, concierge, tmp_path, language)
    _ = words(language)
    menu_word, back, _cancel = LEAVE[language]
    service = concierge.program.services["design_consultation"].name[language]
    which_day = _("Which day would suit you for {service}?").format(service=service)
    times = _("Free times on {day} (your time):").split("{day}")[0]
    note = _(
        "Would you like to add a note for us: a ring size, the piece you will bring, or a "
        "photo? Write it here, or:"
    )
    await step(chat, SAID[language]["appointments"][0], expected("appointments", language, ""))
    first = await step(chat, service, which_day)
    later = await step(chat, _("Later days"), which_day)  # the words of a sub-menu's option
    assert later.options[0] != first.options[0]
    await step(chat, "1", times)
    await step(chat, "1", note)
    await step(chat, back, times)  # one question back: that day's times
    await step(chat, "1", note)
    await step(chat, menu_word, _("How may I help you, {name}?").format(name="Giulia Rossi"))
    await step(chat, "Size 52", _("I am sorry, I did not understand. Here is what I can do:"))


async def test_an_events_words_answer_it_and_every_answer_has_a_way_on(
    channel: Where, concierge: Concierge, tmp_path: Path
) -> None:
    member_id = await member(concierge, "en")
    await preview(concierge, "Emerald preview")
    chat = open_chat(channel, concierge, tmp_path)
    await step(chat, "previews", "Selected for you:")
    await step(chat, "Emerald preview", "Where: Via Montenapoleone 3")
    await step(chat, "I will come with a guest", "You are expected at Emerald preview")
    await step(chat, "previews", "Selected for you:")
    await step(chat, "emerald", "Where: Via Montenapoleone 3")
    ticket = await step(chat, "my ticket", "Show this code at the door.")
    await step(chat, ticket.number("My card"), "Show this code at the till.")
    await step(chat, "opening hours", "Saturday: 10:00\u202fAM – 1:00\u202fPM")
    await step(chat, "where are you", "Where: Via della Spiga 12, 20121 Milano")
    await step(chat, "please stop sending me messages", "write STOP alone")
    await step(chat, "stop", "You will receive nothing more from us on", alone=True)
    await step(chat, "1", "Show this code at the till.")  # read against the main menu
    await step(chat, "start", "Welcome back", alone=True)
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        standing = await members.consents(uow, found)
    assert all(granted for (purpose, _), granted in standing.items() if purpose.value == "events")


async def test_a_stranger_stopping_gets_the_menu(
    channel: Where, concierge: Concierge, tmp_path: Path
) -> None:
    chat = open_chat(channel, concierge, tmp_path, stranger=True)
    await step(chat, "stop", "We have nothing to stop: we send you nothing.")
    await step(chat, "1", "What name should we use for you?")  # 1: Join the club
