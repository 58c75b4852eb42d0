"""What staff read in their group is in the club's staff language and speaks of the member
in the third person, by name; without a staff group, *Talk to a person* gives the store's
phone and opening hours instead of a conversation nobody would read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import Concierge
from services import events
from tests.channel.conftest import Desk, FakeTelegram, Telegram, desk_settings, running_desk
from tests.channel.test_console import ADDRESS, console
from tests.channel.test_handoff import GIULIA, ME, enrol, link, with_staff
from tests.channel.test_whatsapp import enrol as enrol_on_whatsapp
from tests.channel.twilio import FakeTwilio, WhatsApp
from tests.factories import PHONE, callback_update, message_update, whatsapp_form

# what each language must say on the context card and the STOP notice; and never say of
# the member
SAID = {
    "en": ["Asked to talk to a person.", "Next badge within Giulia's reach: First piece",
           "• Fri, Nov 27 · Emerald preview · coming",
           "Giulia wrote STOP: nothing more is sent to this chat. Conversation closed."],
    "fr": ["A demandé à parler à un conseiller.",
           "Prochaine distinction à la portée de Giulia : Première pièce",
           "Emerald preview · vient",
           "Giulia a écrit STOP : plus rien n'est envoyé dans cette conversation."],
    "it": ["Ha chiesto di parlare con un consulente.",
           "Prossimo riconoscimento alla portata di Giulia: Primo gioiello",
           "Emerald preview · viene",
           "Giulia ha scritto STOP: in questa chat non viene più inviato nulla."],
}  # fmt: skip
NEVER = {"en": ["your", "you "], "fr": ["votre", "vous"], "it": ["Sua ", "Lei "]}


@pytest.fixture(params=["en", "fr", "it"])
async def staff_desk(
    request: pytest.FixtureRequest, concierge: Concierge, api: FakeTelegram, twilio: FakeTwilio
) -> AsyncIterator[Desk]:
    """The desk of a club whose staff read French, Italian or English."""
    club = concierge.program.club.model_copy(update={"staff_language": request.param})
    program = concierge.program.model_copy(update={"club": club})
    with_language = replace(concierge, program=program)
    async with running_desk(
        replace(with_language, settings=desk_settings(with_language)), api, twilio
    ) as on:
        yield on


async def test_staff_read_the_card_and_notices_in_their_language_in_the_third_person(
    staff_desk: Desk,
) -> None:
    concierge = staff_desk.concierge
    language = concierge.program.club.staff_language
    assert language is not None
    member_id = await enrol(concierge, PHONE, "Giulia Rossi")  # she reads English
    await link(concierge, member_id, "telegram", ME)
    async with concierge.db.unit_of_work() as uow:
        now = concierge.clock()
        preview = await events.create(
            uow, concierge.program, now, title="Emerald preview", capacity=5,
            starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
        )  # fmt: skip
        await uow.rsvps.add(event_id=preview.id, member_id=member_id, status="going",
                            plus_ones=0, answered_at=now)  # fmt: skip
        await uow.commit()

    thread = await with_staff(staff_desk)
    await staff_desk.telegram.send(message_update("STOP", user=GIULIA))

    [card, *_, notice] = staff_desk.api.posts(thread)
    for expected in SAID[language][:3]:
        assert expected in card.text
    assert notice.text.startswith(SAID[language][3])
    about = card.text.rsplit("\n\n", 2)[0]  # the talk so far and the how-to for staff aside
    for text in (about, notice.text):
        assert not any(word in text for word in NEVER[language]), text
    assert "will answer you here" in staff_desk.api.to(ME)[-2].text  # the member's English


async def test_without_a_staff_group_a_person_means_the_store_phone_and_hours(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge, PHONE, "Giulia Rossi")
    await link(concierge, member_id, "telegram", ME)

    [answer] = [c for c in await telegram.send(callback_update("person")) if c.text]

    lines = answer.text.splitlines()
    assert lines[0] == (
        "Our team does not answer in this chat: please call the store at +39 02 7601 2345."
    )
    assert lines[1] == "Opening hours:"
    assert [line.split(":")[0] for line in lines[2:]] == ["Tue–Fri", "Sat"]
    assert "callback_data" in answer.params["reply_markup"]  # the menu, a way on
    assert staff_desk_posts(telegram) == []


def staff_desk_posts(telegram: Telegram) -> list[str]:
    return [c.text for c in telegram.api.sent() if c.chat_id.startswith("-100")]


async def test_without_a_staff_group_in_italian_on_whatsapp(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol_on_whatsapp(concierge, locale="it")

    [answer] = await whatsapp.send(whatsapp_form("vorrei parlare con una persona"))

    assert answer.body.startswith(
        "Il nostro team non risponde in questa chat: chiami il negozio al numero "
        "+39 02 7601 2345.\nOrari di apertura:\nmar–ven: 10:00–19:00\n"
        "sab: 10:00–13:00, 14:00–19:00\n1. "
    )


async def test_without_a_staff_group_or_phone_in_french_at_the_console(
    concierge: Concierge, tmp_path: Path
) -> None:
    store = concierge.program.store.model_copy(update={"phone": None})
    concierge = replace(concierge, program=concierge.program.model_copy(update={"store": store}))
    member_id = await enrol(concierge, PHONE, "Giulia Rossi", locale="fr")
    await link(concierge, member_id, "console", ADDRESS)
    await console(concierge, tmp_path).verify(
        [
            ("person", "Notre équipe ne répond pas dans cette conversation : passez nous voir à "
                       "la boutique.\nHoraires d'ouverture :\nmar.–ven. : 10:00–19:00"),
        ]
    )  # fmt: skip
