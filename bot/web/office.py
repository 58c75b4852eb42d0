"""The back office's doors (issue 19): the one-time link that sets a password, signing in
and out, the home page and the owner's audit log. Pages are rendered on the server in the
language this browser chose among the club's (a cookie), else the program's staff_language.

A session is an opaque random token in an HttpOnly, SameSite=Lax cookie (Secure when the
public URL is https), kept server-side as a digest so it can end (idle, age, sign-out).
Every form carries a double-submit CSRF token: the same random value in a cookie and in the
form, refused with 403 when they differ; SameSite keeps other sites from sending the cookie.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.web.state import App
from locales import Speaker
from loyalty.office import MIN_PASSWORD
from services import office
from services.office import Locked, OfficeError, Who
from services.wording import speaker_for, staff_speaker

router = APIRouter(prefix="/office")
SESSION, CSRF, LANGUAGE = "office_session", "office_csrf", "office_language"
SIGN_IN = "/office/sign-in"
PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
)


def _render(request: Request, app: App, name: str, status: int = 200, **page: Any) -> Response:
    """The page in the staff's language, with this browser's CSRF token (made on first need);
    `here`, where the language switch comes back to, is the page's path unless given (a
    form's answer: the page to read it on)."""
    token = request.cookies.get(CSRF) or secrets.token_urlsafe(32)
    speaker = office_speaker(request, app)
    html = PAGES.get_template(name).render(
        _=speaker.gettext, csrf=token, language=speaker.language, when=speaker.day_and_time,
        languages=languages(app), **{"here": request.url.path, **page},
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF) != token:
        _set_cookie(response, app, CSRF, token)
    return response


def office_speaker(request: Request, app: App) -> Speaker:
    """The language this browser chose among the club's, else the program's staff_language."""
    chosen = request.cookies.get(LANGUAGE)
    if chosen in app.program.club.languages:
        return speaker_for(chosen, None, app.program)
    return staff_speaker(app.program)


def languages(app: App) -> list[tuple[str, str]]:
    """The club's languages, each named in itself ("Français"), for the nav's choice."""
    return [(code, (Locale.parse(code).get_display_name(code) or code).capitalize())
            for code in app.program.club.languages]  # fmt: skip


def _set_cookie(response: Response, app: App, name: str, value: str) -> None:
    secure = (app.settings.public_url or "").startswith("https://")
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure, path="/office")


async def _csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Refuse a form whose CSRF token is not this browser's (403)."""
    cookie = request.cookies.get(CSRF, "")
    if not (cookie and csrf and hmac.compare_digest(cookie.encode(), csrf.encode())):
        raise HTTPException(403, "missing or wrong CSRF token")


async def _who(request: Request, app: App) -> Who:
    """The signed-in person; anyone else is sent to sign in."""
    token = request.cookies.get(SESSION)
    who = None
    if token:
        async with app.db.unit_of_work() as uow:
            who = await office.signed_in(uow, token, app.clock())
            await uow.commit()
    if who is None:
        raise HTTPException(303, headers={"Location": SIGN_IN})
    return who


async def _owner(who: Annotated[Who, Depends(_who)]) -> Who:
    """The signed-in owner; staff are refused (403)."""
    if not who.owner:
        raise HTTPException(403, "for the owner only")
    return who


Checked = Depends(_csrf)
Signed = Annotated[Who, Depends(_who)]
Owner = Annotated[Who, Depends(_owner)]


@router.get("/welcome/{token}", include_in_schema=False)
async def welcome(request: Request, app: App, token: str) -> Response:
    async with app.db.unit_of_work() as uow:
        email = await office.welcome(uow, token, app.clock())
    if email is None:
        return _render(request, app, "gone.html", 410)
    return _render(request, app, "welcome.html", email=email, shortest=MIN_PASSWORD)


@router.post("/welcome/{token}", include_in_schema=False, dependencies=[Checked])
async def set_password(
    request: Request, app: App, token: str, password: Annotated[str, Form()]
) -> Response:
    async with app.db.unit_of_work() as uow:
        email = await office.welcome(uow, token, app.clock())
        if email is None:
            return _render(request, app, "gone.html", 410)
        try:
            await office.set_password(uow, token, password, app.clock())
        except OfficeError:
            page = {"email": email, "shortest": MIN_PASSWORD, "short": True}
            return _render(request, app, "welcome.html", 422, **page)
        await uow.commit()
    return RedirectResponse(SIGN_IN, 303)


@router.get("/sign-in", include_in_schema=False)
async def sign_in_page(request: Request, app: App) -> Response:
    return _render(request, app, "sign_in.html")


@router.post("/sign-in", include_in_schema=False, dependencies=[Checked])
async def sign_in(
    request: Request,
    app: App,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    address = request.client.host if request.client else "unknown"
    given = office.email_of(email) or email.strip().lower()
    async with app.db.unit_of_work() as uow:
        try:
            token = await office.sign_in(uow, given, password, address, app.clock())
        except Locked as exc:
            return _render(request, app, "sign_in.html", 429, email=given, until=exc.until)
        except OfficeError:
            await uow.commit()  # the failure counts
            return _render(request, app, "sign_in.html", 401, email=given, wrong=True)
        previous = request.cookies.get(SESSION)
        if previous:
            await office.sign_out(uow, previous, app.clock())
        await uow.commit()
    response = RedirectResponse("/office/", 303)
    _set_cookie(response, app, SESSION, token)  # a new session, whatever this browser held
    _set_cookie(response, app, CSRF, secrets.token_urlsafe(32))
    return response


@router.post("/sign-out", include_in_schema=False, dependencies=[Checked])
async def sign_out(request: Request, app: App) -> Response:
    token = request.cookies.get(SESSION)
    if token:
        async with app.db.unit_of_work() as uow:
            await office.sign_out(uow, token, app.clock())
            await uow.commit()
    response = RedirectResponse(SIGN_IN, 303)
    response.delete_cookie(SESSION, path="/office")
    return response


@router.get("/", include_in_schema=False)
async def home(request: Request, app: App, who: Signed) -> Response:
    return _render(request, app, "home.html", who=who)


@router.get("/audit", include_in_schema=False)
async def audit(request: Request, app: App, who: Owner) -> Response:
    async with app.db.unit_of_work() as uow:
        entries = await office.audit_log(uow)
    return _render(request, app, "audit.html", who=who, entries=entries)
