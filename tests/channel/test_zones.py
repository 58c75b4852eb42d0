"""The time-zone question on every channel: the store's city first, cities by the names
people write in each club language, a typo's nearest name to confirm, and a skip that keeps
the zone."""

from __future__ import annotations

import json
from pathlib import Path

from bot.bootstrap import Concierge
from tests.channel.conftest import Telegram
from tests.channel.test_console import ADDRESS, console
from tests.channel.test_whatsapp import enrol
from tests.channel.twilio import WhatsApp
from tests.factories import TELEGRAM_USER_ID, callback_update, message_update, whatsapp_form

ME = str(TELEGRAM_USER_ID)


async def zone_of(concierge: Concierge, member_id: int) -> str | None:
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        return member.timezone


async def on_telegram(concierge: Concierge) -> int:
    member_id = await enrol(concierge)
    async with concierge.db.unit_of_work() as uow:
        await uow.identities.link(member_id, "telegram", ME, "en", concierge.clock())
        await uow.commit()
    return member_id


async def test_telegram_offers_the_store_city_first_and_confirms_a_typo(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await on_telegram(concierge)
    [question] = [c for c in await telegram.send(callback_update("tz")) if c.text]
    assert question.text.startswith("Which city do you live in, or near?")
    keyboard = json.loads(question.params["reply_markup"])["inline_keyboard"]
    assert keyboard[0][0] == {"text": "Milan", "callback_data": "tz:Europe/Rome"}
    assert [b["callback_data"] for b in keyboard[-1]] == ["tz:skip", "prefs"]

    await telegram.dialog(
        [
            (message_update("Munchenn"), "Did you mean Munchen (Germany)?"),
            (message_update("yes"), "Munchen (Germany): your time zone is now Europe/Berlin."),
        ]
    )
    assert await zone_of(concierge, member_id) == "Europe/Berlin"

    await telegram.send(callback_update("tz"))
    await telegram.dialog(
        [
            (message_update("Zurihc"), "Did you mean Zürich (Switzerland)?"),
            (callback_update("tz:no"), "Then please write the city's name again."),
            (message_update("New York"), "your time zone is now America/New_York."),
        ]
    )
    assert await zone_of(concierge, member_id) == "America/New_York"


async def test_telegram_an_unknown_place_leaves_ways_on_and_skip_keeps_the_zone(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await on_telegram(concierge)
    await telegram.send(callback_update("tz"))
    [unknown] = [c for c in await telegram.send(message_update("xyzzyq")) if c.text]
    assert unknown.text == "I do not know that place. Please write a large city near you."
    assert "tz:skip" in unknown.params["reply_markup"]

    await telegram.dialog([(message_update("skip"), "Nothing changed: your time zone stays")])
    await telegram.dialog([(callback_update("tz:yes"), "That button is no longer valid.")])
    assert await zone_of(concierge, member_id) is None  # the store's, as before


async def test_whatsapp_in_italian_by_numbers_and_words(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge, locale="it")

    async def said(text: str) -> str:
        return "\n".join(s.body for s in await whatsapp.send(whatsapp_form(text)))

    await said("preferences")
    question = await said("3")  # Time zone
    assert question.startswith("In quale città vive, o vicino a quale città?")
    assert "1. Milano\n2. Londra\n3. Parigi\n4. New York\n5. Dubai\n6. Salta" in question
    assert "Ginevra (Svizzera): il Suo fuso orario è ora Europe/Zurich." in await said("Ginevra")
    assert await zone_of(concierge, member_id) == "Europe/Zurich"

    await said("3")
    assert "Intendeva Firenze (Italia)?\n1. Sì\n2. No" in await said("Firenzze")
    assert "il Suo fuso orario è ora Europe/Rome" in await said("1")
    assert await zone_of(concierge, member_id) == "Europe/Rome"

    await said("3")
    assert "Nulla è cambiato: il Suo fuso orario resta Europe/Rome." in await said("salta")
    await said("3")
    assert "Londra: il Suo fuso orario è ora Europe/London." in await said("2")
    await said("3")
    assert "Milano: il Suo fuso orario è ora Europe/Rome." in await said("1")  # the store's


async def test_the_console_in_french_knows_geneve_and_monaco_di_baviera(
    concierge: Concierge, tmp_path: Path
) -> None:
    member_id = await enrol(concierge, locale="fr")
    async with concierge.db.unit_of_work() as uow:
        await uow.identities.link(member_id, "console", ADDRESS, None, concierge.clock())
        await uow.commit()
    dialog = console(concierge, tmp_path)
    await dialog.verify(
        [
            ("preferences", "Fuseau horaire"),
            ("3", "  1. Milan\n  2. Londres"),
            ("Genève", "Genève (Suisse) : votre fuseau horaire est désormais Europe/Zurich."),
            ("3", "Dans quelle ville vivez-vous"),
            ("Milna", "Milan : votre fuseau horaire est désormais Europe/Rome."),  # the button
            ("3", "Dans quelle ville vivez-vous"),
            ("Florenec", "Vouliez-vous dire Florence (Italie) ?"),
            ("non", "Écrivez alors à nouveau le nom de la ville"),
            ("Monaco di Baviera", "votre fuseau horaire est désormais Europe/Berlin."),
            ("3", "Dans quelle ville vivez-vous"),
            ("non", "Rien n'a changé : votre fuseau horaire reste Europe/Berlin."),
        ]
    )
    assert await zone_of(concierge, member_id) == "Europe/Berlin"
