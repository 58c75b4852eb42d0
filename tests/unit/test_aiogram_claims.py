"""What the concierge answers in a shop's aiogram bot, and what it leaves to the shop: read
from the update alone where it can be, else from where the sender stands with the club."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.channels.aiogram import Club, api_url, by_standing, invitation, plainly
from handlers import router
from locales import translations
from loyalty.records import Standing
from tests.factories import (
    STAFF_CHAT_ID,
    STAFF_GROUP,
    callback_update,
    chat_member_update,
    contact_update,
    group_update,
    message_update,
    telegram_update,
)

CLUB = Club(router(), [translations(code).gettext for code in ("en", "fr", "it")], STAFF_CHAT_ID)
STRANGER = Standing(talking=False, with_staff=False, member=False, invited=False)
MEMBER = Standing(talking=False, with_staff=False, member=True, invited=False)
TALKING = Standing(talking=True, with_staff=False, member=False, invited=False)
WITH_STAFF = Standing(talking=False, with_staff=True, member=True, invited=False)
INVITED = Standing(talking=False, with_staff=False, member=False, invited=True)
GROUP = {"id": -1001000000001, "type": "supergroup", "title": "Shop fans"}


@pytest.mark.parametrize(
    ("update", "ours"),
    [
        (message_update("/club"), True),
        (message_update("/card"), True),
        (message_update("/Card@AureliaShopBot"), True),
        (callback_update("card"), True),
        (callback_update("rsvp:12:going"), True),
        (group_update("Of course, which size?", thread=501), True),
        (group_update(None, new_chat_title="Staff room"), True),
        (chat_member_update("kicked"), True),
        (message_update("/catalogue"), False),
        (callback_update("basket:add:ring-52"), False),
        (callback_update(""), False),
        (chat_member_update("member", chat=GROUP), False),
        (telegram_update(edited_message=message_update("card")["message"]), False),
        (telegram_update(message={**message_update("card")["message"], "chat": GROUP}), False),
        (telegram_update(poll={"id": "1", "question": "?", "options": []}), False),
        (message_update("/start"), None),
        (message_update("/help"), None),
        (message_update("/settings"), None),
        (message_update("card"), None),
        (message_update("stop"), None),
        (contact_update("393331234567"), None),
    ],
)
def test_an_update_is_the_clubs_on_its_face_or_by_who_sent_it(
    update: dict[str, Any], ours: bool | None
) -> None:
    assert plainly(update, CLUB) is ours


@pytest.mark.parametrize(
    ("text", "standing", "ours"),
    [
        ("card", TALKING, True),
        ("/start", TALKING, True),
        ("I would rather talk to Anna", WITH_STAFF, True),
        ("card", MEMBER, False),
        ("STOP", MEMBER, True),
        ("arrêt", MEMBER, True),  # STOP in French: heard in every language the club speaks
        ("Stop", MEMBER, True),
        ("start", MEMBER, True),
        ("please stop", MEMBER, False),  # only alone
        ("stop", STRANGER, False),
        ("/start", STRANGER, False),
        ("/start", MEMBER, False),
        ("/help", MEMBER, False),
        ("/start invitation-token-0123456789", INVITED, True),
        ("hello", STRANGER, False),
    ],
)
def test_a_private_message_is_the_clubs_by_where_its_sender_stands(
    text: str, standing: Standing, ours: bool
) -> None:
    assert by_standing(message_update(text), CLUB, standing) is ours


def test_a_contact_is_the_clubs_only_in_a_conversation_with_it() -> None:
    assert by_standing(contact_update("393331234567"), CLUB, TALKING) is True
    assert by_standing(contact_update("393331234567"), CLUB, MEMBER) is False


def test_only_a_start_carries_an_invitation() -> None:
    assert invitation(message_update("/start abc-DEF_123")) == "abc-DEF_123"
    assert invitation(message_update("/start@AureliaShopBot abc")) == "abc"
    assert invitation(message_update("/start")) is None
    assert invitation(message_update("/start not a token")) is None
    assert invitation(message_update("/card abc")) is None
    assert invitation(contact_update("393331234567")) is None


def test_the_concierge_calls_the_bot_api_server_the_shops_bot_calls() -> None:
    token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
    assert api_url(Bot(token)) == "https://api.telegram.org/bot"
    local = AiohttpSession(api=TelegramAPIServer.from_base("http://localhost:8081"))
    assert api_url(Bot(token, session=local)) == "http://localhost:8081/bot"
    assert STAFF_GROUP["id"] == STAFF_CHAT_ID  # the group the updates above come from
