"""WhatsApp end to end: Twilio's signed forms into the webhook, the Messages API at the wire.

Each test reads as a conversation, then checks the effect in the database and exactly
what was asked of Twilio (faked with respx in tests/channel/twilio.py).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bot import outbound
from bot.bootstrap import Concierge
from bot.channels.media import qr_png
from bot.channels.whatsapp import MAX_MESSAGE, render
from handlers import router as default_router
from handlers.conversation.dialog import Button, Reply
from locales import Speaker
from loyalty.consent import Channel, Purpose
from loyalty.membercard import verify
from loyalty.program import Program
from services import members
from storage.models import ChannelIdentity, Consent, InboundReceipt, Member, OutboxMessage
from tests.channel.conftest import failing_router, left_open
from tests.channel.twilio import PUBLIC_URL, WHATSAPP_HOOK, Sent, WhatsApp, sign
from tests.conftest import Clock
from tests.factories import OTHER_PHONE, PHONE, WHATSAPP_FROM, status_form, whatsapp_form

ME = f"whatsapp:{PHONE}"


async def enrol(
    concierge: Concierge, phone: str = PHONE, name: str = "Giulia Rossi", locale: str = "en"
) -> int:
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, concierge.clock(), phone, name=name, locale=locale
        )
        await uow.commit()
        return member.id


async def grant(concierge: Concierge, member_id: int, *pairs: tuple[str, str]) -> None:
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        for purpose, channel in pairs:
            await members.set_consent(
                uow, member, Purpose(purpose), Channel(channel), True, concierge.clock(),
                "test", "asked in the test",
            )  # fmt: skip
        await uow.commit()


async def consents(concierge: Concierge, member_id: int) -> list[tuple[str, str, bool, str]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Consent.purpose, Consent.channel, Consent.granted, Consent.source)
            .where(Consent.member_id == member_id)
            .order_by(Consent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def outbox(concierge: Concierge) -> list[OutboxMessage]:
    async with concierge.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def count(concierge: Concierge, model: type) -> int:
    async with concierge.db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


def bodies(sent: list[Sent]) -> list[str]:
    return [s.body for s in sent]


# -- a member found by their number ---------------------------------------------------------


async def test_a_known_number_is_recognised_without_any_linking(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)

    sent = await whatsapp.send(whatsapp_form("Hello"))

    assert [s.to for s in sent] == [ME]
    assert sent[0].form["From"] == [f"whatsapp:{WHATSAPP_FROM}"]
    assert sent[0].body.startswith("How may I help you, Giulia Rossi?\n1. My card\n2. My points")
    assert sent[0].body.endswith("Answer with a number, or in your own words.")
    async with concierge.db.unit_of_work() as uow:
        found = await uow.identities.member("whatsapp", PHONE)
    assert found is not None and found[1].id == member_id
    assert found[0].last_inbound_at == concierge.clock()


async def test_a_stranger_joins_answering_by_number_and_by_words(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    phone = "+447911123456"  # a UK number: spoken to in English
    steps = [
        ("Hi", "Welcome to Maison Aurelia. I cannot find a membership with this number yet."),
        ("1", "What name should we use for you?\n1. Cancel"),
        ("James Bond", "Thank you, James Bond. When is your birthday?"),
        ("skip", "May we send you our wishes on your birthday?\n1. Yes, gladly\n2. No, thank"),
        ("1", "May we remember your anniversaries with you"),
        ("no, thank you", "May we invite you to private previews and trunk shows?"),
        ("yes", "May we tell you about new collections?"),
        ("Yes, gladly", "May we tell you what your purchases earn"),
        ("1", "Welcome to Maison Aurelia, James Bond. Your member number is M00001."),
    ]
    for said, expected in steps:
        sent = await whatsapp.send(whatsapp_form(said, phone))
        assert expected in "\n".join(bodies(sent)), (said, bodies(sent))
        assert "Share my phone number" not in "\n".join(bodies(sent))  # WhatsApp knows it

    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.by_phone(phone)
        assert member is not None and member.name == "James Bond"
        granted = await members.consents(uow, member)
    assert {k for k, on in granted.items() if on} == {
        (Purpose.BIRTHDAY, Channel.WHATSAPP),
        (Purpose.EVENTS, Channel.WHATSAPP),
        (Purpose.NEWS, Channel.WHATSAPP),
        (Purpose.ACCOUNT, Channel.WHATSAPP),
    }
    assert await count(concierge, ChannelIdentity) == 1


async def test_a_stranger_is_spoken_to_in_their_numbers_language(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    sent = await whatsapp.send(whatsapp_form("Bonjour", OTHER_PHONE))  # a French number

    assert sent[0].body.startswith("Bienvenue")
    assert await count(concierge, Member) == 0


# -- card, menu ------------------------------------------------------------------------------


async def test_card_comes_with_its_qr_code_as_media_from_a_signed_expiring_link(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await enrol(concierge)

    sent = await whatsapp.send(whatsapp_form("card"))

    assert bodies(sent)[0].startswith("Maison Aurelia\nGiulia Rossi · member M00001")
    assert sent[0].media == []
    assert sent[1].body.startswith("Show this code at the till.")
    [url] = sent[1].media
    assert url.startswith(f"{PUBLIC_URL}/media/qr.png?")
    image = await whatsapp.fetch(url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    payload = parse_qs(urlsplit(url).query)["d"][0]
    assert image.content == qr_png(payload)
    async with concierge.db.unit_of_work() as uow:
        key = await members.qr_key(uow, lambda: "unused")
    assert verify(payload, key) == "M00001"

    forged = url.replace("M00001", "M00002")
    assert (await whatsapp.fetch(forged)).status_code == 404
    clock.current += timedelta(hours=3)  # links last two hours
    assert (await whatsapp.fetch(url)).status_code == 404


async def test_menu_options_are_chosen_by_number_or_by_their_words(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    await whatsapp.send(whatsapp_form("menu"))

    by_number = await whatsapp.send(whatsapp_form("2"))
    assert bodies(by_number)[0].startswith("No points yet: they will appear here")
    await whatsapp.send(whatsapp_form("menu"))
    by_words = await whatsapp.send(whatsapp_form("Points history"))
    assert bodies(by_words)[0] == bodies(by_number)[0]

    prefs = await whatsapp.send(whatsapp_form("6"))
    assert bodies(prefs)[0].startswith("Your preferences")
    again = await whatsapp.send(whatsapp_form("99"))  # no such option: read as words
    assert bodies(again)[0].startswith("I am sorry, I did not understand.")


def test_options_number_on_across_the_replies_of_one_turn() -> None:
    replies = [
        Reply("First", ((Button("A", "a"), Button("B", "b")),)),
        Reply("Second", ((Button("C", "c"),),), qr="CLUB1:M00001:x"),
    ]
    messages = render(replies, Speaker("en", UTC))
    assert messages == [
        ("First\n1. A\n2. B", None),
        ("Second\n3. C\n\nAnswer with a number, or in your own words.", "CLUB1:M00001:x"),
    ]


def test_a_long_text_is_split_at_twilios_limit_and_the_media_rides_on_the_last_part() -> None:
    text = "\n".join(f"line {i:04d} " + "x" * 40 for i in range(200))
    messages = render([Reply(text, qr="CARD")], Speaker("en", UTC))
    assert all(len(body) <= MAX_MESSAGE for body, _ in messages)
    assert "\n".join(body for body, _ in messages) == text
    assert [qr for _, qr in messages] == [None] * (len(messages) - 1) + ["CARD"]


# -- STOP and START ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "stop", "start", "stopped", "restored"),
    [
        ("en", "STOP", "START", "You will receive nothing more", "Welcome back"),
        ("fr", "Arrêt", "reprendre", "Vous ne recevrez plus rien", "Bon retour"),
        ("it", "BASTA", "riprendi", "Non riceverà più nulla", "Bentornat"),
        # the words of every club language, whatever the member's own; she reads hers
        ("fr", "BASTA", "riprendi", "Vous ne recevrez plus rien", "Bon retour"),
        ("it", "désabonner", "reprendre", "Non riceverà più nulla", "Bentornat"),
        ("en", "Arrêt", "riprendi", "You will receive nothing more", "Welcome back"),
    ],
)
async def test_stop_and_start_in_any_club_language_touch_whatsapp_only(
    whatsapp: WhatsApp,
    concierge: Concierge,
    clock: Clock,
    locale: str,
    stop: str,
    start: str,
    stopped: str,
    restored: str,
) -> None:
    member_id = await enrol(concierge, locale=locale)
    await grant(
        concierge, member_id, ("birthday", "whatsapp"), ("events", "whatsapp"),
        ("events", "telegram"),
    )  # fmt: skip
    clock.current += timedelta(minutes=1)

    [confirmed] = await whatsapp.send(whatsapp_form(stop))
    assert confirmed.body.startswith(stopped) and "\n" not in confirmed.body  # one line

    clock.current += timedelta(minutes=1)
    await grant(concierge, member_id, ("news", "whatsapp"))  # chosen again in between
    clock.current += timedelta(minutes=1)
    [welcome] = await whatsapp.send(whatsapp_form(start))
    assert welcome.body.startswith(restored) and "\n" not in welcome.body

    history = await consents(concierge, member_id)
    assert history[3:] == [
        ("birthday", "whatsapp", False, "chat:whatsapp:stop"),
        ("events", "whatsapp", False, "chat:whatsapp:stop"),
        ("service", "whatsapp", False, "chat:whatsapp:stop"),  # news of their requests too
        ("news", "whatsapp", True, "test"),
        ("birthday", "whatsapp", True, "chat:whatsapp:start"),
        ("events", "whatsapp", True, "chat:whatsapp:start"),
        ("service", "whatsapp", True, "chat:whatsapp:start"),
    ]  # Telegram's consent untouched throughout


async def test_start_from_someone_who_never_agreed_says_how_to_choose(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)

    [answer] = await whatsapp.send(whatsapp_form("start"))

    assert answer.body == 'You have not chosen any messages yet: write "preferences" to choose.'
    assert await consents(concierge, member_id) == []


async def test_stop_in_the_middle_of_a_question_is_obeyed(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await grant(concierge, member_id, ("birthday", "whatsapp"))
    await whatsapp.send(whatsapp_form("preferences"))
    await whatsapp.send(whatsapp_form("Time zone"))  # now expecting a city

    [answer] = await whatsapp.send(whatsapp_form("stop"))

    assert answer.body.startswith("You will receive nothing more from us on WhatsApp.")
    assert (await consents(concierge, member_id))[-1][2:] == (False, "chat:whatsapp:stop")


# -- bad input changes nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90IGEgc2lnbmF0dXJl", "sign-for-another-url"],
)
async def test_a_forged_or_missing_signature_is_refused_and_nothing_is_stored(
    whatsapp: WhatsApp, concierge: Concierge, signature: str | None
) -> None:
    form = whatsapp_form("card")
    if signature == "sign-for-another-url":
        signature = sign("https://attacker.example/twilio/whatsapp", form)

    response = await whatsapp.post(WHATSAPP_HOOK, form, signature=signature)

    assert response.status_code == 403
    assert await count(concierge, InboundReceipt) == 0
    assert whatsapp.twilio.sent == []


async def test_a_changed_body_breaks_the_signature(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    form = whatsapp_form("card")
    signature = sign(PUBLIC_URL + WHATSAPP_HOOK, form)
    form["Body"] = "stop"

    response = await whatsapp.post(WHATSAPP_HOOK, form, signature=signature)

    assert response.status_code == 403
    assert await count(concierge, InboundReceipt) == 0


async def test_the_same_message_sid_twice_is_answered_once(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    form = whatsapp_form("card")

    first = await whatsapp.send(form)
    second = await whatsapp.send(form)

    assert len(first) == 2 and second == []
    assert await count(concierge, InboundReceipt) == 1


async def test_a_message_that_keeps_failing_is_tried_three_times_then_failed_with_its_reason(
    whatsapp: WhatsApp, concierge: Concierge, caplog: pytest.LogCaptureFixture
) -> None:
    tried: list[str | None] = []
    router = failing_router(tried)
    channel = outbound.wire(whatsapp.concierge, "test", router)[0].whatsapp
    assert channel is not None
    form = whatsapp_form("my secret wish list")
    assert await channel.receive(form) is None  # failed: Twilio got its 200 all the same
    for _ in range(3):  # the next two starts try again; the third finds nothing to try
        await channel.catch_up()

    assert tried == ["my secret wish list"] * 3
    async with concierge.db.unit_of_work() as uow:
        row = await uow.session.scalar(select(InboundReceipt))
    assert row is not None
    assert (row.attempts, row.error, row.payload, row.handled_at) == (
        3,
        "ConnectionResetError",
        None,
        None,
    )
    assert row.failed_at == concierge.clock()
    assert "wish list" not in caplog.text
    assert whatsapp.twilio.sent == []


async def test_ten_thousand_characters_get_a_clear_answer_and_change_nothing(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)

    [answer] = await whatsapp.send(whatsapp_form("stop " * 2000))

    assert answer.body.startswith("That message is too long for me.")
    assert await consents(concierge, member_id) == []


async def test_a_stranger_writing_stop_is_told_there_is_nothing_to_stop(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    [answer] = await whatsapp.send(whatsapp_form("STOP", "+447911123456"))

    assert answer.body.startswith(
        "We have nothing to stop: we send you nothing.\n1. Join the club"
    )
    assert await count(concierge, Member) == 0


# -- the 24-hour window -----------------------------------------------------------------------


async def test_a_reply_outside_24_hours_waits_and_the_template_asks_the_member_back(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await enrol(concierge, locale="fr")
    form = whatsapp_form("card")
    channel = whatsapp.app.state.whatsapp
    await left_open(concierge, form)  # recorded, then the process stopped

    clock.current += timedelta(hours=25)
    await channel.catch_up()  # the restart, a day later

    [template] = whatsapp.twilio.sent
    assert template.content_sid == "HX00000000000000000000000000000f01"  # French "reopen"
    assert template.form["ContentVariables"] == ['{"1": "Giulia", "2": "Maison Aurelia"}']
    assert "Body" not in template.form
    waiting = [m.status for m in await outbox(concierge)]
    assert waiting == ["awaiting_window", "awaiting_window", "queued"]

    await channel.catch_up()  # nothing new: the template is not sent twice
    assert len(whatsapp.twilio.sent) == 1

    sent = await whatsapp.send(whatsapp_form("Bonjour"))  # the member answers
    assert bodies(sent)[0].startswith("Maison Aurelia\nGiulia Rossi")  # the card first
    assert sent[1].media and bodies(sent)[2].startswith("Comment puis-je vous aider")
    assert [m.status for m in await outbox(concierge)] == ["queued"] * 4


async def test_twilio_refusing_for_the_window_makes_the_reply_wait(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    whatsapp.twilio.refusals.append((400, 63016))

    sent = await whatsapp.send(whatsapp_form("Hello"))

    assert [s.content_sid for s in sent] == ["HX00000000000000000000000000000e01"]
    [reply, reopen] = await outbox(concierge)
    assert (reply.status, reply.kind) == ("awaiting_window", "reply")
    assert (reopen.status, reopen.kind) == ("queued", "reopen")


async def test_twilio_down_leaves_the_reply_pending_with_the_reason(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    whatsapp.twilio.refusals.append((503, 20500))

    assert await whatsapp.send(whatsapp_form("Hello")) == []

    [reply] = await outbox(concierge)
    assert reply.status == "pending" and "20500" in (reply.last_error or "")
    assert reply.attempts == 1
    sent = await whatsapp.send(whatsapp_form("card"))  # the next message carries it along
    assert bodies(sent)[0].startswith("How may I help you")
    assert [m.status for m in await outbox(concierge)] == ["queued"] * 3


async def test_a_refused_message_is_failed_with_twilios_code(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    whatsapp.twilio.refusals.append((400, 21211))

    await whatsapp.send(whatsapp_form("Hello"))

    [reply] = await outbox(concierge)
    assert (reply.status, reply.error_code) == ("failed", "21211")


# -- status callbacks -------------------------------------------------------------------------


async def test_status_callbacks_move_a_message_forward_only(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    [message] = await whatsapp.send(whatsapp_form("Hello"))
    assert message.callback.startswith(f"{PUBLIC_URL}/twilio/status?m=")

    for status in ["sent", "read", "delivered", "sent", "queued", "read"]:  # out of order
        response = await whatsapp.callback(message, status_form(message.sid, status))
        assert response.status_code == 204
    [row] = await outbox(concierge)
    assert (row.status, row.provider_id) == ("read", message.sid)


async def test_a_failed_delivery_is_kept_with_its_error_code(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    [message] = await whatsapp.send(whatsapp_form("Hello"))

    await whatsapp.callback(message, status_form(message.sid, "sent"))
    await whatsapp.callback(message, status_form(message.sid, "undelivered", error_code="63024"))
    await whatsapp.callback(message, status_form(message.sid, "sent"))  # late, ignored

    [row] = await outbox(concierge)
    assert (row.status, row.error_code) == ("undelivered", "63024")


async def test_a_callback_about_another_message_or_forged_changes_nothing(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)
    [message] = await whatsapp.send(whatsapp_form("Hello"))

    other = await whatsapp.callback(message, status_form("SM" + "f" * 32, "read"))
    path = urlsplit(message.callback)
    forged = await whatsapp.post(
        f"{path.path}?{path.query}", status_form(message.sid, "read"), signature="Zm9yZ2Vk"
    )

    assert other.status_code == 204 and forged.status_code == 403
    [row] = await outbox(concierge)
    assert (row.status, row.provider_id) == ("queued", message.sid)


async def test_a_stop_word_inside_a_sentence_is_not_a_stop(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await enrol(concierge, locale="it")
    await grant(concierge, member_id, ("birthday", "whatsapp"))

    await whatsapp.send(whatsapp_form("Grazie, mi basta così"))

    assert [granted for *_, granted, _source in await consents(concierge, member_id)] == [True]


async def test_a_template_quick_reply_button_is_read_as_its_action(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await enrol(concierge)

    card = await whatsapp.send(whatsapp_form("My card", button_payload="card"))
    visit = await whatsapp.send(whatsapp_form("Plan a visit", button_payload="appointments"))
    unknown = await whatsapp.send(whatsapp_form("Points history", button_payload="offer:2019"))

    assert card[1].media  # the card, with its QR code
    assert bodies(visit)[0].startswith("What would you like to book?")  # a command's name
    assert bodies(unknown)[0].startswith("No points yet")  # not ours: its words are read
    assert not any("no longer valid" in body for body in bodies(card + visit + unknown))


def test_every_template_button_of_the_demo_club_names_an_action(program: Program) -> None:
    router = default_router()
    payloads = {
        payload
        for languages in program.whatsapp.templates.values()
        for template in languages.values()
        for payload in template.buttons
    }
    assert payloads >= {"menu", "card", "events", "appointments"}
    assert [payload for payload in payloads if router.for_button(payload) is None] == []
