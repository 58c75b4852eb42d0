"""The sender end to end: occasions queued, rules asked again, channels at the wire."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from bot.channels.telegram import TelegramChannel, telegram_channel
from bot.channels.whatsapp import WhatsAppChannel
from loyalty.consent import Channel, Purpose
from loyalty.ports import Outcome
from services import members, occasions
from services.outgoing import MAX_ATTEMPTS
from services.sending import LEASE
from storage.models import ChannelIdentity, OutboxMessage
from tests.channel.conftest import (
    FakeTelegram,
    Fault,
    Telegram,
    bad_gateway,
    lost_answer,
    refused,
    sender,
    telegram_settings,
)
from tests.channel.twilio import WhatsApp
from tests.conftest import Clock
from tests.factories import PHONE, TELEGRAM_USER_ID, message_update, whatsapp_form

CHAT = str(TELEGRAM_USER_ID)
ME = f"whatsapp:{PHONE}"


async def birthday_today(
    concierge: Concierge,
    channel: Channel = Channel.WHATSAPP,
    wrote_ago: timedelta | None = timedelta(hours=1),
    chat: bool = True,
) -> int:
    """Giulia, born on this day, agreed to birthday wishes on `channel` (without a `chat`:
    at the till, never having written to us there); the scan ran."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, now - timedelta(days=400), PHONE, name="Giulia Rossi",
            birthday="1990-11-24", locale="en",
        )  # fmt: skip
        await members.set_consent(
            uow, member, Purpose.BIRTHDAY, channel, True, now - timedelta(days=2), "test", "asked"
        )
        address = PHONE if channel is Channel.WHATSAPP else CHAT
        if chat:
            await uow.identities.link(member.id, channel, address, "en", now - timedelta(days=3))
        if chat and wrote_ago is not None:
            identity = await uow.session.scalar(select(ChannelIdentity))
            assert identity is not None
            identity.last_inbound_at = now - wrote_ago
        planned = await occasions.plan(uow, concierge.program, now)
        assert await occasions.queue(uow, concierge.program, now, planned) == 1
        await uow.commit()
        return member.id


async def the_row_of_kind(concierge: Concierge, kind: str) -> OutboxMessage:
    async with concierge.db.unit_of_work() as uow:
        return (
            await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        ).one()


async def the_row(concierge: Concierge) -> OutboxMessage:
    async with concierge.db.unit_of_work() as uow:
        [row] = (await uow.session.scalars(select(OutboxMessage))).all()
        return row


async def test_a_birthday_inside_the_window_goes_as_text_once(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await birthday_today(concierge)
    sending = sender(concierge, whatsapp.app.state.whatsapp)

    first = await sending.drain()
    second = await sending.drain()

    [message] = whatsapp.twilio.sent
    assert message.body == (
        "Happy birthday, Giulia!\nEveryone at Maison Aurelia sends you their warmest wishes.\n"
        "As a Silver member, 100 points have been added to your card."
    )
    assert (first.sent, second.sent) == (1, 0)
    row = await the_row(concierge)
    assert (row.status, row.provider_id, row.attempts) == ("queued", message.sid, 1)


async def test_outside_the_window_the_approved_template_carries_it(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await birthday_today(concierge, wrote_ago=timedelta(days=3))

    await sender(concierge, whatsapp.app.state.whatsapp).drain()

    [message] = whatsapp.twilio.sent
    assert message.content_sid == "HX00000000000000000000000000000e02"
    assert message.form["ContentVariables"] == ['{"1": "Giulia", "2": "Maison Aurelia"}']


async def test_a_member_who_never_wrote_on_whatsapp_is_greeted_at_their_number_by_template(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    await birthday_today(concierge, chat=False)  # consent recorded at the till

    report = await sender(concierge, whatsapp.app.state.whatsapp).drain()

    [message] = whatsapp.twilio.sent
    assert (message.to, message.content_sid) == (ME, "HX00000000000000000000000000000e02")
    assert report.sent == 1
    row = await the_row(concierge)
    assert (row.status, row.basis) == ("queued", "consent: birthday")


async def test_without_an_approved_template_it_waits_saying_so_and_goes_once_there_is_one(
    whatsapp: WhatsApp, concierge: Concierge, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = concierge.program.whatsapp.templates
    approved = templates["birthday"]
    monkeypatch.delitem(templates, "birthday")  # none in English (the default) nor Italian
    await birthday_today(concierge, chat=False)
    sending = sender(concierge, whatsapp.app.state.whatsapp)

    report = await sending.drain()
    again = await sending.drain()  # it waits: nothing is tried, nothing is skipped

    assert whatsapp.twilio.sent == [] and report.awaiting_template == 1
    assert again.awaiting_template == again.sent == 0
    row = await the_row(concierge)
    assert row.status == "awaiting_template"
    assert "no approved 'birthday' template in en or en" in (row.last_error or "")

    monkeypatch.setitem(templates, "birthday", approved)  # the jeweller adds it to the program
    assert (await sending.drain()).sent == 1
    [message] = whatsapp.twilio.sent
    assert message.content_sid == "HX00000000000000000000000000000e02"


async def test_a_message_waiting_for_a_template_goes_as_text_once_the_member_writes(
    whatsapp: WhatsApp, concierge: Concierge, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    monkeypatch.delitem(concierge.program.whatsapp.templates, "birthday")
    await birthday_today(concierge, chat=False)
    sending = sender(concierge, whatsapp.app.state.whatsapp)
    await sending.drain()

    clock.current += timedelta(hours=2)
    await whatsapp.send(whatsapp_form("Hello"))
    await sending.drain()

    greeting = [m for m in whatsapp.twilio.sent if m.body.startswith("Happy birthday")]
    assert len(greeting) == 1 and greeting[0].content_sid is None
    assert (await the_row_of_kind(concierge, "birthday")).status == "queued"


async def test_consent_revoked_after_queueing_means_nothing_is_sent(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id = await birthday_today(concierge)
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        await members.stop(uow, member, concierge.clock(), "chat:whatsapp:stop", "STOP")
        await uow.commit()

    report = await sender(concierge, whatsapp.app.state.whatsapp).drain()

    assert whatsapp.twilio.sent == [] and report.cancelled == 1
    row = await the_row(concierge)
    assert (row.status, row.last_error) == ("cancelled", "no consent for birthday on whatsapp")


async def test_quiet_hours_in_the_members_zone_defer_to_the_morning(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await birthday_today(concierge)
    clock.current = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 22:30 in Rome
    sending = sender(concierge, whatsapp.app.state.whatsapp)

    assert (await sending.drain()).deferred == 1
    row = await the_row(concierge)
    assert (row.status, row.due_at) == ("pending", datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    assert whatsapp.twilio.sent == []

    clock.current = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Rome
    assert (await sending.drain()).sent == 1


async def test_twilio_429_is_tried_again_the_next_second_not_after_a_backoff(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await birthday_today(concierge)
    whatsapp.twilio.refusals.append((429, 20429))  # over the sender's messages a second
    sending = sender(concierge, whatsapp.app.state.whatsapp)

    await sending.drain()
    row = await the_row(concierge)
    assert (row.status, row.due_at) == ("pending", clock.current + timedelta(seconds=1))

    clock.current += timedelta(seconds=1)
    assert (await sending.drain()).sent == 1


async def test_twilio_down_is_retried_with_backoff_then_given_up(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await birthday_today(concierge)
    whatsapp.twilio.refusals.extend([(500, 20500)] * MAX_ATTEMPTS)
    sending = sender(concierge, whatsapp.app.state.whatsapp)

    await sending.drain()
    row = await the_row(concierge)
    assert (row.status, row.due_at) == ("pending", clock.current + timedelta(seconds=2))

    for _ in range(MAX_ATTEMPTS):
        clock.current += timedelta(minutes=2)  # past each backoff (2, 4, 8... seconds)
        await sending.drain()
    row = await the_row(concierge)
    assert row.status == "dead" and row.attempts == MAX_ATTEMPTS
    assert whatsapp.twilio.sent == []


@pytest.fixture
def telegram_sender(concierge: Concierge, api: FakeTelegram) -> TelegramChannel:
    app = telegram_settings(concierge)
    channel = telegram_channel(app)
    assert channel is not None
    return channel


async def test_telegram_429_waits_as_long_as_telegram_says(
    telegram_sender: TelegramChannel, api: FakeTelegram, concierge: Concierge, clock: Clock
) -> None:
    await birthday_today(concierge, Channel.TELEGRAM)
    api.flooded[CHAT] = 7

    await sender(concierge, telegram_sender).drain()

    row = await the_row(concierge)
    assert (row.status, row.due_at) == ("pending", clock.current + timedelta(seconds=7))
    clock.current += timedelta(seconds=7)
    assert (await sender(concierge, telegram_sender).drain()).sent == 1
    greetings = [c.text.splitlines()[0] for c in api.sent()]
    assert greetings == ["Happy birthday, Giulia!"] * 2  # the first was refused with 429


async def test_a_message_telegram_refuses_as_a_bad_request_fails_once_not_retried(
    telegram_sender: TelegramChannel, api: FakeTelegram, concierge: Concierge
) -> None:
    await birthday_today(concierge, Channel.TELEGRAM)
    api.refused[CHAT] = "Bad Request: chat not found"  # python-telegram-bot: a NetworkError

    report = await sender(concierge, telegram_sender).drain()

    assert (report.failed, report.retried) == (1, 0)
    row = await the_row(concierge)
    assert (row.status, row.attempts) == ("failed", 1)


async def test_a_member_who_blocked_the_bot_is_marked_unreachable(
    telegram_sender: TelegramChannel, api: FakeTelegram, concierge: Concierge
) -> None:
    await birthday_today(concierge, Channel.TELEGRAM)
    api.blocked.add(CHAT)

    report = await sender(concierge, telegram_sender).drain()

    assert report.cancelled == 1
    async with concierge.db.unit_of_work() as uow:
        identity = await uow.session.scalar(select(ChannelIdentity))
        assert identity is not None and identity.reachable is False
    assert (await the_row(concierge)).last_error == "blocked by the member"


async def test_a_burst_is_paced_to_one_message_a_second_per_chat(
    telegram_sender: TelegramChannel, api: FakeTelegram, concierge: Concierge, clock: Clock
) -> None:
    member_id = await birthday_today(concierge, Channel.TELEGRAM)
    async with concierge.db.unit_of_work() as uow:
        for year in range(2027, 2031):  # four more to the same chat, due now
            await uow.outbox.add(
                concierge.clock(), member_id=member_id, channel="telegram", address=CHAT,
                kind="birthday", body="", purpose="service", key=f"x:{year}",
                due_at=concierge.clock(),
            )  # fmt: skip
        member = await uow.members.get(member_id)
        assert member is not None
        await members.set_consent(
            uow,
            member,
            Purpose.SERVICE,
            Channel.TELEGRAM,
            True,
            concierge.clock(),
            "test",
            "asked",
        )
        await uow.commit()

    assert (await sender(concierge, telegram_sender).drain()).sent == 5
    # After a burst of three, the other two wait their second each. Sent at once, their
    # pauses add up on the test's clock in either order: 1 and 1, or 1 and 2.
    assert len(clock.pauses) == 2 and min(clock.pauses) == 1.0


async def test_two_senders_on_one_database_send_each_message_once(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    async with concierge.db.unit_of_work() as uow:
        now = concierge.clock()
        for i in range(20):
            phone = f"+4479111234{i:02d}"
            member = await members.add(
                uow, concierge.program, now - timedelta(days=400), phone, name=f"Member {i}",
                birthday="11-24", locale="en",
            )  # fmt: skip
            await members.set_consent(
                uow, member, Purpose.BIRTHDAY, Channel.WHATSAPP, True, now, "test", "asked"
            )
            await uow.identities.link(member.id, "whatsapp", phone, "en", now)
        planned = await occasions.plan(uow, concierge.program, now)
        assert await occasions.queue(uow, concierge.program, now, planned) == 20
        await uow.commit()
    channel = whatsapp.app.state.whatsapp
    first = sender(concierge, channel)
    second = sender(concierge, channel, worker="other-sender")

    reports = await asyncio.gather(first.drain(), second.drain())

    recipients = [message.to for message in whatsapp.twilio.sent]
    assert len(recipients) == 20 == len(set(recipients))
    assert sum(report.sent for report in reports) == 20


class Killed(BaseException):
    """The process ended (kill -9): nothing after it runs, no handler catches it."""


class DiesAfterTheCall:
    """A channel whose process dies once the provider has the message, before recording it."""

    def __init__(self, real: WhatsAppChannel) -> None:
        self.real = real
        self.name = real.name
        self.paces = real.paces

    async def send(self, *args: Any) -> Outcome:
        await self.real.send(*args)
        raise Killed


async def test_a_worker_killed_after_its_call_never_has_the_message_sent_twice(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await birthday_today(concierge)
    channel = whatsapp.app.state.whatsapp
    with pytest.raises(Killed):
        await sender(concierge, DiesAfterTheCall(channel)).drain()

    clock.current += LEASE + timedelta(seconds=1)
    report = await sender(concierge, channel).drain()

    assert len(whatsapp.twilio.sent) == 1 and report.uncertain == 1 and report.sent == 0
    assert (await the_row(concierge)).status == "uncertain"  # for staff: outbox list / retry


async def test_a_worker_killed_before_its_call_is_taken_over_and_sent_once(
    whatsapp: WhatsApp, concierge: Concierge, clock: Clock
) -> None:
    await birthday_today(concierge)
    async with concierge.db.unit_of_work() as uow:  # the dead worker had claimed it only
        held = await uow.leases.claim_ready("dead-worker", clock.current, LEASE, 10, ["whatsapp"])
        assert len(held) == 1
        await uow.commit()
    channel = whatsapp.app.state.whatsapp

    assert (await sender(concierge, channel).drain()).sent == 0  # held
    clock.current += LEASE + timedelta(seconds=1)
    report = await sender(concierge, channel).drain()

    assert (report.taken_back, report.sent) == (1, 1)
    assert len(whatsapp.twilio.sent) == 1


# -- a reply is never lost -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "arrived"),
    [(bad_gateway, 1), (refused, 1), (lost_answer, 2)],  # at least once: it may have gone
    ids=["502", "refused", "time-out"],
)
async def test_a_reply_telegram_did_not_take_arrives_later(
    telegram: Telegram, api: FakeTelegram, clock: Clock, fault: Fault, arrived: int
) -> None:
    api.faults.append(fault)

    await telegram.send(message_update("/start"))
    clock.current += timedelta(minutes=1)  # past its backoff
    await telegram.app.state.sending.drain()

    welcome = [c for c in api.to(CHAT) if c.status == 200 and c.text.startswith("Welcome")]
    assert len(welcome) == arrived
    assert {row.status for row in await rows(telegram.concierge)} == {"sent"}


@pytest.mark.parametrize(("lost", "arrived"), [(False, 1), (True, 2)], ids=["refused", "time-out"])
async def test_a_reply_twilio_did_not_take_arrives_with_the_members_next_message(
    whatsapp: WhatsApp, concierge: Concierge, lost: bool, arrived: int
) -> None:
    whatsapp.twilio.lost.append(lost)

    first = await whatsapp.send(whatsapp_form("Hello", "+447911123456"))
    sent = await whatsapp.send(whatsapp_form("Hello again", "+447911123456"))

    assert len(first) == arrived - 1  # what Twilio took though its answer was lost

    greetings = [s for s in whatsapp.twilio.sent if s.body.startswith("Welcome to")]
    assert len(greetings) == arrived + 1  # the first reply, and the answer to the second
    assert sent[0].body == greetings[-2].body  # the first reply first, in order


async def rows(concierge: Concierge) -> list[OutboxMessage]:
    async with concierge.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
