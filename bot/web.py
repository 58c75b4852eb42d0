"""The web app: the POS webhook, Telegram and Twilio webhooks, card images, the health check."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import ImmutableMultiDict

from bot import outbound
from bot.bodies import BodyTooLarge, read_body, too_large
from bot.bootstrap import Concierge
from bot.channels.media import (
    CALENDAR_FILE,
    CALENDAR_PATH,
    PHOTO_PATH,
    QR_PATH,
    media_link_ok,
    qr_png,
)
from bot.channels.telegram import read_update
from bot.channels.telegram_files import telegram_file
from bot.channels.whatsapp import STATUS_PATH, unknown_buttons
from loyalty.ids import INT8_MAX, parse_id
from loyalty.membercard import holder
from loyalty.purchases import InvalidPurchase, parse_purchase
from services.calendars import by_ref
from services.members import MemberError, find, member_number
from services.purchases import Result, ingest

log = logging.getLogger("concierge.web")
DRAIN_EVERY = 5.0  # seconds between the web process's rounds of sending what waits
MAX_BODY = 64 * 1024  # the POS and Twilio; more is 413
MAX_UPDATE = 1024 * 1024  # Telegram's updates
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class PurchaseBody(BaseModel):
    """A purchase as the POS sends it (documentation for the OpenAPI page)."""

    order_id: str
    phone: str = Field(description="E.164, or national in the club's default country")
    amount: str | float = Field(description="decimal string or number, at most two decimals")
    currency: str = Field(description="ISO 4217; the club needs a rate for it")
    purchased_at: str = Field(description="ISO 8601; without an offset, the store's time")
    name: str | None = None
    email: str | None = None
    category: str | None = None
    limited_edition: bool = False
    store: str | None = None
    status: str = Field("paid", description="paid | refunded")


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Check `sha256=<hex HMAC-SHA256 of the raw body>` in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def _problem(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def twilio_form(request: Request) -> ImmutableMultiDict[str, str] | None:
    """Twilio's form body (x-www-form-urlencoded), repeated fields kept; None if unreadable."""
    body = await read_body(request, MAX_BODY)
    try:
        return ImmutableMultiDict(parse_qsl(body.decode(), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None


def _path_and_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def create_app(app: Concierge, background: bool = True) -> FastAPI:
    """The web app. In the `background` it handles what the last process left unhandled
    and sends what waits (a backlog after a restart, retries) every DRAIN_EVERY seconds;
    without it, only what its own requests queue (tests drive the rest by hand)."""
    pos_secret = app.settings.pos_secret
    found, sending, engine = outbound.wire(app, "web")
    telegram, whatsapp, desk = found.telegram, found.whatsapp, found.desk
    telegram_secret = app.settings.telegram_webhook_secret
    telegram_hook = telegram if telegram is not None and telegram_secret is not None else None

    async def catch_up() -> None:
        """What the last process received but did not handle, handled now."""
        for channel in (telegram_hook, whatsapp):
            if channel is not None:
                handled = await channel.catch_up()
                if handled:
                    log.info("%s: handled %d messages left over from a restart",
                             channel.name, handled)  # fmt: skip

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        if pos_secret is None:
            log.warning("POS webhook off: CONCIERGE_POS_SECRET is not set")
        if telegram is None:
            log.warning("Telegram off: TELEGRAM_BOT_TOKEN is not set")
        elif telegram_secret is None:
            log.warning("Telegram webhook off: TELEGRAM_WEBHOOK_SECRET is not set")
        if whatsapp is None:
            log.warning(
                "WhatsApp off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM "
                "and CONCIERGE_PUBLIC_URL"
            )
        elif unknown := unknown_buttons(app.program, engine.router):
            log.warning("%s: no action of that name: its words will be read instead",
                        "; ".join(unknown))  # fmt: skip
        if desk is None and telegram is not None:
            log.warning("Staff group off: TELEGRAM_STAFF_CHAT_ID is not set")
        stop = asyncio.Event()
        started = []  # not awaited: the app answers at once, whatever waits
        if background:
            started = [
                asyncio.create_task(catch_up()),
                asyncio.create_task(sending.run(stop, DRAIN_EVERY)),
            ]
        yield
        stop.set()
        await sending.release()  # its rounds end between statements, what it holds goes back
        for task in started:
            task.cancel()
        await asyncio.gather(*started, return_exceptions=True)
        await found.aclose()
        await app.db.close()

    web = FastAPI(
        title="Concierge",
        version="0.1.0",
        lifespan=lifespan,
        redirect_slashes=False,  # Starlette's redirect names the host the request named
        exception_handlers={BodyTooLarge: too_large},
    )
    web.state.telegram, web.state.whatsapp, web.state.desk = telegram, whatsapp, desk
    web.state.sending, web.state.catch_up = sending, catch_up

    @web.get("/healthz", summary="Answers 200 when the database does")
    async def healthz() -> JSONResponse:
        try:
            await app.db.ping()
        except Exception:  # any failure to reach the database is "unhealthy"
            log.exception("health check: database unreachable")
            return _problem(503, "database unreachable")
        return JSONResponse({"status": "ok"})

    @web.post(
        "/api/purchases",
        summary="Record a purchase from the POS or the e-commerce site",
        description=(
            "Signed with `X-Concierge-Signature: sha256=<hex HMAC-SHA256 of the raw body>` "
            "using CONCIERGE_POS_SECRET. 201 created, 200 already known (no second credit) "
            "or refund applied, 401 bad signature, 413 body over 64 KiB, 422 bad body, "
            "404 when the webhook is off."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": PurchaseBody.model_json_schema()}},
            }
        },
    )
    async def purchases(request: Request) -> JSONResponse:
        if pos_secret is None:
            return _problem(404, "Not Found")
        body = await read_body(request, MAX_BODY)
        secret = pos_secret.get_secret_value()
        if not signature_ok(secret, body, request.headers.get("x-concierge-signature")):
            return _problem(401, "missing or invalid X-Concierge-Signature")
        try:
            fields = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _problem(422, {"field": "body", "reason": "not valid JSON"})
        if not isinstance(fields, dict):
            return _problem(422, {"field": "body", "reason": "must be a JSON object"})
        try:
            purchase = parse_purchase(fields, app.program, app.clock())
        except InvalidPurchase as exc:
            return _problem(422, {"field": exc.field, "reason": exc.reason})
        [outcome] = await ingest(app.db.unit_of_work, [purchase], "pos", app.clock(), app.program)
        status = 201 if outcome.result is Result.CREATED else 200
        return JSONResponse(
            {
                "order_id": outcome.order_id,
                "result": outcome.result,
                "member": member_number(outcome.member_id),
                "points": outcome.points,
            },
            status_code=status,
        )

    @web.post(
        "/telegram/webhook",
        summary="Telegram updates (checked against TELEGRAM_WEBHOOK_SECRET)",
        include_in_schema=False,
    )
    async def telegram_webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
        if telegram_hook is None or telegram_secret is None:
            return _problem(404, "Not Found")
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not hmac.compare_digest(given.encode(), telegram_secret.get_secret_value().encode()):
            return _problem(403, "forbidden")
        body = await read_body(request, MAX_UPDATE)
        payload = read_update(body)
        if payload is None:
            return _problem(400, "not a Telegram update")
        later = await telegram_hook.receive(payload)  # handled and kept, or a repeat
        if later is not None:  # the replies go once Telegram has its answer
            background.add_task(later)
        return JSONResponse({"ok": True})

    async def from_twilio(request: Request) -> ImmutableMultiDict[str, str] | Response:
        """The form of a request Twilio signed; else the answer: 404 when off, 403 unsigned."""
        if whatsapp is None:
            return _problem(404, "Not Found")
        form = await twilio_form(request)
        signature = request.headers.get("x-twilio-signature")
        if form is None or not whatsapp.signed(_path_and_query(request), form, signature):
            return _problem(403, "forbidden")
        return form

    @web.post(
        "/twilio/whatsapp",
        summary="WhatsApp messages from Twilio (X-Twilio-Signature checked)",
        include_in_schema=False,
    )
    async def whatsapp_webhook(request: Request, background: BackgroundTasks) -> Response:
        form = await from_twilio(request)
        if isinstance(form, Response):
            return form
        assert whatsapp is not None
        refusal = whatsapp.message_refusal(form.multi_items())
        if refusal is not None:
            log.warning("a signed Twilio message refused: %s", refusal)
            return _problem(400, "not a Twilio message")
        payload = dict(form)
        later = await whatsapp.receive(payload)  # handled and kept, or a repeat
        if later is not None:  # the replies go once Twilio has its answer
            background.add_task(later)
        return Response(EMPTY_TWIML, media_type="text/xml")

    @web.post(STATUS_PATH, summary="Twilio status callbacks", include_in_schema=False)
    async def twilio_status(request: Request) -> Response:
        form = await from_twilio(request)
        if isinstance(form, Response):
            return form
        assert whatsapp is not None
        refusal = whatsapp.status_refusal(form.multi_items())
        if refusal is not None:
            log.warning("a signed Twilio status callback refused: %s", refusal)
            return _problem(400, "not a Twilio status callback")
        row = parse_id(request.query_params.get("m", ""), high=INT8_MAX)
        if row is not None:  # else no message of ours: nothing to look up
            await whatsapp.status(row, form)
        return Response(status_code=204)

    async def _holder_present(payload: str) -> bool:
        """Whether the member a card's or ticket's code names is there, not erased."""
        number = holder(payload)
        if number is None:
            return False
        async with app.db.unit_of_work() as uow:
            try:
                await find(uow, number, app.program)
            except MemberError:  # no such member, or erased
                return False
        return True

    @web.get(
        QR_PATH,
        summary="A member card's QR code, by signed expiring link",
        include_in_schema=False,
    )
    async def qr_image(d: str = "", e: str = "", s: str = "") -> Response:
        if whatsapp is None:
            return _problem(404, "Not Found")
        if not media_link_ok(await whatsapp.media_key(), QR_PATH, d, e, s, app.clock()):
            return _problem(404, "Not Found")
        if not await _holder_present(d):
            return _problem(404, "Not Found")
        return Response(qr_png(d), media_type="image/png", headers={"Cache-Control": "private"})

    @web.get(CALENDAR_PATH, summary="An event or appointment for the calendar, signed link",
             include_in_schema=False)  # fmt: skip
    async def calendar(d: str = "", e: str = "", s: str = "") -> Response:
        if whatsapp is None:
            return _problem(404, "Not Found")
        if not media_link_ok(await whatsapp.media_key(), CALENDAR_PATH, d, e, s, app.clock()):
            return _problem(404, "Not Found")
        async with app.db.unit_of_work() as uow:
            found = await by_ref(uow, d, app.program)
        if found is None:
            return _problem(404, "Not Found")
        return Response(found.text, media_type="text/calendar", headers={
            "Content-Disposition": f'attachment; filename="{CALENDAR_FILE}"'})  # fmt: skip

    @web.get(PHOTO_PATH, summary="A file staff sent, by signed link", include_in_schema=False)
    async def staff_photo(d: str = "", e: str = "", s: str = "") -> Response:
        if whatsapp is None or telegram is None or telegram_file(d) is None:
            return _problem(404, "Not Found")
        if not media_link_ok(await whatsapp.media_key(), PHOTO_PATH, d, e, s, app.clock()):
            return _problem(404, "Not Found")
        found = await telegram.download(d)
        if found is None:
            return _problem(404, "Not Found")
        content, media_type = found
        return Response(content, media_type=media_type, headers={"Cache-Control": "private"})

    return web
