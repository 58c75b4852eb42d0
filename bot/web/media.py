"""What WhatsApp fetches by signed, expiring link: a member card's, ticket's or voucher's
QR code, an event or appointment for the calendar, a file staff sent from Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from bot.channels.media import (
    CALENDAR_FILE,
    CALENDAR_PATH,
    PHOTO_PATH,
    QR_PATH,
    media_link_ok,
    qr_png,
)
from bot.channels.telegram_files import telegram_file
from bot.web.state import App, Telegram, WhatsApp
from loyalty.membercard import holder
from services import rewards
from services.calendars import by_ref
from services.members import MemberError, find, member_number
from services.rewards import RewardError

router = APIRouter()
PRIVATE = {"Cache-Control": "private"}


def _signed_for(path: str) -> Callable[..., Awaitable[str]]:
    """A dependency giving a link's payload (`d`); 404 unless the link is one we signed for
    `path` (expiry `e`, signature `s`) and it has not expired."""

    async def payload(app: App, whatsapp: WhatsApp, d: str = "", e: str = "", s: str = "") -> str:
        if not media_link_ok(await whatsapp.media_key(), path, d, e, s, app.clock()):
            raise HTTPException(404)
        return d

    return payload


def _no_key() -> str:
    raise HTTPException(404)  # no club key yet: no code of ours to draw


async def _holder_present(app: App, payload: str) -> bool:
    """Whether the member a card's, ticket's or voucher's code names is there, not erased."""
    number = holder(payload)
    async with app.db.unit_of_work() as uow:
        try:
            if number is None:  # a voucher's code names its voucher, and that its member
                voucher = await rewards.find(uow, payload, _no_key, signed=True)
                number = member_number(voucher.member_id)
            await find(uow, number, app.program)
        except (MemberError, RewardError):  # no such member or voucher, or erased
            return False
    return True


@router.get(
    QR_PATH, summary="A member card's QR code, by signed expiring link", include_in_schema=False
)
async def qr_image(app: App, d: Annotated[str, Depends(_signed_for(QR_PATH))]) -> Response:
    if not await _holder_present(app, d):
        raise HTTPException(404)
    return Response(qr_png(d), media_type="image/png", headers=PRIVATE)


@router.get(
    CALENDAR_PATH,
    summary="An event or appointment for the calendar, signed link",
    include_in_schema=False,
)
async def calendar(app: App, d: Annotated[str, Depends(_signed_for(CALENDAR_PATH))]) -> Response:
    async with app.db.unit_of_work() as uow:
        found = await by_ref(uow, d, app.program)
    if found is None:
        raise HTTPException(404)
    disposition = f'attachment; filename="{CALENDAR_FILE}"'
    return Response(
        found.text, media_type="text/calendar", headers={"Content-Disposition": disposition}
    )


@router.get(PHOTO_PATH, summary="A file staff sent, by signed link", include_in_schema=False)
async def staff_photo(
    telegram: Telegram, d: Annotated[str, Depends(_signed_for(PHOTO_PATH))]
) -> Response:
    found = await telegram.download(d) if telegram_file(d) is not None else None
    if found is None:
        raise HTTPException(404)
    content, media_type = found
    return Response(content, media_type=media_type, headers=PRIVATE)
