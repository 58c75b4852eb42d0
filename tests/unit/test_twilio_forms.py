"""Twilio's forms checked field by field, without a web app: what passes and why the rest
does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.channels.twilio_forms import message_refusal, status_refusal
from tests.factories import (
    TWILIO_ACCOUNT_SID,
    WHATSAPP_FROM,
    media_sid,
    status_form,
    whatsapp_form,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "twilio"


def refusal(form: dict[str, str]) -> str | None:
    return message_refusal(form.items(), TWILIO_ACCOUNT_SID, WHATSAPP_FROM)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("message_*.json")), ids=lambda p: p.stem)
def test_every_message_twilio_posts_passes(path: Path) -> None:
    assert refusal(json.loads(path.read_text(encoding="utf-8"))) is None


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("status_*.json")), ids=lambda p: p.stem)
def test_every_status_callback_twilio_posts_passes(path: Path) -> None:
    form = json.loads(path.read_text(encoding="utf-8"))
    assert status_refusal(form.items(), TWILIO_ACCOUNT_SID) is None


def test_num_medias_value_moved_into_the_message_sid_is_refused() -> None:
    form = whatsapp_form("card")
    shifted = form | {"MessageSid": form["MessageSid"] + form["NumMedia"], "NumMedia": ""}
    assert refusal(shifted) == "MessageSid is not a message SID"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"AccountSid": "AC" + "1" * 32}, "AccountSid is not ours"),
        ({"SmsMessageSid": "SM" + "1" * 32}, "SmsMessageSid differs from MessageSid"),
        ({"From": "whatsapp:+0123456789"}, "From is not a WhatsApp number"),
        ({"From": "whatsapp:+3934712345678901"}, "From is not a WhatsApp number"),
        ({"WaId": "393470000000"}, "WaId differs from From"),
        ({"To": f"whatsapp:{WHATSAPP_FROM}0"}, "To is not our WhatsApp sender"),
        ({"NumMedia": "11"}, "NumMedia is not a count of media"),
        ({"NumMedia": " 0"}, "NumMedia is not a count of media"),
        ({"MediaUrl1": "https://api.twilio.com/x"}, "media fields do not match NumMedia"),
        ({"Longitude": "9.19"}, "Latitude and Longitude come together"),
        ({"Latitude": "91", "Longitude": "9.19"}, "Latitude is not a coordinate"),
        ({"Latitude": "45.4", "Longitude": "9,19"}, "Longitude is not a coordinate"),
    ],
)
def test_a_field_out_of_shape_is_named(changes: dict[str, str], reason: str) -> None:
    assert refusal(whatsapp_form("hello") | changes) == reason


def test_media_must_be_this_messages_file_on_twilio() -> None:
    form = whatsapp_form("", media=media_sid("ring"))
    assert refusal(form) is None
    other_message = form["MediaUrl0"].replace(form["MessageSid"], "MM" + "2" * 32)
    not_a_media_sid = form["MediaUrl0"] + "/../../x"
    for url in (other_message, not_a_media_sid, form["MediaUrl0"].replace("https", "http")):
        assert (
            refusal(form | {"MediaUrl0": url}) == "MediaUrl0 is not this message's media on Twilio"
        )
    assert refusal(form | {"MediaContentType0": "image"}) == (
        "MediaContentType0 is not a content type"
    )
    assert refusal(form | {"MediaContentType0": "audio/ogg; codecs=opus"}) is None


def test_a_field_given_twice_is_refused() -> None:
    pairs = [*whatsapp_form("hello").items(), ("Body", "stop")]
    assert message_refusal(pairs, TWILIO_ACCOUNT_SID, WHATSAPP_FROM) == "Body repeated"


def test_a_status_callback_names_a_known_status() -> None:
    form = status_form("SM" + "0" * 32, "read")
    assert status_refusal(form.items(), TWILIO_ACCOUNT_SID) is None
    bad = form | {"MessageStatus": "READ"}
    assert (
        status_refusal(bad.items(), TWILIO_ACCOUNT_SID) == "MessageStatus is not one of Twilio's"
    )
