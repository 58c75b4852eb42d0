"""Previews in the chat: what is selected for a member, RSVP, waitlist, tickets, .ics, and
the messages about events the dispatcher sends."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.bootstrap import Concierge
from loyalty.consent import Channel, Purpose
from loyalty.program import EventRules
from services import events, hosting, members
from tests.calendars import strict
from tests.channel.conftest import ApiCall, Telegram, sender
from tests.channel.twilio import WhatsApp
from tests.factories import PHONE, TELEGRAM_USER_ID, callback_update, telegram_user, whatsapp_form

ME = str(TELEGRAM_USER_ID)


def said(calls: list[ApiCall]) -> list[ApiCall]:
    """What the bot sent (the button's acknowledgement left out)."""
    return [c for c in calls if c.method.startswith("send")]


LUCA = telegram_user(5_550_002, "Luca")


@pytest.fixture
def concierge(concierge: Concierge) -> Concierge:
    """The demo club without its tier priority: every member may answer at once."""
    return replace(
        concierge, program=concierge.program.model_copy(update={"events": EventRules()})
    )


async def enrol(
    concierge: Concierge, phone: str, name: str, chat: tuple[str, str] | None = None
) -> int:
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(uow, concierge.program, now, phone, name=name, locale="en")
        for channel in Channel:  # news of their own answers needs no yes of its own
            await members.set_consent(uow, member, Purpose.EVENTS, channel, True, now, "t", "w")
        if chat is not None:
            await uow.identities.link(member.id, chat[0], chat[1], "en", now)
        await uow.commit()
        return member.id


async def create(concierge: Concierge, **fields: object) -> int:
    now = concierge.clock()
    defaults: dict[str, object] = {
        "title": "Emerald preview", "starts_at": now + timedelta(days=14, hours=8),
        "ends_at": now + timedelta(days=14, hours=11), "capacity": 1,
        "place": "Via Montenapoleone 3",
    }  # fmt: skip
    async with concierge.db.unit_of_work() as uow:
        event = await events.create(uow, concierge.program, now, **{**defaults, **fields})
        await uow.commit()
        return event.id


async def test_a_member_sees_what_is_selected_for_them_and_takes_a_place(
    telegram: Telegram, concierge: Concierge
) -> None:
    await enrol(concierge, PHONE, "Giulia Rossi", ("telegram", ME))
    event_id = await create(concierge, capacity=4, plus_ones=1)
    await create(concierge, title="For ambassadors", tiers=["ambassador"])

    [listed] = said(await telegram.send(callback_update("events")))
    assert listed.text.splitlines() == [
        "Selected for you:",
        "• Emerald preview — Tue, Dec 8 at 7:00\u202fPM — 4 seats left",
    ]
    [shown] = said(await telegram.send(callback_update(f"ev:{event_id}")))
    assert "Where: Via Montenapoleone 3" in shown.text
    assert [b[1] for b in shown.buttons][:3] == [
        f"rsvp:{event_id}:0", f"rsvp:{event_id}:1", f"rsvp:{event_id}:no",
    ]  # fmt: skip

    calls = said(await telegram.send(callback_update(f"rsvp:{event_id}:1")))

    assert [c.method for c in calls] == ["sendMessage", "sendPhoto", "sendDocument", "sendMessage"]
    assert "You are expected at Emerald preview on Tue, Dec 8 at 7:00\u202fPM" in calls[0].text
    [ics] = [c.files["document"] for c in calls if c.method == "sendDocument"]
    assert b"SUMMARY:Emerald preview" in ics and b"DTSTART:20261208T180000Z" in ics
    async with concierge.db.unit_of_work() as uow:
        event = await uow.events.get(event_id)
        assert event is not None and event.seats_taken == 2  # Giulia and her guest


async def test_a_full_event_offers_the_waitlist_and_a_freed_seat_is_told(
    telegram: Telegram, concierge: Concierge
) -> None:
    await enrol(concierge, PHONE, "Giulia Rossi", ("telegram", ME))
    luca = await enrol(concierge, "+393471112233", "Luca Verdi", ("telegram", str(LUCA["id"])))
    event_id = await create(concierge, capacity=1)
    await telegram.send(callback_update(f"rsvp:{event_id}:0"))

    [full] = said(await telegram.send(callback_update(f"rsvp:{event_id}:0", user=LUCA)))
    assert full.text == "The event is full. On the waitlist you would be number 1."
    [waiting] = said(await telegram.send(callback_update(f"wait:{event_id}", user=LUCA)))
    assert waiting.text.startswith("You are number 1 on the waitlist.")

    await telegram.send(callback_update(f"rsvp:{event_id}:no"))  # Giulia gives her place back
    sending = sender(concierge, telegram.app.state.telegram)
    await sending.drain()

    told = telegram.api.to(str(LUCA["id"]))[-1].text
    assert "A seat has freed up at Emerald preview" in told and "held for you" in told
    [shown] = said(await telegram.send(callback_update(f"ev:{event_id}", user=LUCA)))
    assert "A seat is held for you until" in shown.text
    taken = said(await telegram.send(callback_update(f"rsvp:{event_id}:0", user=LUCA)))
    assert "You are expected at Emerald preview" in taken[0].text
    assert luca


async def test_a_member_who_switched_news_of_answers_off_is_not_told_of_a_freed_seat(
    telegram: Telegram, concierge: Concierge
) -> None:
    await enrol(concierge, PHONE, "Giulia Rossi", ("telegram", ME))
    await enrol(concierge, "+393471112233", "Luca Verdi", ("telegram", str(LUCA["id"])))
    event_id = await create(concierge, capacity=1)
    await telegram.send(callback_update(f"rsvp:{event_id}:0"))
    await telegram.send(callback_update(f"wait:{event_id}", user=LUCA))
    [switched] = said(await telegram.send(callback_update("prefs:c:service:telegram", user=LUCA)))
    assert ("✗ News of your appointments and RSVPs · Telegram", "prefs:c:service:telegram") in (
        switched.buttons
    )

    await telegram.send(callback_update(f"rsvp:{event_id}:no"))  # Giulia gives her place back
    before = len(telegram.api.to(str(LUCA["id"])))
    await sender(concierge, telegram.app.state.telegram).drain()

    assert len(telegram.api.to(str(LUCA["id"]))) == before  # the seat is held, silently
    [shown] = said(await telegram.send(callback_update(f"ev:{event_id}", user=LUCA)))
    assert "A seat is held for you until" in shown.text


async def test_an_old_button_for_an_event_gone_gets_a_clear_answer(
    telegram: Telegram, concierge: Concierge
) -> None:
    await enrol(concierge, PHONE, "Giulia Rossi", ("telegram", ME))
    event_id = await create(concierge)
    async with concierge.db.unit_of_work() as uow:
        await events.cancel(uow, event_id, concierge.clock())
        await uow.commit()

    for action in (f"ev:{event_id}", f"rsvp:{event_id}:0", "ev:999"):
        [answer] = said(await telegram.send(callback_update(action)))
        assert answer.text == "This event is no longer on."


async def test_on_whatsapp_the_calendar_is_a_signed_link(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge, PHONE, "Giulia Rossi")
    event_id = await create(concierge)
    await whatsapp.send(whatsapp_form("previews"))
    await whatsapp.send(whatsapp_form("1"))  # the event

    sent = await whatsapp.send(whatsapp_form("I will come"))

    [link] = [line.split(": ", 1)[1] for line in sent[0].body.splitlines()
              if line.startswith("Add it to your calendar")]  # fmt: skip
    assert sent[0].media  # the ticket's QR code
    calendar = await whatsapp.fetch(link)  # read as a strict client would
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Emerald preview" in calendar.text
    assert "LOCATION:Via Montenapoleone 3" in calendar.text
    assert (await whatsapp.fetch(link.replace(f"d=e{event_id}", "d=e99"))).status_code == 404
    async with concierge.db.unit_of_work() as uow:
        await hosting.cancel(uow, concierge.program, event_id, concierge.clock())
        await uow.commit()
    cancelled = strict((await whatsapp.fetch(link)).content)  # the same link, drawn again
    assert (cancelled.method, cancelled.status, cancelled.sequence) == ("CANCEL", "CANCELLED", 1)
    assert cancelled.uid == strict(calendar.content).uid


async def test_an_invitation_outside_the_window_goes_as_the_approved_template(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge, PHONE, "Giulia Rossi", ("whatsapp", PHONE))
    event_id = await create(concierge)
    async with concierge.db.unit_of_work() as uow:
        invited = await hosting.invite(uow, concierge.program, event_id, concierge.clock())
        await uow.commit()
    assert invited.queued == 1

    await sender(concierge, whatsapp.app.state.whatsapp).drain()

    [message] = whatsapp.twilio.sent
    assert message.content_sid == "HX00000000000000000000000000000e04"
    assert json.loads(message.form["ContentVariables"][0]) == {
        "1": "Giulia", "2": "Emerald preview", "3": "Tue, Dec 8 at 7:00\u202fPM",
    }  # fmt: skip
    assert member_id


async def test_news_no_longer_true_is_not_sent(telegram: Telegram, concierge: Concierge) -> None:
    await enrol(concierge, PHONE, "Giulia Rossi", ("telegram", ME))
    event_id = await create(concierge)
    async with concierge.db.unit_of_work() as uow:
        await hosting.invite(uow, concierge.program, event_id, concierge.clock())
        await events.cancel(uow, event_id, concierge.clock())
        await uow.commit()

    report = await sender(concierge, telegram.app.state.telegram).drain()

    assert report.cancelled == 1 and telegram.api.to(ME) == []
    async with concierge.db.unit_of_work() as uow:
        [row] = await uow.outbox.latest(5)
        assert (row.kind, row.status) == ("invitation", "cancelled")
        assert row.last_error is not None and row.last_error.startswith("overtaken")
