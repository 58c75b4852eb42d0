"""What members and staff send that is not words: voice notes, stickers, places, documents.

With staff, every kind the other side can read is passed on (files by reference: Telegram's
file id, or the file Twilio keeps for us); what cannot be is said plainly, to staff and to
the member. With the concierge, such a message gets a clear answer and the menu. An admin
writing anonymously in the staff group answers as "the team".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.channel.conftest import Desk
from tests.channel.test_handoff import enrol, link, register, transcript, with_staff
from tests.factories import (
    ANNA,
    GROUP_ANONYMOUS_BOT,
    MARCO,
    OTHER_PHONE,
    PHONE,
    STAFF_GROUP,
    TELEGRAM_USER_ID,
    message_update,
    telegram_file,
    telegram_user,
    whatsapp_form,
)

ME = str(TELEGRAM_USER_ID)
GIULIA = telegram_user()
CLAIRE = f"whatsapp:{OTHER_PHONE}"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "twilio"
CANNOT = "This kind of message cannot be passed on; please write it in words."
ONLY_WORDS = "I can read only written messages: please write to me in words."
VCARD = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Verdi;Luca;;;\r\nFN:Luca Verdi\r\n"
    b"TEL;type=CELL;waid=393471112222:+39 347 111 2222\r\nEND:VCARD\r\n"
)
DICE = {"emoji": "🎲", "value": 4}  # a game: nothing staff or a member could read
VENUE = {
    "location": {"latitude": 45.468503, "longitude": 9.195241},
    "title": "Maison Aurelia", "address": "Via Monte Napoleone 8, Milano",
}  # fmt: skip


@pytest.fixture
async def giulia(desk: Desk) -> int:
    """Giulia, a member on Telegram; Anna and Marco are registered staff."""
    member_id = await enrol(desk.concierge, PHONE, "Giulia Rossi")
    await link(desk.concierge, member_id, "telegram", ME)
    await register(desk.concierge, ANNA, MARCO)
    return member_id


@pytest.fixture
async def claire(desk: Desk) -> int:
    """Claire, a member on WhatsApp, talking with staff; the topic made for it."""
    await enrol(desk.concierge, OTHER_PHONE, "Claire Martin", locale="fr")
    await register(desk.concierge, ANNA)
    await desk.whatsapp.send(whatsapp_form("I need a person", OTHER_PHONE))
    return desk.thread_of("Claire")


def twilio_fixture(name: str, phone: str = OTHER_PHONE) -> dict[str, str]:
    """A real-world form from tests/fixtures/twilio, sent from `phone`."""
    text = (FIXTURES / f"{name}.json").read_text(encoding="utf-8")
    fields: dict[str, str] = json.loads(text.replace(PHONE.lstrip("+"), phone.lstrip("+")))
    return fields


# -- members to staff ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("voice", "sendVoice"),
        ("audio", "sendAudio"),
        ("video", "sendVideo"),
        ("video_note", "sendVideoNote"),
        ("animation", "sendAnimation"),
        ("document", "sendDocument"),
        ("sticker", "sendSticker"),
    ],
)
async def test_a_telegram_members_file_reaches_the_topic_as_the_same_file(
    desk: Desk, giulia: int, kind: str, method: str
) -> None:
    thread = await with_staff(desk)
    to_giulia = len(desk.api.to(ME))
    file = telegram_file(kind, "ring")
    also: dict[str, Any] = {"document": file} if kind == "animation" else {}  # as Telegram does

    await desk.telegram.send(message_update(user=GIULIA, **{kind: file}, **also))

    posted = desk.api.posts(thread)[-1]
    assert (posted.method, posted.params[kind]) == (method, file["file_id"])
    assert len(desk.api.to(ME)) == to_giulia  # the bot stays silent
    assert (await transcript(desk.concierge))[-1] == ("member", "")


async def test_a_voice_notes_caption_rides_with_it_and_a_stickers_comes_before(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)

    voice = telegram_file("voice", "question")
    await desk.telegram.send(message_update(user=GIULIA, voice=voice, caption="listen"))
    sticker = telegram_file("sticker", "love")
    await desk.telegram.send(message_update(user=GIULIA, sticker=sticker, caption="thanks"))

    posts = desk.api.posts(thread)
    assert (posts[-3].method, posts[-3].params["caption"]) == ("sendVoice", "Giulia: listen")
    assert posts[-2].text == "Giulia: thanks"  # a sticker takes no caption: said just before
    assert posts[-1].method == "sendSticker" and "caption" not in posts[-1].params


async def test_a_place_and_a_contact_card_from_telegram_are_read_out_in_the_topic(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)

    await desk.telegram.send(message_update(user=GIULIA, location=VENUE["location"], venue=VENUE))
    card = {"phone_number": "393471112222", "first_name": "Luca", "last_name": "Verdi"}
    await desk.telegram.send(message_update(user=GIULIA, contact=card))

    place, person = desk.api.posts(thread)[-2:]
    assert place.text == (
        "Giulia: Location: Maison Aurelia, Via Monte Napoleone 8, Milano (45.46850, 9.19524)\n"
        "https://www.google.com/maps/search/?api=1&query=45.468503,9.195241"
    )
    assert person.text == "Giulia: Contact: Luca Verdi, +393471112222"


async def test_what_cannot_be_passed_on_is_said_to_the_member_and_to_staff(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)

    await desk.telegram.send(message_update(user=GIULIA, dice=DICE))

    assert desk.api.to(ME)[-1].text == CANNOT
    assert desk.api.posts(thread)[-1].text == (
        "Giulia sent a kind of message that cannot be passed on here; they were asked to "
        "write it in words."
    )


@pytest.mark.parametrize(
    ("fixture", "content_type", "method"),
    [
        ("message_voice", "audio/ogg", "sendVoice"),
        ("message_audio", "audio/mpeg", "sendAudio"),
        ("message_video", "video/mp4", "sendVideo"),
        ("message_document", "application/pdf", "sendDocument"),
        ("message_sticker", "image/webp", "sendSticker"),
        ("message_image", "image/jpeg", "sendPhoto"),
    ],
)
async def test_a_whatsapp_members_file_is_fetched_from_twilio_and_posted_as_its_kind(
    desk: Desk, claire: int, fixture: str, content_type: str, method: str
) -> None:
    form = twilio_fixture(fixture)
    media = form["MediaUrl0"].rsplit("/", 1)[1]
    desk.twilio.files[media] = (content_type, b"the file " + media.encode())

    assert await desk.whatsapp.send(form) == []  # silent

    posted = desk.api.posts(claire)[-1]
    field = method.removeprefix("send").lower()
    assert posted.method == method
    assert posted.files[field] == b"the file " + media.encode()
    caption = posted.params.get("caption")
    assert caption == (f"Claire: {form['Body']}" if form["Body"] else None)


async def test_a_place_and_a_contact_card_from_whatsapp_are_read_out_in_the_topic(
    desk: Desk, claire: int
) -> None:
    await desk.whatsapp.send(twilio_fixture("message_location"))
    card = twilio_fixture("message_contact")
    desk.twilio.files[card["MediaUrl0"].rsplit("/", 1)[1]] = ("text/vcard", VCARD)
    await desk.whatsapp.send(card)

    place, person = desk.api.posts(claire)[-2:]
    assert place.text.startswith(
        "Claire: Location: Maison Aurelia, Via Monte Napoleone 8, 20121 Milano MI, Italy "
        "(45.46850, 9.19524)\nhttps://www.google.com/maps/search/?api=1&query=45.468503,"
    )
    assert person.text == "Contact: Luca Verdi, +39 347 111 2222"


# -- staff to members ------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "method"), [("voice", "sendVoice"), ("sticker", "sendSticker")])
async def test_staff_files_reach_a_telegram_member_as_the_same_file(
    desk: Desk, giulia: int, kind: str, method: str
) -> None:
    thread = await with_staff(desk)
    file = telegram_file(kind, "answer")

    await desk.staff(None, thread, **{kind: file})

    sent = desk.api.to(ME)[-1]
    assert (sent.method, sent.params[kind]) == (method, file["file_id"])


async def test_a_staff_voice_note_reaches_a_whatsapp_member_by_a_signed_link(
    desk: Desk, claire: int
) -> None:
    voice = telegram_file("voice", "answer")

    await desk.staff(None, claire, voice=voice, caption="Écoutez")

    [link] = desk.twilio.sent[-1].media
    assert desk.twilio.sent[-1].body == "Anna: Écoutez"
    fetched = await desk.whatsapp.fetch(link)
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "audio/ogg"
    assert fetched.content == f"\xff\xd8JPEG voice/{voice['file_id']}.oga".encode("latin-1")


async def test_what_a_whatsapp_member_cannot_be_shown_is_said_in_the_topic(
    desk: Desk, claire: int
) -> None:
    before = len(desk.twilio.sent)

    await desk.staff(None, claire, sticker=telegram_file("sticker", "wink"))
    await desk.staff(None, claire, dice=DICE)

    assert len(desk.twilio.sent) == before  # nothing reached Claire
    sticker, dice = [p.text for p in desk.api.posts(claire)[-2:]]
    assert sticker.startswith("WhatsApp cannot show this kind of file: it was not passed on")
    assert dice == (
        "This kind of message cannot be passed on to the member: please write it in words."
    )


async def test_a_place_staff_share_reaches_the_member_as_words_and_a_map_link(
    desk: Desk, claire: int
) -> None:
    await desk.staff(None, claire, location=VENUE["location"], venue=VENUE)

    assert desk.twilio.sent[-1].body == (
        "Anna: Lieu\u00a0: Maison Aurelia, Via Monte Napoleone 8, Milano (45.46850, 9.19524)\n"
        "https://www.google.com/maps/search/?api=1&query=45.468503,9.195241"
    )  # in Claire's French


# -- an anonymous admin ----------------------------------------------------------------------


def anonymously(**fields: Any) -> dict[str, Any]:
    return {"user": GROUP_ANONYMOUS_BOT, "sender_chat": STAFF_GROUP, **fields}


async def test_an_anonymous_admin_answers_claims_and_closes_as_the_team(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)

    await desk.staff("/claim", thread, **anonymously())
    assert desk.api.posts(thread)[-1].text == "The team takes this conversation."
    await desk.staff("Your ring is ready", thread, **anonymously(author_signature="Director"))
    assert desk.api.to(ME)[-1].text == "The team: Your ring is ready"
    await desk.staff("/close", thread, **anonymously())

    assert desk.api.to(ME)[-1].text.startswith("The team has closed our conversation.")
    assert desk.api.posts(thread)[-1].text == "Closed by the team."
    assert (await transcript(desk.concierge))[-2:] == [
        ("staff", "Your ring is ready"),
        ("staff", "/close"),
    ]


async def test_a_post_in_the_name_of_another_chat_is_not_staff(desk: Desk, giulia: int) -> None:
    thread = await with_staff(desk)
    to_giulia = len(desk.api.to(ME))
    channel = {"id": -1001111111111, "type": "channel", "title": "Maison Aurelia News"}
    telegram_service = {"id": 777000, "is_bot": False, "first_name": "Telegram"}

    await desk.staff("Sale!", thread, user=telegram_service, sender_chat=channel)

    assert len(desk.api.to(ME)) == to_giulia  # nothing reached Giulia


# -- with the concierge ----------------------------------------------------------------------


async def test_a_voice_note_to_the_concierge_gets_a_clear_answer_and_the_menu(
    desk: Desk, giulia: int
) -> None:
    for _ in range(2):  # not a misunderstanding: no person is called
        [answer] = await desk.telegram.send(
            message_update(user=GIULIA, voice=telegram_file("voice", "hello"))
        )
        assert answer.text == ONLY_WORDS
        assert ("My card", "card") in answer.buttons
    assert desk.api.topics == {}


@pytest.mark.parametrize("name", ["message_voice", "message_location", "message_sticker"])
async def test_a_whatsapp_message_without_words_gets_a_clear_answer_and_the_menu(
    desk: Desk, name: str
) -> None:
    await enrol(desk.concierge, OTHER_PHONE, "Claire Martin")

    [answer] = await desk.whatsapp.send(twilio_fixture(name))

    assert answer.body.startswith(ONLY_WORDS + "\n1. My card")
