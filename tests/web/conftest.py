"""The web app with every endpoint on (the POS, Telegram, WhatsApp), reached in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from bot.bootstrap import Concierge
from bot.web import create_app
from tests.channel.twilio import whatsapp_settings
from tests.factories import POS_SECRET

TELEGRAM_SECRET = "webhook-secret_0123456789-abcdef"


@pytest.fixture
async def every_endpoint(concierge: Concierge) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with all its webhooks on; not started, as nothing here is sent."""
    settings = concierge.settings.model_copy(
        update={
            "pos_secret": SecretStr(POS_SECRET),
            "telegram_bot_token": SecretStr("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"),
            "telegram_api_url": "https://telegram.test/bot",
            "telegram_webhook_secret": SecretStr(TELEGRAM_SECRET),
            **whatsapp_settings(concierge),
        }
    )
    app = create_app(replace(concierge, settings=settings), background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
