"""Text the database cannot keep (NUL, a lone surrogate), written by a member or by staff:
asked again, and nothing of it stored, understood or relayed. A profile name the platform
gives is cleaned instead (nobody can write it again)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.bootstrap import Concierge
from services import members
from storage.models import Member, OutboxMessage, TranscriptLine
from tests.channel.conftest import SECRET, WEBHOOK, ApiCall, Desk, Telegram
from tests.channel.twilio import WhatsApp
from tests.factories import (
    ANNA,
    PHONE,
    TELEGRAM_USER_ID,
    callback_update,
    group_update,
    message_update,
    telegram_user,
    whatsapp_form,
)

AGAIN = "I could not read that message. Could you write it again?"
ME = str(TELEGRAM_USER_ID)


async def post(telegram: Telegram, update: dict[str, Any]) -> list[ApiCall]:
    """An update as Telegram's JSON carries it: a lone surrogate travels as "\\ud800"."""
    before = len(telegram.api.calls)
    response = await telegram.http.post(
        WEBHOOK, content=json.dumps(update), headers={
            "X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return [c for c in telegram.api.calls[before:] if c.method == "sendMessage"]


async def test_a_name_that_cannot_be_kept_is_asked_again_while_joining(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))
    for name in ["Giulia\x00Rossi", "Giulia \ud800Rossi", "Giulia\x1b[0m"]:
        [answer, *_] = await post(telegram, message_update(name))  # then "share my number"

        assert answer.text == AGAIN
        assert ("Join the club", "join") in answer.buttons  # with the menu

    [thanks, *_] = await post(telegram, message_update("Giulia Rossi"))
    assert thanks.text.startswith("Thank you, Giulia Rossi. When is your birthday?")


async def test_on_whatsapp_a_message_with_nul_is_asked_again_with_the_menu(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    async with concierge.db.unit_of_work() as uow:
        await members.add(
            uow, concierge.program, concierge.clock(), PHONE, name="Giulia Rossi", locale="en"
        )
        await uow.commit()

    [answer] = await whatsapp.send(whatsapp_form("card\x00"))

    assert answer.body.startswith(f"{AGAIN}\n1. My card")


async def test_with_staff_unreadable_text_is_asked_again_on_both_sides_and_never_relayed(
    desk: Desk,
) -> None:
    async with desk.concierge.db.unit_of_work() as uow:
        now = desk.concierge.clock()
        giulia = await members.add(uow, desk.concierge.program, now, PHONE, name="Giulia Rossi")
        await uow.identities.link(giulia.id, "telegram", ME, "en", now)
        await uow.staff.add(int(ANNA["id"]), "Anna Bianchi", "concierge", now)
        await uow.commit()
    await desk.telegram.send(callback_update("person"))
    thread = desk.thread_of("Giulia")
    posted = len(desk.api.posts(thread))

    [to_giulia] = await post(desk.telegram, message_update("my ring\x00"))
    await post(desk.telegram, group_update("Of course\ud800", thread=thread))
    await post(desk.telegram, group_update("/note size\x00 52", thread=thread))

    assert to_giulia.text == AGAIN and to_giulia.buttons == []  # staff have the conversation
    assert [c.text for c in desk.api.posts(thread)[posted:]] == [AGAIN, AGAIN]
    async with desk.concierge.db.unit_of_work() as uow:
        lines = list(await uow.session.scalars(select(TranscriptLine.text)))
        bodies = list(await uow.session.scalars(select(OutboxMessage.body)))
    assert not any("\x00" in text or "\ud800" in text for text in lines + bodies)


async def test_a_profile_name_that_cannot_be_kept_is_cleaned(
    desk: Desk,
) -> None:
    stranger = telegram_user(5_550_009, "Gi\x00ulia\ud800")

    await post(desk.telegram, callback_update("person", user=stranger))
    await post(desk.telegram, message_update("hello", user=stranger))

    thread = desk.thread_of("Giulia · Telegram")
    assert desk.api.posts(thread)[-1].text == "Giulia: hello"
    async with desk.concierge.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(Member.id)) is None
