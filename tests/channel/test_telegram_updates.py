"""Every kind of update Telegram sends, shaped as the Bot API sends it (one per file in
tests/fixtures/telegram/, named by kind): each is acknowledged and finished, whether this
version of python-telegram-bot can read it or not, and none keeps the next from its answer.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from storage.models import InboundReceipt
from tests.channel.conftest import Desk, Telegram
from tests.factories import TELEGRAM_BOT, message_update, telegram_user

FIXTURES = Path(__file__).parent.parent / "fixtures" / "telegram"
KINDS = sorted(path.stem for path in FIXTURES.glob("*.json"))


def fixture_update(kind: str) -> dict[str, Any]:
    update: dict[str, Any] = json.loads((FIXTURES / f"{kind}.json").read_text())
    return update


def test_the_fixtures_hold_one_update_each_of_every_kind_we_expect() -> None:
    assert set(KINDS) >= {
        "message_text", "message_photo", "message_voice", "message_sticker",
        "message_location", "message_document", "message_contact", "edited_message",
        "callback_query", "my_chat_member_private_blocked", "my_chat_member_private_unblocked",
        "my_chat_member_group_restricted", "my_chat_member_group_administrator", "chat_member",
        "poll", "poll_answer", "channel_post", "message_reaction", "chat_join_request",
        "forum_topic_created", "anonymous_admin",
    }  # fmt: skip
    ids = [fixture_update(kind)["update_id"] for kind in KINDS]
    assert len(set(ids)) == len(ids)
    for kind in KINDS:
        [content] = set(fixture_update(kind)) - {"update_id"}
        assert kind.startswith(content) or content == "message", kind


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_of_update_is_acknowledged_and_the_next_message_answered(
    desk: Desk, concierge: Concierge, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    update = fixture_update(kind)

    response = await desk.telegram.post(update)

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    async with concierge.db.unit_of_work() as uow:
        receipt = await uow.session.scalar(
            select(InboundReceipt).where(InboundReceipt.message_id == str(update["update_id"]))
        )
    assert receipt is not None
    assert (receipt.handled_at, receipt.failed_at, receipt.payload) == (
        concierge.clock(),
        None,
        None,
    )
    after = await desk.telegram.send(message_update("/start", user=telegram_user(6_660_009)))
    assert [call.chat_id for call in after if call.method == "sendMessage"] == ["6660009"] * 2
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_message_is_answered_without_the_fields_ptb_cannot_read(
    telegram: Telegram,
) -> None:
    poll = {"message_id": 9002, "from": TELEGRAM_BOT, "chat": {"id": 5_550_001, "type": "private"},
            "date": 1_795_514_000, "poll": fixture_update("poll")["poll"]}  # fmt: skip
    update = message_update("/start", reply_to_message=poll)  # her /start answers a poll

    calls = await telegram.send(update)

    assert [call.method for call in calls] == ["sendMessage", "sendMessage"]
    assert calls[0].chat_id == "5550001"


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("first_name", ["Giulia"], "from.first_name"),
        ("language_code", {"it": True}, "from.language_code"),
        ("id", 2**70, "from.id"),
    ],
)
async def test_a_field_of_the_wrong_type_fails_the_update_at_once_and_harms_no_other(
    telegram: Telegram, concierge: Concierge, field: str, value: Any, why: str
) -> None:
    update = message_update("/start")
    update["message"]["from"][field] = value  # PTB would take it as it is

    response = await telegram.post(update)
    after = await telegram.send(message_update("/start", user=telegram_user(6_660_011)))

    assert response.status_code == 200
    async with concierge.db.unit_of_work() as uow:
        receipt = await uow.session.scalar(
            select(InboundReceipt).where(InboundReceipt.message_id == str(update["update_id"]))
        )
    assert receipt is not None and receipt.failed_at == concierge.clock()
    assert receipt.error == f"unreadable message: {why} of the wrong type"
    assert [call.chat_id for call in after if call.method == "sendMessage"] == ["6660011"] * 2
