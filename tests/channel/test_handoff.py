"""A person takes over: staff answer members from topics in their Telegram group.

Members write on Telegram and WhatsApp (both faked at the wire); staff write in the
supergroup's topics; everything the bot posts to the group goes through the outbox.
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from loyalty.consent import Channel, Purpose
from scheduler.worker import retention_job
from services import events, members
from storage.models import ChannelIdentity, Handoff, OutboxMessage, TranscriptLine
from tests.channel.conftest import ApiCall, Desk
from tests.conftest import Clock
from tests.factories import (
    ANNA,
    MARCO,
    OTHER_PHONE,
    PHONE,
    STAFF_CHAT_ID,
    TELEGRAM_USER_ID,
    callback_update,
    media_sid,
    message_update,
    photo_sizes,
    telegram_user,
    whatsapp_form,
)

ME = str(TELEGRAM_USER_ID)
GROUP = str(STAFF_CHAT_ID)
GIULIA = telegram_user()
LUCA = telegram_user(5_550_002, "Luca")


async def enrol(concierge: Concierge, phone: str, name: str, locale: str = "en") -> int:
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, concierge.clock(), phone, name=name, locale=locale
        )
        await uow.commit()
        return member.id


async def link(concierge: Concierge, member_id: int, channel: str, address: str) -> None:
    async with concierge.db.unit_of_work() as uow:
        await uow.identities.link(member_id, channel, address, "en", concierge.clock())
        await uow.commit()


async def register(concierge: Concierge, *people: dict[str, object]) -> None:
    async with concierge.db.unit_of_work() as uow:
        for person in people:
            name = f"{person['first_name']} Bianchi"
            await uow.staff.add(int(person["id"]), name, "concierge", concierge.clock())  # type: ignore[call-overload]
        await uow.commit()


async def transcript(concierge: Concierge) -> list[tuple[str, str]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(TranscriptLine).order_by(TranscriptLine.id))
        return [(row.author, row.text) for row in rows]


async def handoffs(concierge: Concierge) -> list[tuple[str, str, str | None]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(Handoff).order_by(Handoff.id))
        return [(row.address, row.status, row.reason) for row in rows]


def texts(calls: list[ApiCall]) -> list[str]:
    return [c.text or c.params.get("caption", "") for c in calls]


async def with_staff(desk: Desk, user: dict[str, object] = GIULIA) -> int:
    """The member taps *Talk to a person*; the topic made for it."""
    await desk.telegram.send(callback_update("person", user=user))
    return desk.thread_of(str(user["first_name"]))


@pytest.fixture
async def giulia(desk: Desk) -> int:
    """Giulia, a member on Telegram; Anna and Marco are registered staff."""
    member_id = await enrol(desk.concierge, PHONE, "Giulia Rossi")
    await link(desk.concierge, member_id, "telegram", ME)
    await register(desk.concierge, ANNA, MARCO)
    return member_id


async def test_a_telegram_member_and_staff_talk_through_a_topic(desk: Desk, giulia: int) -> None:
    async with desk.concierge.db.unit_of_work() as uow:
        now = desk.concierge.clock()
        preview = await events.create(
            uow, desk.concierge.program, now, title="Emerald preview", capacity=5,
            starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
        )  # fmt: skip
        await uow.rsvps.add(event_id=preview.id, member_id=giulia, status="going", plus_ones=0,
                            answered_at=now)  # fmt: skip
        await uow.commit()
    await desk.telegram.send(message_update("hello", user=GIULIA))
    asked = await desk.telegram.send(callback_update("person", user=GIULIA))

    [topic] = [c for c in asked if c.method == "createForumTopic"]
    assert topic.chat_id == GROUP and topic.params["name"] == "Giulia · Telegram · Silver"
    thread = desk.thread_of("Giulia")
    [card] = desk.api.posts(thread)
    assert "Asked to talk to a person." in card.text
    assert "Giulia Rossi · member M" in card.text and "Segment:" in card.text
    assert "Member: hello" in card.text  # the talk with the bot so far
    assert "Coming up:\n• Fri, Nov 27 · Emerald preview · coming" in card.text
    assert "will answer you here" in desk.api.to(ME)[-1].text

    before = len(desk.api.to(ME))
    await desk.telegram.send(message_update("Can you resize my ring?", user=GIULIA))
    assert desk.api.posts(thread)[-1].text == "Giulia: Can you resize my ring?"
    assert len(desk.api.to(ME)) == before  # the bot stays silent

    await desk.staff("Of course, which size?", thread)
    assert desk.api.to(ME)[-1].text == "Anna: Of course, which size?"
    assert (await transcript(desk.concierge))[-2:] == [
        ("member", "Can you resize my ring?"),
        ("staff", "Of course, which size?"),
    ]


async def test_a_whatsapp_member_and_staff_talk_through_a_topic(desk: Desk) -> None:
    await enrol(desk.concierge, PHONE, "Giulia Rossi", locale="it")
    await register(desk.concierge, ANNA)

    await desk.whatsapp.send(whatsapp_form("vorrei parlare con una persona"))
    thread = desk.thread_of("Giulia · WhatsApp")
    assert "Member: vorrei parlare con una persona" in desk.api.posts(thread)[0].text

    sent = await desk.whatsapp.send(whatsapp_form("È per un anello"))
    assert sent == []  # silent
    assert desk.api.posts(thread)[-1].text == "Giulia: È per un anello"

    await desk.staff("Certo, passi martedì", thread)
    assert desk.twilio.sent[-1].to == f"whatsapp:{PHONE}"
    assert desk.twilio.sent[-1].body == "Anna: Certo, passi martedì"


async def test_photos_go_both_ways(desk: Desk, giulia: int) -> None:
    await enrol(desk.concierge, OTHER_PHONE, "Claire Martin")
    await desk.telegram.send(callback_update("person", user=GIULIA))
    await desk.whatsapp.send(whatsapp_form("I need a person", OTHER_PHONE))
    giulia_thread, claire_thread = desk.thread_of("Giulia"), desk.thread_of("Claire")

    await desk.telegram.send(
        message_update(user=GIULIA, photo=photo_sizes("ring"), caption="this")
    )
    posted = desk.api.posts(giulia_thread)[-1]
    assert posted.method == "sendPhoto" and posted.params["photo"] == "AgACAgQring1280"
    assert posted.params["caption"] == "Giulia: this"

    ring = media_sid("ring")
    await desk.whatsapp.send(whatsapp_form("", OTHER_PHONE, media=ring))
    posted = desk.api.posts(claire_thread)[-1]
    assert (
        posted.method == "sendPhoto" and posted.files["photo"] == b"\xff\xd8JPEG " + ring.encode()
    )

    await desk.staff(None, giulia_thread, photo=photo_sizes("sketch"), caption="like this?")
    sent = desk.api.to(ME)[-1]
    assert sent.method == "sendPhoto" and sent.params["photo"] == "AgACAgQsketch1280"
    assert sent.params["caption"] == "Anna: like this?"

    await desk.staff(None, claire_thread, photo=photo_sizes("stone"))
    [link] = desk.twilio.sent[-1].media
    fetched = await desk.whatsapp.fetch(link)
    assert fetched.status_code == 200
    assert fetched.content == b"\xff\xd8JPEG photos/AgACAgQstone1280.jpg"
    forged = await desk.whatsapp.fetch(link.replace("stone", "other"))
    assert forged.status_code == 404


async def test_someone_in_the_group_who_is_not_staff_is_ignored_and_logged(
    desk: Desk, giulia: int, caplog: pytest.LogCaptureFixture
) -> None:
    thread = await with_staff(desk)
    stranger = {"id": 7_770_001, "is_bot": False, "first_name": "Eve"}
    with caplog.at_level(logging.INFO, logger="concierge.desk"):
        calls = await desk.staff("I can answer too", thread, user=stranger)
        await desk.staff("/close", thread, user=stranger)

    assert [c for c in calls if c.method.startswith("send")] == []
    assert "will answer you here" in desk.api.to(ME)[-1].text  # nothing reached Giulia
    assert [h[1] for h in await handoffs(desk.concierge)] == ["open"]
    assert "7770001" in caplog.text and "not registered staff" in caplog.text


async def test_two_conversations_in_two_topics_never_cross(desk: Desk, giulia: int) -> None:
    luca = await enrol(desk.concierge, OTHER_PHONE, "Luca Verdi")
    await link(desk.concierge, luca, "telegram", str(LUCA["id"]))
    await desk.telegram.send(callback_update("person", user=GIULIA))
    await desk.telegram.send(callback_update("person", user=LUCA))
    giulia_thread, luca_thread = desk.thread_of("Giulia"), desk.thread_of("Luca")
    assert giulia_thread != luca_thread

    await desk.telegram.send(message_update("for Giulia's topic", user=GIULIA))
    await desk.telegram.send(message_update("for Luca's topic", user=LUCA))
    await desk.staff("to Luca", luca_thread)
    await desk.staff("to Giulia", giulia_thread, user=MARCO)

    assert desk.api.posts(giulia_thread)[-1].text == "Giulia: for Giulia's topic"
    assert desk.api.posts(luca_thread)[-1].text == "Luca: for Luca's topic"
    assert desk.api.to(ME)[-1].text == "Marco: to Giulia"
    assert desk.api.to(str(LUCA["id"]))[-1].text == "Anna: to Luca"


async def test_claim_note_and_close_then_the_member_is_back_with_the_bot(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)
    to_giulia = len(desk.api.to(ME))

    await desk.staff("/claim", thread)
    assert desk.api.posts(thread)[-1].text == "Anna Bianchi takes this conversation."
    await desk.staff("/claim", thread, user=MARCO)
    assert desk.api.posts(thread)[-1].text == "Marco Bianchi takes over from Anna Bianchi."
    await desk.staff("/note prefers white gold, size 52", thread, user=MARCO)
    assert len(desk.api.to(ME)) == to_giulia  # a note never reaches the member
    assert ("note", "prefers white gold, size 52") in await transcript(desk.concierge)

    await desk.staff("/close", thread, user=MARCO)
    assert "Marco has closed our conversation" in desk.api.to(ME)[-1].text
    assert desk.api.posts(thread)[-1].text == "Closed by Marco Bianchi."
    assert desk.api.closed == [thread]
    assert [h[1] for h in await handoffs(desk.concierge)] == ["closed"]

    answer = await desk.telegram.send(message_update("menu", user=GIULIA))
    assert "How may I help you, Giulia Rossi?" in answer[-1].text  # the bot again

    await desk.staff("one more thing", thread)
    assert "This conversation is closed" in desk.api.posts(thread)[-1].text
    assert desk.api.to(ME)[-1].text != "Anna: one more thing"


async def test_out_of_hours_the_member_is_told_when_to_expect_an_answer(
    desk: Desk, giulia: int, clock: Clock
) -> None:
    clock.current = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # Monday: the store is closed
    await desk.telegram.send(callback_update("person", user=GIULIA))
    told = desk.api.to(ME)[-1].text
    assert (
        "Our team is away at the moment: they will answer you from Tue, Nov 24 at 10:00\u202fAM."
        in told
    )

    clock.current = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Rome: open
    await desk.staff("/close", desk.thread_of("Giulia"))
    await desk.telegram.send(callback_update("person", user=GIULIA))
    assert "away" not in desk.api.to(ME)[-1].text


async def test_staff_outside_the_whatsapp_window_reopen_it_with_the_template(
    desk: Desk, clock: Clock
) -> None:
    await enrol(desk.concierge, PHONE, "Giulia Rossi", locale="fr")
    await register(desk.concierge, ANNA)
    await desk.whatsapp.send(whatsapp_form("je voudrais parler à une personne"))
    thread = desk.thread_of("Giulia")

    clock.current += timedelta(hours=30)  # Giulia has been silent for more than a day
    await desk.staff("Votre bague est prête", thread)
    [reopen] = desk.twilio.sent[-1:]
    assert reopen.content_sid == "HX00000000000000000000000000000f01"  # the French "reopen"
    await desk.staff("Elle vous attend en boutique", thread)
    assert desk.twilio.sent[-1] == reopen  # nothing else goes before she answers

    sent = await desk.whatsapp.send(whatsapp_form("Merci !"))
    assert [s.body for s in sent] == [
        "Anna: Votre bague est prête",
        "Anna: Elle vous attend en boutique",
    ]
    assert desk.api.posts(thread)[-1].text == "Giulia: Merci !"


async def test_a_burst_of_a_hundred_messages_reaches_the_group_paced_and_complete(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)
    desk.api.flooded[GROUP] = 7  # Telegram pushes back once in the middle of it

    for n in range(100):
        await desk.telegram.send(message_update(f"message {n}", user=GIULIA))

    relayed = [c.text for c in desk.api.posts(thread)][1:]
    assert relayed == [f"Giulia: message {n}" for n in range(100)]  # none lost, in order
    group = [c for c in desk.api.calls if c.params.get("chat_id") == GROUP]
    times = [c.at for c in group]
    assert all(b - a >= 1 - 1e-9 for a, b in itertools.pairwise(times))
    assert all(later - times[i] >= 60 - 1e-9 for i, later in enumerate(times[20:]))
    async with desk.concierge.db.unit_of_work() as uow:
        left = await uow.session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.channel == "staff")
        )
        assert set(left) == {"sent"}


async def test_not_understood_twice_a_member_is_given_a_person(desk: Desk, giulia: int) -> None:
    await desk.telegram.send(message_update("blue elephants", user=GIULIA))
    assert await handoffs(desk.concierge) == []
    await desk.telegram.send(message_update("purple giraffes", user=GIULIA))

    assert await handoffs(desk.concierge) == [(ME, "open", "confused")]
    assert "I have asked a member of our team to help" in desk.api.to(ME)[-1].text
    [card] = desk.api.posts(desk.thread_of("Giulia"))
    assert "did not understand twice" in card.text
    assert "Member: blue elephants" in card.text and "Member: purple giraffes" in card.text


async def test_stop_during_a_conversation_with_staff_is_obeyed_and_ends_it(
    desk: Desk, giulia: int
) -> None:
    async with desk.concierge.db.unit_of_work() as uow:
        member = await uow.members.get(giulia)
        assert member is not None
        await members.set_consent(
            uow, member, Purpose.EVENTS, Channel.TELEGRAM, True, desk.concierge.clock(), "t", "w"
        )
        await uow.commit()
    thread = await with_staff(desk)

    await desk.telegram.send(message_update("STOP", user=GIULIA))

    assert "You will receive nothing more from us on Telegram" in desk.api.to(ME)[-1].text
    assert desk.api.posts(thread)[-1].text == (
        "Giulia wrote STOP: nothing more is sent to this chat. Conversation closed."
    )
    assert desk.api.closed == [thread]
    assert [h[1] for h in await handoffs(desk.concierge)] == ["closed"]
    async with desk.concierge.db.unit_of_work() as uow:
        member = await uow.members.get(giulia)
        assert member is not None
        assert not any((await members.consents(uow, member)).values())


async def test_an_old_button_while_with_staff_gets_an_answer_and_is_not_relayed(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)
    posts = len(desk.api.posts(thread))

    await desk.telegram.send(callback_update("card", user=GIULIA))

    assert desk.api.to(ME)[-1].text == "You are talking with our team: write your message here."
    assert len(desk.api.posts(thread)) == posts


async def test_a_message_to_a_member_who_blocked_the_bot_is_reported_in_the_topic(
    desk: Desk, giulia: int
) -> None:
    thread = await with_staff(desk)
    desk.api.blocked.add(ME)

    await desk.staff("Are you there?", thread)

    assert desk.api.posts(thread)[-1].text.startswith("Not delivered to the member: Forbidden")
    async with desk.concierge.db.unit_of_work() as uow:
        identity = await uow.session.scalar(select(ChannelIdentity))
        assert identity is not None and identity.reachable is False


async def test_transcripts_are_deleted_after_the_retention_period_with_their_topics(
    desk: Desk, giulia: int, clock: Clock
) -> None:
    old_thread = await with_staff(desk)
    await desk.telegram.send(message_update("an old question", user=GIULIA))
    await desk.staff("/close", old_thread)
    clock.current += timedelta(days=200)
    await desk.telegram.send(callback_update("person", user=GIULIA))
    await desk.telegram.send(message_update("a recent question", user=GIULIA))
    await desk.staff("/close", max(desk.api.topics))

    clock.current += timedelta(days=366 - 200)
    await retention_job(desk.concierge)
    await desk.telegram.app.state.sending.drain()  # the topics' deletion, as the worker sends

    assert desk.api.deleted == [old_thread]
    said = [text for _, text in await transcript(desk.concierge)]
    assert "a recent question" in said and "an old question" not in said
    assert len(await handoffs(desk.concierge)) == 1
