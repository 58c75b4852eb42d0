"""Twilio's webhooks for WhatsApp: messages in, and the status of messages sent.

Twilio signs the URL it called (CONCIERGE_PUBLIC_URL and the path) with the form, so each
request's form is read within MAX_BODY and checked before either route sees it.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import ImmutableMultiDict

from bot.channels.whatsapp import STATUS_PATH
from bot.web.bodies import MAX_BODY, read_body
from bot.web.state import WhatsApp
from loyalty.ids import INT8_MAX, parse_id

log = logging.getLogger("concierge.web")
router = APIRouter()
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _read_form(request: Request) -> ImmutableMultiDict[str, str] | None:
    """Twilio's form body (x-www-form-urlencoded), repeated fields kept; None if unreadable."""
    body = await read_body(request, MAX_BODY)
    try:
        return ImmutableMultiDict(parse_qsl(body.decode(), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None


async def _signed_form(request: Request, whatsapp: WhatsApp) -> ImmutableMultiDict[str, str]:
    """The form of a request Twilio signed: 404 when WhatsApp is off, 403 unsigned."""
    form = await _read_form(request)
    query = request.url.query
    path_and_query = request.url.path + (f"?{query}" if query else "")
    signature = request.headers.get("x-twilio-signature")
    if form is None or not whatsapp.signed(path_and_query, form, signature):
        raise HTTPException(403, "forbidden")
    return form


SignedForm = Annotated[ImmutableMultiDict[str, str], Depends(_signed_form)]


@router.post(
    "/twilio/whatsapp",
    summary="WhatsApp messages from Twilio (X-Twilio-Signature checked)",
    include_in_schema=False,
)
async def whatsapp_webhook(
    form: SignedForm, whatsapp: WhatsApp, background: BackgroundTasks
) -> Response:
    refusal = whatsapp.message_refusal(form.multi_items())
    if refusal is not None:
        log.warning("a signed Twilio message refused: %s", refusal)
        raise HTTPException(400, "not a Twilio message")
    later = await whatsapp.receive(dict(form))  # handled and kept, or a repeat
    if later is not None:  # the replies go once Twilio has its answer
        background.add_task(later)
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post(STATUS_PATH, summary="Twilio status callbacks", include_in_schema=False)
async def twilio_status(request: Request, form: SignedForm, whatsapp: WhatsApp) -> Response:
    refusal = whatsapp.status_refusal(form.multi_items())
    if refusal is not None:
        log.warning("a signed Twilio status callback refused: %s", refusal)
        raise HTTPException(400, "not a Twilio status callback")
    row = parse_id(request.query_params.get("m", ""), high=INT8_MAX)
    if row is not None:  # else no message of ours: nothing to look up
        await whatsapp.status(row, form)
    return Response(status_code=204)
