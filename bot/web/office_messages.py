"""The back office's Messages page (issue 19): the outbox, newest first, filtered by status,
and staff's word on a message (send again, never), each written in the audit log; then the
conversations still open with staff. Addresses are masked and bodies never shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.office import Checked, Signed, _render
from bot.web.state import App
from loyalty.ids import INT8_MAX
from loyalty.outbox import STATUSES, choices
from loyalty.phones import mask_phone
from services import handoffs, outbox
from services.outbox import OutboxError

router = APIRouter(prefix="/office")
LAST = 100  # messages shown
ACTIONS = {"retry": "pending", "cancel": "cancelled"}


async def _page(
    request: Request, app: App, who: Signed, status: str | None, code: int = 200, **more: object
) -> Response:
    status = status if status in STATUSES else None
    async with app.db.unit_of_work() as uow:
        rows = await outbox.latest(uow, LAST, status)
        talks = await handoffs.open_ones(uow)
    page = [(row, mask_phone(row.address), choices(row.status)) for row in rows]
    open_talks = [(talk, mask_phone(talk.address)) for talk in talks]
    return _render(
        request, app, "messages.html", code, who=who, rows=page, chosen=status,
        statuses=STATUSES, talks=open_talks, **more,
    )  # fmt: skip


@router.get("/messages", include_in_schema=False)
async def messages(request: Request, app: App, who: Signed, status: str = "") -> Response:
    return await _page(request, app, who, status)


@router.post("/messages/{row_id}/{action}", include_in_schema=False, dependencies=[Checked])
async def decide(
    request: Request, app: App, who: Signed, row_id: int, action: str,
    status: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Send a message again or never; one line on the page when it cannot change now."""
    if action not in ACTIONS or not 0 < row_id <= INT8_MAX:
        return await _page(request, app, who, status, 404, stuck=row_id)
    try:
        async with app.db.unit_of_work() as uow:
            await outbox.decide_in_office(uow, who.email, row_id, ACTIONS[action], app.clock())
            await uow.commit()
    except OutboxError:
        return await _page(request, app, who, status, 409, stuck=row_id)
    filtered = f"?status={status}" if status in STATUSES else ""
    return RedirectResponse(f"/office/messages{filtered}", 303)
