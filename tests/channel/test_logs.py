"""Logs: a whole day of the club, logged at DEBUG by every logger, shows nothing secret or
personal — no token, secret or key, no phone number, name, message or signed payload.

The day runs through the web app with Telegram, WhatsApp and the staff group faked at the
wire, and the worker's dispatcher; the log is what `concierge -v` writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, text
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from bot.bootstrap import Concierge, bootstrap
from bot.logs import MaskingFormatter, configure
from loyalty.consent import Channel, Purpose
from services import members, occasions
from storage.models import ClubSecret
from tests.channel.conftest import (
    SECRET,
    TOKEN,
    Desk,
    FakeTelegram,
    desk_settings,
    left_open,
    running_desk,
)
from tests.channel.twilio import FakeTwilio
from tests.conftest import Clock
from tests.factories import (
    ANNA,
    PHONE,
    POS_SECRET,
    STAFF_CHAT_ID,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    callback_update,
    contact_update,
    message_update,
    telegram_user,
    whatsapp_form,
)

OTTAVIA = telegram_user(5_550_003, first_name="Ottavia")
OTTAVIA_CHAT = str(OTTAVIA["id"])
OTTAVIA_PHONE = "+33612345678"
MARCO_PHONE = "+39 333 765 4321"  # as the till typed it
# What members and staff wrote, and what Telegram quoted back of it.
SAID = {
    "Ottavia's name": "Ottavia Ferri",
    "Giulia's request": "Vorrei allargare l'anello di mia nonna, misura 14",
    "Giulia's address": "Abito in via dei Giardini 12",
    "Anna's answer": "Certo Giulia, passi giovedì alle 11",
    "Ottavia's present": "Il regalo è per mia sorella Benedetta",
}


@pytest.fixture
def logged(logging_kept: None) -> io.StringIO:
    """Every record of every logger, as `concierge -v` writes it."""
    out = io.StringIO()
    configure(verbose=True, stream=out)
    return out


@pytest.fixture
async def club(
    logged: io.StringIO, concierge: Concierge, api: FakeTelegram, twilio: FakeTwilio
) -> AsyncIterator[Desk]:
    """The web app as `concierge serve` runs it: every channel, the staff group, the POS."""
    app_concierge = replace(
        bootstrap(desk_settings(concierge), concierge.clock), sleep=concierge.sleep,
        monotonic=concierge.monotonic,
    )  # fmt: skip
    async with running_desk(app_concierge, api, twilio) as on:
        yield on


@pytest.fixture
async def said_once(concierge: Concierge) -> AsyncIterator[None]:
    """A unique index made for the test: nobody says the same thing twice in a conversation
    with staff (so a repeat is a database error carrying what was said)."""
    async with concierge.db.engine.begin() as connection:
        await connection.execute(
            text("CREATE UNIQUE INDEX said_once ON transcript_line (handoff_id, text)")
        )
    yield
    async with concierge.db.engine.begin() as connection:
        await connection.execute(text("DROP INDEX said_once"))


async def giulia_and_anna(concierge: Concierge) -> None:
    """Giulia, a member on WhatsApp born on this day, who agreed to birthday wishes there;
    Anna, registered staff."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        giulia = await members.add(
            uow, concierge.program, now - timedelta(days=400), PHONE, name="Giulia Rossi",
            birthday="1990-11-24", locale="it",
        )  # fmt: skip
        await members.set_consent(
            uow, giulia, Purpose.BIRTHDAY, Channel.WHATSAPP, True, now, "till", "asked"
        )
        await uow.staff.add(ANNA["id"], "Anna Bianchi", "concierge", now)
        await uow.commit()


async def pos_purchase(club: Desk) -> httpx.Response:
    """The till sends a sale to someone new, with their name, phone and email."""
    body = json.dumps({
        "order_id": "POS-77", "phone": MARCO_PHONE, "amount": "480.00", "currency": "EUR",
        "purchased_at": "2026-11-24T10:30:00+01:00", "name": "Marco Esposito",
        "email": "marco.esposito@example.com", "category": "ring",
    }).encode()  # fmt: skip
    signature = hmac.new(POS_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return await club.telegram.http.post(
        "/api/purchases", content=body, headers={"X-Concierge-Signature": f"sha256={signature}"}
    )


async def club_keys(concierge: Concierge) -> dict[str, str]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(ClubSecret))
        return {f"the club's {row.name} key": row.value for row in rows}


async def test_a_day_of_the_club_logs_no_secret_and_nothing_personal(
    club: Desk, logged: io.StringIO, clock: Clock, said_once: None
) -> None:
    concierge = club.concierge
    await giulia_and_anna(concierge)

    # A stranger joins on Telegram, sharing her phone; born on this day, she wants wishes.
    await club.telegram.dialog([
        (message_update("/start", user=OTTAVIA), "Are you already a member?"),
        (contact_update(OTTAVIA_PHONE.removeprefix("+"), user=OTTAVIA), "What name"),
        (message_update(SAID["Ottavia's name"], user=OTTAVIA), "When is your birthday?"),
        (message_update("24/11", user=OTTAVIA), "birthday?"),
        (callback_update("join:yes", user=OTTAVIA), "anniversaries"),
        (callback_update("join:no", user=OTTAVIA), "previews"),
        (callback_update("join:no", user=OTTAVIA), "collections"),
        (callback_update("join:no", user=OTTAVIA), "purchases earn"),
        (callback_update("join:no", user=OTTAVIA), "Your member number"),
    ])  # fmt: skip

    # Giulia asks for her card on WhatsApp; Twilio fetches its QR code from our signed link.
    card = await club.whatsapp.send(whatsapp_form("carta"))
    [link] = card[-1].media
    assert (await club.whatsapp.fetch(link)).status_code == 200
    query = parse_qs(urlsplit(link).query)

    # She talks to a person; Anna answers from the staff group; Telegram refuses to post her
    # next message there, quoting it.
    await club.whatsapp.send(whatsapp_form("vorrei parlare con una persona"))
    thread = club.thread_of("Giulia · WhatsApp")
    await club.whatsapp.send(whatsapp_form(SAID["Giulia's request"]))
    await club.staff(SAID["Anna's answer"], thread)
    assert club.twilio.sent[-1].body == "Anna: " + SAID["Anna's answer"]
    address = SAID["Giulia's address"]
    club.api.refused[str(STAFF_CHAT_ID)] = f"Bad Request: can't post «{address}»"
    await club.whatsapp.send(whatsapp_form(address))
    assert club.api.calls[-1].status == 400
    del club.api.refused[str(STAFF_CHAT_ID)]

    # The till records a sale to someone new.
    assert (await pos_purchase(club)).status_code == 201

    # Two messages were recorded when the process stopped; at the next start, Telegram
    # refuses the answer to one, quoting it, and the database refuses the other: Giulia
    # repeats herself word for word (`said_once`).
    telegram, whatsapp = club.telegram.app.state.telegram, club.whatsapp.app.state.whatsapp
    present = SAID["Ottavia's present"]
    await left_open(concierge, message_update(present, user=OTTAVIA))
    await left_open(concierge, whatsapp_form(SAID["Giulia's request"]))
    club.api.refused[OTTAVIA_CHAT] = f"Bad Request: can't send «{present}»"
    assert await telegram.catch_up() == 1  # handled; its answer refused after the commit
    assert await whatsapp.catch_up() == 0  # refused by the database: tried again later

    # The worker sends the birthday wishes: Giulia's go, Telegram still refuses Ottavia's.
    async with concierge.db.unit_of_work() as uow:
        planned = await occasions.plan(uow, concierge.program, clock.current)
        assert await occasions.queue(uow, concierge.program, clock.current, planned) == 2
        await uow.commit()
    report = await club.telegram.app.state.sending.drain()
    assert (report.sent, report.retried + report.failed) == (1, 1)

    log = logged.getvalue()
    secrets = {
        "the bot token": TOKEN,
        "Twilio's Auth Token": TWILIO_AUTH_TOKEN,
        "Twilio's Basic credentials": base64.b64encode(
            f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode()
        ).decode(),
        "the webhook secret": SECRET,
        "the POS secret": POS_SECRET,
        **await club_keys(concierge),
    }
    assert len(secrets) == 7  # both of the club's keys were made and used
    personal = {
        **SAID,
        "Giulia's name": "Giulia Rossi",
        "Marco's name": "Marco Esposito",
        "Ottavia's first name": "Ottavia",
        "Marco's email": "marco.esposito@example.com",
        "the QR code's payload": query["d"][0],
        "the link's signature": query["s"][0],
    }
    for who, phone in (("Giulia", PHONE), ("Ottavia", OTTAVIA_PHONE), ("Marco", "+393337654321")):
        digits = phone.removeprefix("+")
        national = digits[2:]  # +39 and +33: two digits of country code
        personal |= {f"{who}'s phone": phone, f"{who}'s digits": digits,
                     f"{who}'s national number": national}  # fmt: skip
    personal["Marco's phone as typed"] = MARCO_PHONE
    # python-telegram-bot lowercases Telegram's words ("Can't send «il regalo è...»")
    shown = log.lower()
    leaked = {what: v for what, v in {**secrets, **personal}.items() if v.lower() in shown}
    assert leaked == {}

    # ...and the log says what happened, masked.
    assert "/bot[secret]/sendMessage" in log  # httpx's line per call (with -v)
    assert "/media/qr.png?[query]" in log
    assert re.search(r"whatsapp message \d+ to ••••••••••67: queued", log)
    assert re.search(r"staff message \d+: refused", log)
    assert re.search(r"telegram message \d+: refused", log)  # Telegram quoted her words
    assert re.search(r"whatsapp receipt \d+: try 2 of 3 failed \(Conflict\)", log)
    assert "(reason in outbox list)" in log


def test_the_access_log_line_keeps_method_path_and_status_not_the_query() -> None:
    scope = {
        "type": "http", "method": "GET", "http_version": "1.1", "client": ("203.0.113.9", 53211),
        "raw_path": b"/media/qr.png",
        "query_string": b"d=CLUB1%3AM00001%3A3f9c2e1d0b8a7f6e5d4c&e=1795510800&s=" + b"ab" * 32,
    }  # fmt: skip
    record = logging.LogRecord(  # as uvicorn's protocols log a request they answered
        "uvicorn.access", logging.INFO, __file__, 0, '%s - "%s %s HTTP/%s" %d',
        (get_client_addr(scope), "GET", get_path_with_query_string(scope), "1.1", 200), None,
    )  # fmt: skip

    line = MaskingFormatter().format(record)

    assert line.endswith(
        'INFO uvicorn.access: 203.0.113.9:53211 - "GET /media/qr.png?[query] HTTP/1.1" 200'
    )


async def test_the_clubs_keys_are_masked_once_the_process_has_read_them(
    logged: io.StringIO, concierge: Concierge
) -> None:
    async with concierge.db.unit_of_work() as uow:
        made = await members.qr_key(uow, lambda: "k3y-made-here_0123456789abcdefghijklmnopq")
        await uow.commit()
    async with concierge.db.unit_of_work() as uow:  # another process's key, read from the table
        await uow.session.execute(
            text("INSERT INTO club_secret (name, value) VALUES ('media-url', :value)"),
            {"value": "f00d" * 16},
        )
        await uow.commit()
    async with concierge.db.unit_of_work() as uow:
        read = await uow.secrets.get_or_create("media-url", lambda: pytest.fail("made again"))

    logging.getLogger("concierge.test").warning("keys %s and %s", made, read)

    assert "keys [secret] and [secret]" in logged.getvalue()
