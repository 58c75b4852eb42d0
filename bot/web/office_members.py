"""The back office's Members pages (issue 19): a search by member number or phone, and a
member's page (their card as they see it, QR code, ledger, purchases, consents,
appointments to come, answers to events, conversations with staff). Staff and owners read
them and record consents given at the till; only owners adjust or redeem points, export a
member's data (a JSON download) or erase it (once they have typed the member's number)."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.channels.media import qr_png
from bot.web.office import Checked, Owner, Signed, _render, office_speaker
from bot.web.state import App
from handlers.card import render_card
from handlers.history import reason_text
from handlers.preferences import purpose_name
from loyalty.consent import Channel, Purpose, channel_name
from loyalty.ids import INT4_MAX
from loyalty.points import InsufficientPoints
from services import office_members
from services.members import MemberError, member_number
from services.office import Who
from services.wording import service_name, speaker_for

router = APIRouter(prefix="/office/members")


@router.get("", include_in_schema=False)
async def search(request: Request, app: App, who: Signed, q: str = "") -> Response:
    found = []
    if q.strip():
        async with app.db.unit_of_work() as uow:
            found = await office_members.search(uow, q, app.program)
    speaker = office_speaker(request, app)
    return _render(request, app, "members.html", who=who, q=q, found=found, speaker=speaker)


@router.get("/{number}", include_in_schema=False)
async def member(request: Request, app: App, who: Signed, number: str) -> Response:
    return await _member_page(request, app, who, number)


@router.post("/{number}/points", include_in_schema=False, dependencies=[Checked])
async def adjust(
    request: Request, app: App, who: Owner, number: str,
    points: Annotated[int, Form(ge=-INT4_MAX, le=INT4_MAX)], note: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    async with app.db.unit_of_work() as uow:
        try:
            await office_members.adjust(
                uow, number, points, note, who.email, app.clock(), app.program
            )
        except (MemberError, InsufficientPoints):
            refused = True  # the page is read once this unit of work has ended
        else:
            refused = False
            await uow.commit()
    if refused:
        return await _member_page(request, app, who, number, 422, refused="points")
    return RedirectResponse(f"/office/members/{number}", 303)


@router.post("/{number}/redeem", include_in_schema=False, dependencies=[Checked])
async def redeem(
    request: Request, app: App, who: Owner, number: str,
    points: Annotated[int, Form(ge=1, le=INT4_MAX)], note: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Points taken for a reward, as `concierge members redeem` takes them."""
    try:
        async with app.db.unit_of_work() as uow:
            await office_members.redeem(
                uow, number, points, note, who.email, app.clock(), app.program
            )
            await uow.commit()
    except (MemberError, InsufficientPoints):
        return await _member_page(request, app, who, number, 422, refused="redeem")
    return RedirectResponse(f"/office/members/{number}", 303)


@router.post("/{number}/consent", include_in_schema=False, dependencies=[Checked])
async def consent(
    request: Request, app: App, who: Signed, number: str, purpose: Annotated[str, Form()],
    channel: Annotated[str, Form()], answer: Annotated[str, Form()],
    place: Annotated[str, Form()],
) -> Response:  # fmt: skip
    """A consent the member gave (or took back) at the till, recorded with where and who."""
    try:
        async with app.db.unit_of_work() as uow:
            await office_members.set_consent(
                uow, number, purpose, channel, answer == "granted", place, who.email,
                app.clock(), app.program,
            )  # fmt: skip
            await uow.commit()
    except MemberError:
        return await _member_page(request, app, who, number, 422, refused="consent")
    return RedirectResponse(f"/office/members/{number}", 303)


@router.post("/{number}/export", include_in_schema=False, dependencies=[Checked])
async def export(request: Request, app: App, who: Owner, number: str) -> Response:
    """Everything held about the member, as a JSON file to download."""
    try:
        async with app.db.unit_of_work() as uow:
            data = await office_members.export(uow, number, who.email, app.clock(), app.program)
            await uow.commit()
    except MemberError:
        return await _member_page(request, app, who, number)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{number}.json"'},
    )


@router.post("/{number}/erase", include_in_schema=False, dependencies=[Checked])
async def erase(
    request: Request, app: App, who: Owner, number: str,
    confirmation: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Erase the member once the owner typed their number; anything else changes nothing.
    Staff-group posts the erasure queues (topics deleted, bookings cancelled) go with the
    outbox, as any other message."""
    settings = app.settings
    group = None not in (settings.telegram_staff_chat_id, settings.telegram_bot_token)
    try:
        async with app.db.unit_of_work() as uow:
            await office_members.erase(
                uow, number, confirmation, who.email, app.clock(), app.program, group
            )
            await uow.commit()
    except MemberError:
        return await _member_page(request, app, who, number, 422, refused="erase")
    await app.db.scrub()
    return RedirectResponse(f"/office/members?q={number}", 303)


async def _member_page(
    request: Request, app: App, who: Who, number: str, status: int = 200,
    refused: str | None = None,
) -> Response:  # fmt: skip
    """The member's page, or the search page (404) when `number` names no living member."""
    async with app.db.unit_of_work() as uow:
        shown = await office_members.page(uow, number, app.clock(), app.program)
        await uow.commit()  # due expiries written
    if shown is None:
        page = {"who": who, "q": number, "found": [], "speaker": office_speaker(request, app)}
        return _render(request, app, "members.html", 404, **page)
    seen = shown.card.member
    as_seen = speaker_for(seen.locale, seen.timezone, app.program)
    qr = base64.b64encode(qr_png(shown.qr)).decode()
    page = {
        "who": who, "shown": shown, "qr": qr, "speaker": office_speaker(request, app),
        "card_text": render_card(shown.card, app.program, as_seen), "reason": reason_text,
        "number": member_number, "purpose": purpose_name, "channel": channel_name,
        "refused": refused, "largest": INT4_MAX, "service": service_name,
        "program": app.program, "purposes": list(Purpose), "channels": list(Channel),
        "places": office_members.PLACES,
    }  # fmt: skip
    return _render(request, app, "members_card.html", status, **page)
