"""The back office's Accounts page (issue 19), for owners: who may sign in (role, last
sign-in, disabled), an invitation by e-mail and role whose one-time link the page shows once
to hand over (the club sends no e-mail), and an account disabled, its sessions ended."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from bot.web.office import Checked, Owner, _render
from bot.web.state import App
from loyalty.office import LINK_LIFETIME, ROLES
from services import office
from services.office import OfficeError, Who

router = APIRouter(prefix="/office/accounts")


async def _page(
    request: Request, app: App, who: Who, status: int = 200, **more: object
) -> Response:
    async with app.db.unit_of_work() as uow:
        accounts = await office.accounts(uow)
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    return _render(
        request, app, "accounts.html", status, who=who, accounts=accounts, roles=ROLES,
        hours=hours, **more,
    )  # fmt: skip


@router.get("", include_in_schema=False)
async def accounts(request: Request, app: App, who: Owner) -> Response:
    return await _page(request, app, who)


@router.post("", include_in_schema=False, dependencies=[Checked])
async def invite(
    request: Request, app: App, who: Owner, email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Invite `email` (or give them a new role, or their account back): the page shows the
    one-time link, once; a wrong e-mail or role, or the last owner made staff, is refused."""
    address = office.email_of(email)
    if address is None or role not in ROLES:
        return await _page(request, app, who, 422, refused="invalid", email=email)
    try:
        async with app.db.unit_of_work() as uow:
            token = await office.invite(uow, address, role, app.clock(), who.email)
            await uow.commit()
    except OfficeError:
        return await _page(request, app, who, 409, refused="last-owner", email=email)
    base = app.settings.public_url or str(request.base_url).rstrip("/")
    link = f"{base}/office/welcome/{token}"
    return await _page(request, app, who, invited=address, link=link)


@router.post("/disable", include_in_schema=False, dependencies=[Checked])
async def disable(
    request: Request, app: App, who: Owner, email: Annotated[str, Form()]
) -> Response:
    """Disable an account and end its sessions; never one's own, nor the last owner's."""
    try:
        async with app.db.unit_of_work() as uow:
            await office.disable(uow, email, app.clock(), who.email)
            await uow.commit()
    except OfficeError:
        return await _page(request, app, who, 409, refused="disable", email=email)
    return RedirectResponse("/office/accounts", 303)
