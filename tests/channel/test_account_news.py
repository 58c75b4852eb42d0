"""Account news end to end: a sale arrives by the POS webhook, the outbox sends what it
earned to a member who agreed to it, in her language, once however often the till repeats;
the rewards it brought within reach ride in the same message, once each."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import httpx
import pytest

from bot.bootstrap import Concierge
from loyalty.consent import Channel, Purpose
from loyalty.program import Program
from services import members
from tests.channel.conftest import Desk
from tests.factories import POS_SECRET, TELEGRAM_USER_ID

ME = str(TELEGRAM_USER_ID)
PHONE = "+393471234567"


async def member(
    concierge: Concierge, locale: str, agreed: list[tuple[Purpose, Channel]], telegram: bool
) -> int:
    """Giulia, a member for a month, who agreed to `agreed`; on Telegram too if `telegram`."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        giulia = await members.add(
            uow, concierge.program, now - timedelta(days=30), PHONE, name="Giulia Rossi",
            locale=locale,
        )  # fmt: skip
        for purpose, channel in agreed:
            await members.set_consent(uow, giulia, purpose, channel, True, now, "till", "asked")
        if telegram:
            await uow.identities.link(giulia.id, "telegram", ME, locale, now)
        await uow.commit()
        return giulia.id


async def sale(
    desk: Desk, order_id: str, at: datetime, amount: str = "480.00", status: str = "paid"
) -> int:
    body = json.dumps({
        "order_id": order_id, "phone": PHONE, "amount": amount, "currency": "EUR",
        "purchased_at": at.isoformat(), "category": "ring", "status": status,
    }).encode()  # fmt: skip
    signature = hmac.new(POS_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response: httpx.Response = await desk.telegram.http.post(
        "/api/purchases", content=body, headers={"X-Concierge-Signature": f"sha256={signature}"}
    )
    return response.status_code


def template(program: Program, kind: str, language: str) -> str:
    found = program.template(kind, language)
    assert found is not None
    return found.sid


async def drain(desk: Desk) -> int:
    return (await desk.telegram.app.state.sending.drain()).sent


async def test_a_days_sales_bring_one_message_on_telegram_in_her_language_and_never_twice(
    desk: Desk,
) -> None:
    concierge = desk.concierge
    await member(concierge, "it", [(Purpose.ACCOUNT, Channel.TELEGRAM)], telegram=True)
    now = concierge.clock()

    statuses = [
        await sale(desk, "POS-1", now - timedelta(hours=2)),
        await sale(desk, "POS-2", now - timedelta(hours=1), "120.00"),
        await sale(desk, "POS-1", now - timedelta(hours=2)),  # the till sends it again
    ]
    assert statuses == [201, 201, 200]
    assert await drain(desk) == 2  # the day's sales, and the badge of her first piece

    texts = sorted(call.text for call in desk.api.to(ME) if call.method == "sendMessage")
    assert texts == [
        "Gentile Giulia,\nHa ottenuto il riconoscimento «Primo gioiello».",
        "Gentile Giulia,\nI Suoi acquisti del 24 nov 2026 Le hanno fatto guadagnare 600 punti."
        "\nIl Suo saldo è ora di 600 punti."  # both sales of the day, in one message
        "\nCon i Suoi punti può ora prendere Pulizia professionale, Kit di cura inciso e "
        "Incisione: veda Premi nel menu.",  # and the rewards they brought within reach
    ]

    assert await sale(desk, "POS-2", now - timedelta(hours=1), "120.00") == 200
    assert await drain(desk) == 0
    assert len(desk.api.to(ME)) == 2


async def test_on_whatsapp_the_news_goes_as_the_programs_template_in_her_language(
    desk: Desk,
) -> None:
    concierge = desk.concierge
    await member(concierge, "fr", [(Purpose.ACCOUNT, Channel.WHATSAPP)], telegram=False)
    now = concierge.clock()

    assert await sale(desk, "POS-7", now - timedelta(minutes=5), "120.00") == 201
    assert await sale(desk, "POS-7", now - timedelta(minutes=5), "120.00") == 200
    assert await drain(desk) == 2  # and the badge of her first piece

    earned = template(concierge.program, "points_earned", "fr")
    [sent] = [message for message in desk.twilio.sent if message.content_sid == earned]
    assert sent.to == f"whatsapp:{PHONE}"
    assert json.loads(sent.form["ContentVariables"][0]) == {
        "1": "Giulia", "2": "120", "3": "120",
    }  # fmt: skip


async def test_on_whatsapp_rewards_within_reach_ride_in_the_days_template(desk: Desk) -> None:
    concierge = desk.concierge
    await member(concierge, "fr", [(Purpose.ACCOUNT, Channel.WHATSAPP)], telegram=False)

    assert await sale(desk, "POS-7", concierge.clock() - timedelta(minutes=5)) == 201
    assert await drain(desk) == 2  # the day's sale with its rewards, the badge

    reach = template(concierge.program, "points_earned_reach", "fr")
    [sent] = [message for message in desk.twilio.sent if message.content_sid == reach]
    assert json.loads(sent.form["ContentVariables"][0]) == {
        "1": "Giulia", "2": "480", "3": "480",
        "4": "Nettoyage professionnel et Nécessaire d'entretien gravé",
    }  # fmt: skip
    alone = template(concierge.program, "reward_within_reach", "fr")
    assert [m for m in desk.twilio.sent if m.content_sid == alone] == []


async def test_a_program_without_that_template_sends_the_days_own(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    concierge = desk.concierge
    monkeypatch.delitem(concierge.program.whatsapp.templates, "points_earned_reach")
    await member(concierge, "fr", [(Purpose.ACCOUNT, Channel.WHATSAPP)], telegram=False)

    assert await sale(desk, "POS-7", concierge.clock() - timedelta(minutes=5)) == 201
    assert await drain(desk) == 2  # not held waiting for a template the club has not got

    earned = template(concierge.program, "points_earned", "fr")
    assert [m.content_sid for m in desk.twilio.sent].count(earned) == 1


async def test_a_gift_brings_a_reward_within_reach_alone_and_a_dip_and_rise_tells_nothing_new(
    desk: Desk,
) -> None:
    concierge = desk.concierge
    giulia = await member(concierge, "en", [(Purpose.ACCOUNT, Channel.TELEGRAM)], telegram=True)
    now = concierge.clock()
    assert await sale(desk, "POS-1", now - timedelta(hours=3), "200.00") == 201
    assert await drain(desk) == 2  # the sale (and the cleaning now within reach), the badge
    await gift(concierge, giulia, 100)  # 300: the engraved care kit
    assert await drain(desk) == 1

    texts = [call.text for call in desk.api.to(ME) if call.method == "sendMessage"]
    assert (
        "Your purchases of Nov 24, 2026 earned you 200 points.\nYour balance is now 200 points."
        "\nYou can now take Professional cleaning with your points: see Rewards in the menu."
    ) in "\n".join(texts)
    assert texts[-1] == (
        "Dear Giulia,\nYour points now cover Engraved care kit: see Rewards in the menu to "
        "take it."
    )

    assert await sale(desk, "POS-1", now - timedelta(hours=3), "200.00", "refunded") == 200
    assert await sale(desk, "POS-2", now - timedelta(hours=1), "200.00") == 201  # 300 again
    assert await drain(desk) == 0  # the day's message went already; both rewards were told
    await gift(concierge, giulia, 50)
    assert await drain(desk) == 0
    assert len(desk.api.to(ME)) == 3


async def test_on_whatsapp_a_reward_within_reach_alone_goes_as_its_template(desk: Desk) -> None:
    concierge = desk.concierge
    giulia = await member(concierge, "it", [(Purpose.ACCOUNT, Channel.WHATSAPP)], telegram=False)
    await gift(concierge, giulia, 150)
    assert await drain(desk) == 1

    alone = template(concierge.program, "reward_within_reach", "it")
    [sent] = desk.twilio.sent
    assert sent.content_sid == alone
    assert json.loads(sent.form["ContentVariables"][0]) == {
        "1": "Giulia", "2": "Pulizia professionale",
    }  # fmt: skip


async def gift(concierge: Concierge, member_id: int, points: int) -> None:
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        await members.adjust(
            uow, found, points, f"gift-{points}", "a gift", concierge.clock(), concierge.program
        )
        await uow.commit()


async def test_no_news_without_the_account_consent_on_that_channel(desk: Desk) -> None:
    concierge = desk.concierge
    agreed = [(Purpose.EVENTS, Channel.TELEGRAM), (Purpose.ACCOUNT, Channel.WHATSAPP)]
    await member(concierge, "en", agreed, telegram=True)
    await member_stops_whatsapp(concierge)

    assert await sale(desk, "POS-9", concierge.clock() - timedelta(hours=1)) == 201
    assert await drain(desk) == 0
    assert desk.api.to(ME) == [] and desk.twilio.sent == []


async def member_stops_whatsapp(concierge: Concierge) -> None:
    """She takes back her yes on WhatsApp, as STOP does."""
    async with concierge.db.unit_of_work() as uow:
        giulia = await uow.members.by_phone(PHONE)
        assert giulia is not None
        await members.stop(
            uow, giulia, concierge.clock(), "chat:whatsapp:stop", "STOP written on WhatsApp",
            channels=[Channel.WHATSAPP],
        )  # fmt: skip
        await uow.commit()


async def test_old_sales_arriving_late_bring_no_news(desk: Desk) -> None:
    """The launch import sends years of sales: history, not news."""
    concierge = desk.concierge
    await member(concierge, "en", [(Purpose.ACCOUNT, Channel.TELEGRAM)], telegram=True)

    assert await sale(desk, "POS-OLD", concierge.clock() - timedelta(days=40)) == 201
    assert await drain(desk) == 0
    assert desk.api.to(ME) == []
