"""Numbers and ids from outside the chat: a menu number typed on WhatsApp, a button's id on
Telegram, the message a status callback names. Digits of other scripts, signs and numbers
beyond the database's columns get a clear answer and change nothing, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select

from bot.bootstrap import Concierge
from loyalty.dates import LATEST
from loyalty.ids import INT2_MAX, INT4_MAX, INT8_MAX
from services import events, members
from storage.models import Appointment, OutboxMessage, Rsvp
from tests.channel.conftest import Telegram
from tests.channel.twilio import WhatsApp
from tests.conftest import NOW
from tests.factories import (
    PHONE,
    TELEGRAM_USER_ID,
    callback_update,
    message_update,
    status_form,
    whatsapp_form,
)

# Digits of other scripts (int() takes "١" but not "²" or "፩"), a sign, beyond bigint, nothing.
HOSTILE = ["²", "١", "፩", "a²", "-1", "99999999999999999999", ""]
NOT_UNDERSTOOD = "I am sorry, I did not understand. Here is what I can do:\n1. My card"


async def enrol(concierge: Concierge, telegram: bool = False) -> int:
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, now, PHONE, name="Giulia Rossi", locale="en"
        )
        if telegram:
            await uow.identities.link(member.id, "telegram", str(TELEGRAM_USER_ID), "en", now)
        await uow.commit()
        return member.id


async def count(concierge: Concierge, model: type) -> int:
    async with concierge.db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_menu_number_in_another_dress_gets_the_menu_again(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    for text in [t for t in HOSTILE if t]:  # an empty WhatsApp body is no menu answer
        await whatsapp.send(whatsapp_form("Hello"))  # the menu, numbered

        sent = await whatsapp.send(whatsapp_form(text))

        assert sent[0].body.startswith(NOT_UNDERSTOOD), (text, sent[0].body)


async def test_a_button_whose_id_is_not_ours_is_answered_and_changes_nothing(
    telegram: Telegram, concierge: Concierge
) -> None:
    await enrol(concierge, telegram=True)
    async with concierge.db.unit_of_work() as uow:  # event 1: what "١" would have named
        await events.create(
            uow, concierge.program, NOW, title="Emerald preview", capacity=5, plus_ones=1,
            starts_at=NOW.replace(day=30), ends_at=NOW.replace(day=30, hour=13),
        )  # fmt: skip
        await uow.commit()
    stale = "That button is no longer valid. Here is the menu again."
    gone = "This appointment is no longer booked."
    beyond_ids, beyond_guests = str(INT4_MAX + 1), str(INT2_MAX + 1)
    beyond_times = str(int(LATEST.timestamp()) + 1)
    buttons = {  # button: (the answer, a number just beyond what it may hold)
        "ev:{}": (stale, beyond_ids), "rsvp:{}:0": (stale, beyond_ids),
        "rsvp:1:{}": (stale, beyond_guests), "wait:{}": (stale, beyond_ids),
        "ticket:{}": (stale, beyond_ids), "slot:resize:{}": (stale, beyond_times),
        "apt:{}": (gone, beyond_ids), "mv:{}": (gone, beyond_ids), "cx:{}": (gone, beyond_ids),
        "to:{}:1795000000": (gone, beyond_ids),
    }  # fmt: skip
    for button, (expected, beyond) in buttons.items():
        for bad in [*HOSTILE, beyond]:
            calls = await telegram.send(callback_update(button.format(bad)))

            [answer] = [c for c in calls if c.method == "sendMessage"]
            assert answer.text == expected, (button.format(bad), answer.text)
            assert ("My card", "card") in answer.buttons
    assert await count(concierge, Rsvp) == 0
    assert await count(concierge, Appointment) == 0


async def test_the_largest_ids_the_columns_hold_reach_the_database_and_find_nothing(
    telegram: Telegram, concierge: Concierge
) -> None:
    await enrol(concierge, telegram=True)
    for action, expected in [
        (f"ev:{INT4_MAX}", "This event is no longer on."),
        (f"apt:{INT4_MAX}", "This appointment is no longer booked."),
    ]:
        [answer] = [c for c in await telegram.send(callback_update(action))
                    if c.method == "sendMessage"]  # fmt: skip
        assert answer.text == expected


async def test_a_status_callback_naming_no_message_of_ours_is_acknowledged_and_ignored(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    [message] = await whatsapp.send(whatsapp_form("Hello"))  # outbox row 1

    for bad in [*HOSTILE, "01", str(INT8_MAX), str(INT8_MAX + 1)]:
        form = status_form(message.sid, "read")
        response = await whatsapp.post(f"/twilio/status?m={quote(bad)}", form)

        assert response.status_code == 204, bad
    async with concierge.db.unit_of_work() as uow:
        [row] = await uow.session.scalars(select(OutboxMessage))
    assert (row.status, row.provider_id) == ("queued", message.sid)


async def test_a_birthday_in_other_digits_or_beyond_any_calendar_is_asked_again(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia Rossi"))
    for said in ["99999999999999999999/07", "14/99999999999999999999", "١٤/٠٧", "14/07/٢٠٠٠",
                 "²/07", "-1/07", "14/07/12345"]:  # fmt: skip
        calls = await telegram.send(message_update(said))

        [answer] = [c for c in calls if c.method == "sendMessage"]
        assert answer.text.startswith("I could not read that date."), (said, answer.text)
    [calls] = [
        c for c in await telegram.send(message_update("14/07")) if c.method == "sendMessage"
    ]
    assert calls.text.startswith("May we send you our wishes on your birthday?")
