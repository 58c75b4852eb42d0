"""Telegram's webhook: updates carrying the secret token set with setWebhook."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import read_update
from bot.web.bodies import MAX_UPDATE, read_body
from bot.web.state import App, Telegram

router = APIRouter()


def _hooked(request: Request, app: App, telegram: Telegram) -> TelegramChannel:
    """The channel, for a request carrying the secret token: 404 when the webhook is off,
    403 without the token."""
    secret = app.settings.telegram_webhook_secret
    if secret is None:
        raise HTTPException(404)
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise HTTPException(403, "forbidden")
    return telegram


@router.post(
    "/telegram/webhook",
    summary="Telegram updates (checked against TELEGRAM_WEBHOOK_SECRET)",
    include_in_schema=False,
)
async def telegram_webhook(
    request: Request,
    background: BackgroundTasks,
    telegram: Annotated[TelegramChannel, Depends(_hooked)],
) -> JSONResponse:
    payload = read_update(await read_body(request, MAX_UPDATE))
    if payload is None:
        raise HTTPException(400, "not a Telegram update")
    later = await telegram.receive(payload)  # handled and kept, or a repeat
    if later is not None:  # the replies go once Telegram has its answer
        background.add_task(later)
    return JSONResponse({"ok": True})
