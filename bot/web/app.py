"""The web app, wired once: the process's channels, sender and engine (bot/outbound.py) on
its state, a router per channel and API, and a lifespan that starts and stops the sending."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from bot import outbound
from bot.bootstrap import Concierge
from bot.channels.whatsapp import unknown_buttons
from bot.web import (
    api,
    health,
    media,
    office,
    office_accounts,
    office_agenda,
    office_events,
    office_figures,
    office_language,
    office_members,
    office_messages,
    telegram,
    whatsapp,
)
from bot.web.bodies import BodyTooLarge, too_large

log = logging.getLogger("concierge.web")
ROUTERS = (
    health.router,
    api.router,
    telegram.router,
    whatsapp.router,
    media.router,
    office.router,
    office_members.router,
    office_messages.router,
    office_events.router,
    office_agenda.router,
    office_accounts.router,
    office_language.router,
    office_figures.router,
)


def create_app(app: Concierge, background: bool = True) -> FastAPI:
    """The web app. In the `background` it handles what the last process left unhandled
    and sends what waits (a backlog after a restart, retries) every few seconds
    (bot/outbound.py: `running`); without it, only what its own requests queue (tests
    drive the rest by hand)."""
    found, sending, engine = outbound.wire(app, "web")
    web = FastAPI(
        title="Concierge",
        version="0.1.0",
        lifespan=partial(_lifespan, background=background),
        redirect_slashes=False,  # Starlette's redirect names the host the request named
        exception_handlers={BodyTooLarge: too_large},
    )
    state = web.state
    state.concierge, state.sending, state.engine = app, sending, engine
    state.telegram, state.whatsapp, state.desk = found.telegram, found.whatsapp, found.desk
    state.channels = found
    # the Telegram channel takes updates here only when its webhook is on (else: polling)
    hooked = found.telegram if app.settings.telegram_webhook_secret is not None else None
    state.catch_up = partial(outbound.catch_up, [hooked, found.whatsapp])
    for router in ROUTERS:
        web.include_router(router)
    return web


def _warn_off(web: FastAPI) -> None:
    """Name in the log each way in the settings leave off, and why."""
    state = web.state
    settings = state.concierge.settings
    if settings.pos_secret is None:
        log.warning("POS webhook off: CONCIERGE_POS_SECRET is not set")
    if state.telegram is None:
        log.warning("Telegram off: TELEGRAM_BOT_TOKEN is not set")
    elif settings.telegram_webhook_secret is None:
        log.warning("Telegram webhook off: TELEGRAM_WEBHOOK_SECRET is not set")
    if state.whatsapp is None:
        log.warning(
            "WhatsApp off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM "
            "and CONCIERGE_PUBLIC_URL"
        )
    elif unknown := unknown_buttons(state.concierge.program, state.engine.router):
        log.warning("%s: no action of that name: its words will be read instead",
                    "; ".join(unknown))  # fmt: skip
    if state.desk is None and state.telegram is not None:
        log.warning("Staff group off: TELEGRAM_STAFF_CHAT_ID is not set")


@asynccontextmanager
async def _lifespan(web: FastAPI, background: bool) -> AsyncIterator[None]:
    """Starts the sending and lets it end between statements before anything is cancelled;
    the app answers at once, whatever waits."""
    _warn_off(web)
    state = web.state
    running = outbound.running(
        state.concierge, state.channels, state.sending, state.catch_up, background
    )
    async with running:
        yield
