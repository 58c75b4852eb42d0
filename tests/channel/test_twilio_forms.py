"""Twilio's webhooks as Twilio really posts them, and forms Twilio never sends.

The signature covers the URL and the sorted concatenation of every field's name and value,
so characters moved from one field into its neighbour keep it valid: each field the club
reads must have exactly Twilio's shape, or the request is refused before anything is kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from storage.models import InboundReceipt
from tests.channel.twilio import PUBLIC_URL, WHATSAPP_HOOK, WhatsApp, sign
from tests.factories import (
    TWILIO_ACCOUNT_SID,
    WHATSAPP_FROM,
    media_sid,
    status_form,
    whatsapp_form,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "twilio"
STATUS = "/twilio/status?m=1"


def fixture(name: str) -> dict[str, str]:
    form: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return form


async def receipts(concierge: Concierge) -> int:
    async with concierge.db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(InboundReceipt)) or 0)


def concatenated(form: dict[str, str]) -> str:
    """What Twilio's signature covers besides the URL."""
    return "".join(name + form[name] for name in sorted(form))


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in FIXTURES.glob("message_*.json")), ids=str
)
async def test_every_kind_of_whatsapp_message_twilio_posts_is_taken(
    whatsapp: WhatsApp, concierge: Concierge, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await whatsapp.post(WHATSAPP_HOOK, fixture(name))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert await receipts(concierge) == 1
    assert "Traceback" not in caplog.text
    assert [s.body for s in whatsapp.twilio.sent if not s.body] == []  # never a blank answer
    assert whatsapp.twilio.sent  # never silence


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in FIXTURES.glob("status_*.json")), ids=str
)
async def test_every_status_callback_twilio_posts_is_taken(
    whatsapp: WhatsApp, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await whatsapp.post(STATUS, fixture(name))

    assert response.status_code == 204, response.text
    assert "Traceback" not in caplog.text


async def test_a_replay_with_num_media_moved_into_the_message_sid_is_refused(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    genuine = whatsapp_form("card")
    assert len(await whatsapp.send(genuine)) == 1
    shifted = genuine | {"MessageSid": genuine["MessageSid"] + genuine["NumMedia"], "NumMedia": ""}

    response = await whatsapp.post(WHATSAPP_HOOK, shifted)  # signed anew, as Twilio signs

    assert response.status_code == 400
    assert await receipts(concierge) == 1
    assert len(whatsapp.twilio.sent) == 1  # no second reply


async def test_a_field_folded_into_its_neighbour_keeps_the_signature_but_is_refused(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    genuine = whatsapp_form("card")
    signature = sign(PUBLIC_URL + WHATSAPP_HOOK, genuine)
    await whatsapp.post(WHATSAPP_HOOK, genuine, signature=signature)
    shifted = dict(genuine)
    shifted["MessageSid"] += "MessageType" + shifted.pop("MessageType")
    assert concatenated(shifted) == concatenated(genuine)  # the captured signature still fits

    response = await whatsapp.post(WHATSAPP_HOOK, shifted, signature=signature)

    assert response.status_code == 400
    assert await receipts(concierge) == 1
    assert len(whatsapp.twilio.sent) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MessageSid", "SM" + "0" * 31),
        ("MessageSid", "SM" + "A" * 32),
        ("MessageSid", "XX" + "0" * 32),
        ("MessageSid", "SM" + "٠" * 32),  # Arabic-Indic zeros: digits, not ASCII
        ("SmsSid", "SM" + "f" * 32),  # not the MessageSid
        ("AccountSid", "AC" + "0" * 32),  # another account
        ("From", "+393471234567"),
        ("From", "whatsapp:393471234567"),
        ("From", "whatsapp:+39 347 1234567"),
        ("To", "whatsapp:+14155550000"),  # not our sender
        ("NumMedia", ""),
        ("NumMedia", "01x"),
        ("NumMedia", "1"),  # no MediaUrl0 comes with it
        ("NumMedia", "²"),
        ("Latitude", "45.46"),  # no Longitude
    ],
)
async def test_a_field_not_shaped_as_twilio_shapes_it_is_refused_and_nothing_kept(
    whatsapp: WhatsApp, concierge: Concierge, field: str, value: str
) -> None:
    form = whatsapp_form("card") | {field: value}

    response = await whatsapp.post(WHATSAPP_HOOK, form)

    assert response.status_code == 400
    assert await receipts(concierge) == 0
    assert whatsapp.twilio.sent == []


async def test_media_not_on_twilios_host_is_refused(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    form = whatsapp_form("", media=media_sid("ring"))
    form["MediaUrl0"] = form["MediaUrl0"].replace("https://api.twilio.com", "https://evil.test")

    response = await whatsapp.post(WHATSAPP_HOOK, form)

    assert response.status_code == 400
    assert await receipts(concierge) == 0


async def test_the_signature_is_checked_before_the_fields(whatsapp: WhatsApp) -> None:
    form = whatsapp_form("card") | {"MessageSid": "not a sid"}

    response = await whatsapp.post(WHATSAPP_HOOK, form, signature="Zm9yZ2Vk")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MessageSid", "SM" + "0" * 32 + "0"),
        ("SmsSid", "SM" + "1" * 32),
        ("AccountSid", "AC" + "0" * 32),
        ("MessageStatus", "delivered-ish"),
        ("ErrorCode", "63016x"),
    ],
)
async def test_a_status_callback_not_shaped_as_twilio_shapes_it_is_refused(
    whatsapp: WhatsApp, field: str, value: str
) -> None:
    form = status_form("SM" + "0" * 32, "delivered") | {field: value}

    response = await whatsapp.post(STATUS, form)

    assert response.status_code == 400


def test_the_fixtures_name_the_test_account_and_sender() -> None:
    for path in FIXTURES.glob("*.json"):
        form = fixture(path.stem)
        assert form["AccountSid"] == TWILIO_ACCOUNT_SID, path.name
        assert f"whatsapp:{WHATSAPP_FROM}" in (form["To"], form["From"]), path.name
