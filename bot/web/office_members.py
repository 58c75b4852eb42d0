"""The back office's Members pages (issue 19): a search by member number or phone, and a
member's page (their card as they see it, QR code, ledger, purchases, consents,
appointments to come). Staff and owners may read them; only owners adjust points."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.channels.media import qr_png
from bot.web.office import Checked, Owner, Signed, _render
from bot.web.state import App
from handlers.card import render_card
from handlers.history import reason_text
from handlers.preferences import purpose_name
from loyalty.consent import channel_name
from loyalty.ids import INT4_MAX
from loyalty.points import InsufficientPoints
from services import office_members
from services.members import MemberError, member_number
from services.office import Who
from services.wording import service_name, speaker_for, staff_speaker

router = APIRouter(prefix="/office/members")


@router.get("", include_in_schema=False)
async def search(request: Request, app: App, who: Signed, q: str = "") -> Response:
    found = []
    if q.strip():
        async with app.db.unit_of_work() as uow:
            found = await office_members.search(uow, q, app.program)
    page = {"who": who, "q": q, "found": found, "speaker": staff_speaker(app.program)}
    return _render(request, app, "members.html", **page)


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
        return await _member_page(request, app, who, number, 422, refused=True)
    return RedirectResponse(f"/office/members/{number}", 303)


async def _member_page(
    request: Request, app: App, who: Who, number: str, status: int = 200, refused: bool = False
) -> Response:
    """The member's page, or the search page (404) when `number` names no living member."""
    async with app.db.unit_of_work() as uow:
        shown = await office_members.page(uow, number, app.clock(), app.program)
        await uow.commit()  # due expiries written
    if shown is None:
        page = {"who": who, "q": number, "found": [], "speaker": staff_speaker(app.program)}
        return _render(request, app, "members.html", 404, **page)
    seen = shown.card.member
    as_seen = speaker_for(seen.locale, seen.timezone, app.program)
    qr = base64.b64encode(qr_png(shown.qr)).decode()
    page = {
        "who": who, "shown": shown, "qr": qr, "speaker": staff_speaker(app.program),
        "card_text": render_card(shown.card, app.program, as_seen), "reason": reason_text,
        "number": member_number, "purpose": purpose_name, "channel": channel_name,
        "refused": refused, "largest": INT4_MAX, "service": service_name,
        "program": app.program,
    }  # fmt: skip
    return _render(request, app, "members_card.html", status, **page)
