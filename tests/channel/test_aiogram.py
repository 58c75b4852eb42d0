"""The concierge mounted in a shop's aiogram bot: it answers what is the club's, through the
same receipts, engine and outbox as the webhook, and lets everything else through to the
shop's own handlers (tests/channel/aiogram_shop.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from loyalty.consent import Channel, Purpose
from services import members
from storage.models import ChannelIdentity, Handoff
from tests.channel.aiogram_shop import CATALOGUE, SHOP_SAYS, Shop, running_shop
from tests.channel.conftest import ApiCall, FakeTelegram, telegram_settings
from tests.factories import (
    ANNA,
    PHONE,
    STAFF_CHAT_ID,
    TELEGRAM_USER_ID,
    callback_update,
    chat_member_update,
    group_update,
    message_update,
    telegram_user,
)

ME = str(TELEGRAM_USER_ID)
GIULIA = telegram_user()
STRANGER = telegram_user(5_550_099, "Paolo")


def said(calls: list[ApiCall]) -> str:
    return "\n".join(call.text for call in calls)


async def giulia(concierge: Concierge) -> int:
    """Giulia, a member known on Telegram, who said yes to invitations there."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        found = await members.add(uow, concierge.program, now, PHONE, name="Giulia Rossi")
        await members.set_consent(
            uow, found, Purpose.EVENTS, Channel.TELEGRAM, True, now, "t", "w"
        )
        await uow.identities.link(found.id, "telegram", ME, "en", now)
        await uow.commit()
        return found.id


@pytest.fixture
async def desk_shop(concierge: Concierge, api: FakeTelegram) -> AsyncIterator[Shop]:
    """The shop's bot, the club's staff group on it too; Anna is staff."""
    app = telegram_settings(concierge)
    settings = app.settings.model_copy(update={"telegram_staff_chat_id": STAFF_CHAT_ID})
    async with running_shop(replace(app, settings=settings), api) as shop:
        async with concierge.db.unit_of_work() as uow:
            await uow.staff.add(ANNA["id"], "Anna Bianchi", "concierge", concierge.clock())
            await uow.commit()
        yield shop


async def test_the_shops_catalogue_and_a_strangers_words_reach_the_shop_not_the_club(
    aiogram: Shop,
) -> None:
    assert await aiogram.feed(message_update("/catalogue", user=STRANGER)) == []
    assert await aiogram.feed(message_update("hello, do you ship to Rome?", user=STRANGER)) == []
    assert await aiogram.feed(message_update("/start", user=STRANGER)) == []  # the shop's
    assert aiogram.got == [
        ("message", "/catalogue"), ("message", "hello, do you ship to Rome?"),
        ("message", "/start"),
    ]  # fmt: skip
    assert aiogram.session.texts()[:2] == [
        CATALOGUE,
        SHOP_SAYS.format(text="hello, do you ship to Rome?"),
    ]
    assert aiogram.api.sent() == []


async def test_club_opens_the_club_and_then_it_answers_but_the_shops_commands(
    aiogram: Shop,
) -> None:
    await giulia(aiogram.concierge)
    menu = await aiogram.feed(message_update("/club", user=GIULIA))
    assert "How may I help you, Giulia Rossi?" in menu[-1].text
    card = await aiogram.feed(message_update("card", user=GIULIA))
    assert "Show this code at the till." in said(card)
    assert await aiogram.feed(message_update("/catalogue", user=GIULIA)) == []
    assert aiogram.got == [("message", "/catalogue")]
    again = await aiogram.feed(message_update("/start", user=GIULIA))  # talking with the club
    assert "How may I help you, Giulia Rossi?" in again[-1].text


async def test_a_club_command_is_the_clubs_from_anyone(aiogram: Shop) -> None:
    calls = await aiogram.feed(message_update("/hours", user=STRANGER))
    assert "Opening hours (store time):" in said(calls)
    assert aiogram.got == []


async def test_the_same_update_fed_twice_is_answered_once(aiogram: Shop) -> None:
    await giulia(aiogram.concierge)
    update = message_update("/card", user=GIULIA)
    first = await aiogram.feed(update)
    assert "Show this code at the till." in said(first)
    assert await aiogram.feed(update) == []  # the same update_id: acknowledged, not answered
    assert aiogram.got == []


async def test_a_club_button_is_answered_and_an_unknown_one_goes_to_the_shop(
    aiogram: Shop,
) -> None:
    await giulia(aiogram.concierge)
    pressed = await aiogram.feed(callback_update("card", user=GIULIA))
    assert pressed[0].method == "answerCallbackQuery"
    assert "Show this code at the till." in said(pressed)
    stale = await aiogram.feed(callback_update("reward:a_reward_long_gone", user=GIULIA))
    assert stale[0].method == "answerCallbackQuery" and "no longer" in said(stale)
    assert await aiogram.feed(callback_update("basket:add:ring-52", user=GIULIA)) == []
    assert await aiogram.feed(callback_update("", user=STRANGER)) == []
    assert aiogram.got == [("button", "basket:add:ring-52"), ("button", "")]


async def test_a_block_is_noted_by_the_club_and_passed_on_to_the_shop(aiogram: Shop) -> None:
    await giulia(aiogram.concierge)
    assert await aiogram.feed(chat_member_update("kicked", user=GIULIA)) == []
    assert aiogram.got == [("my_chat_member", "kicked")]
    async with aiogram.concierge.db.unit_of_work() as uow:
        identity = await uow.session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.address == ME)
        )
        assert identity is not None and identity.reachable is False
    await aiogram.feed(chat_member_update("member", old_status="kicked", user=GIULIA))
    assert aiogram.got[-1] == ("my_chat_member", "member")
    async with aiogram.concierge.db.unit_of_work() as uow:
        identity = await uow.session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.address == ME)
        )
        assert identity is not None and identity.reachable is True


async def test_a_members_stop_is_honoured_and_a_strangers_goes_to_the_shop(
    aiogram: Shop,
) -> None:
    member_id = await giulia(aiogram.concierge)
    said = await aiogram.feed(message_update("STOP", user=GIULIA))
    assert "You will receive nothing more from us on Telegram." in said[-1].text
    async with aiogram.concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        standing = await members.consents(uow, found)
    assert standing[(Purpose.EVENTS, Channel.TELEGRAM)] is False
    assert await aiogram.feed(message_update("stop", user=STRANGER)) == []
    assert aiogram.got == [("message", "stop")]


async def test_an_invitation_link_is_the_clubs_and_an_old_one_the_shops(aiogram: Shop) -> None:
    member_id = await giulia(aiogram.concierge)
    concierge, paolo = aiogram.concierge, telegram_user(5_550_123, "Paolo")
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        await members.invite(uow, found, "invitation-token-0123456789", concierge.clock())
        await uow.commit()
    linked = await aiogram.feed(message_update("/start invitation-token-0123456789", user=paolo))
    assert "Your membership is now linked to this chat." in linked[-1].text
    used = message_update("/start invitation-token-0123456789", user=STRANGER)
    assert await aiogram.feed(used) == []  # spent: the shop's /start
    assert aiogram.got == [("message", "/start invitation-token-0123456789")]


async def test_the_conversation_is_the_shops_again_when_it_expires(
    aiogram: Shop, concierge: Concierge
) -> None:
    await aiogram.feed(message_update("/club", user=STRANGER))
    assert await aiogram.feed(message_update("1", user=STRANGER)) != []  # Join the club
    concierge.clock.current += timedelta(days=2)  # type: ignore[attr-defined]
    assert await aiogram.feed(message_update("1", user=STRANGER)) == []
    assert aiogram.got == [("message", "1")]


async def test_staff_take_over_and_hand_back_through_the_shops_bot(desk_shop: Shop) -> None:
    shop, api = desk_shop, desk_shop.api
    await giulia(shop.concierge)
    asked = await shop.feed(callback_update("person", user=GIULIA))
    assert "will answer you here" in api.to(ME)[-1].text
    [topic] = [c for c in asked if c.method == "createForumTopic"]
    thread = int(next(t for t, name in api.topics.items() if name.startswith("Giulia")))
    assert topic.chat_id == str(STAFF_CHAT_ID)

    await shop.feed(message_update("Can you resize my ring?", user=GIULIA))
    assert api.posts(thread)[-1].text == "Giulia: Can you resize my ring?"
    await shop.feed(group_update("Of course, which size?", thread=thread))
    assert api.to(ME)[-1].text == "Anna: Of course, which size?"
    await shop.feed(group_update("/close", thread=thread))
    assert "Anna has closed our conversation" in api.to(ME)[-1].text
    assert api.closed == [thread]
    async with shop.concierge.db.unit_of_work() as uow:
        assert [h.status for h in await uow.session.scalars(select(Handoff))] == ["closed"]

    back = await shop.feed(message_update("menu", user=GIULIA))
    assert "How may I help you, Giulia Rossi?" in back[-1].text  # the bot again
    assert shop.got == []  # nothing of the club's reached the shop
