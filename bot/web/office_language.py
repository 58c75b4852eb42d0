"""The back office's language switch (issue 19): each browser keeps its choice among the
club's languages in a cookie, so the person at the till and the owner at home may each read
their own, and nothing about it is stored for the club."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from bot.web.office import LANGUAGE, Checked, Signed, _set_cookie
from bot.web.state import App

router = APIRouter(prefix="/office")


@router.post("/language", include_in_schema=False, dependencies=[Checked])
async def choose(
    app: App, who: Signed, language: Annotated[str, Form()], back: Annotated[str, Form()] = ""
) -> Response:
    """Keep the language chosen (one of the club's, else nothing changes), back to the page."""
    here = back if back.startswith("/office/") and "//" not in back else "/office/"
    response = RedirectResponse(here, 303)
    if language in app.program.club.languages:
        _set_cookie(response, app, LANGUAGE, language)
    return response
