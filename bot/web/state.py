"""What the routes work with: the process's wiring, kept on the app's state by create_app
and handed to each route as a FastAPI dependency, so a route names what it needs and a
channel that is off answers 404 before its route runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from bot.bootstrap import Concierge
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel


def _concierge(request: Request) -> Concierge:
    return request.app.state.concierge


def _switched_on(name: str) -> Callable[[Request], Any]:
    """The channel kept as `name`; 404 when the settings leave it off."""

    def channel(request: Request) -> Any:
        found = getattr(request.app.state, name)
        if found is None:
            raise HTTPException(404)
        return found

    return channel


App = Annotated[Concierge, Depends(_concierge)]
Telegram = Annotated[TelegramChannel, Depends(_switched_on("telegram"))]  # 404 when off
WhatsApp = Annotated[WhatsAppChannel, Depends(_switched_on("whatsapp"))]  # 404 when off
