"""The back office's doors, over HTTP against the app on a real database: each security rule
(issue 19) as a visitor, a member of staff and the owner meet it. Time is moved by hand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from bot.bootstrap import Concierge
from bot.web import create_app
from services import office
from tests.conftest import Clock

PASSWORD = "a long enough secret"


@pytest.fixture
async def browser(concierge: Concierge) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the app: it keeps its cookies, and does not follow redirects."""
    app = create_app(concierge, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def invited(concierge: Concierge, email: str, role: str = "owner") -> str:
    """The path of a fresh one-time link for `email`, as `concierge staff login add` prints."""
    async with concierge.db.unit_of_work() as uow:
        token = await office.invite(uow, email, role, concierge.clock())
        await uow.commit()
    return f"/office/welcome/{token}"


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found[1]


async def set_password(browser: httpx.AsyncClient, link: str, password: str) -> httpx.Response:
    page = await browser.get(link)
    return await browser.post(link, data={"csrf": csrf(page), "password": password})


async def sign_in(
    browser: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await browser.get("/office/sign-in")
    form = {"csrf": csrf(page), "email": email, "password": password}
    return await browser.post("/office/sign-in", data=form)


async def member_of_staff(
    concierge: Concierge, browser: httpx.AsyncClient, email: str, role: str = "owner"
) -> None:
    """`email` invited, their password set and signed in."""
    assert (
        await set_password(browser, await invited(concierge, email, role), PASSWORD)
    ).is_redirect
    assert (await sign_in(browser, email)).headers["location"] == "/office/"


@pytest.mark.parametrize("path", ["/office/", "/office/audit"])
async def test_a_visitor_without_a_session_is_sent_to_sign_in(
    browser: httpx.AsyncClient, path: str
) -> None:
    response = await browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/office/sign-in"


async def test_the_owner_sets_a_password_signs_in_sees_the_audit_log_and_signs_out(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    session = browser.cookies["office_session"]
    home = await browser.get("/office/")
    assert home.status_code == 200
    assert "owner@aurelia.example (owner)" in home.text
    log = await browser.get("/office/audit")
    assert log.status_code == 200
    for action in ("invited as owner", "password set", "signed in"):
        assert action in log.text
    out = await browser.post("/office/sign-out", data={"csrf": csrf(home)})
    assert out.headers["location"] == "/office/sign-in"
    browser.cookies.set("office_session", session, path="/office")  # kept by a thief
    assert (await browser.get("/office/")).status_code == 303


async def test_the_session_cookie_is_http_only_same_site_and_new_at_each_sign_in(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    first = browser.cookies["office_session"]
    again = await sign_in(browser, "owner@aurelia.example")
    cookie = again.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/office" in cookie
    assert browser.cookies["office_session"] != first
    browser.cookies.set("office_session", first, path="/office")
    assert (await browser.get("/office/")).status_code == 303  # the old one ended


async def test_a_member_of_staff_is_refused_the_owners_page(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    home = await browser.get("/office/")
    assert "anna@aurelia.example (staff)" in home.text
    assert "/office/audit" not in home.text
    assert (await browser.get("/office/audit")).status_code == 403


@pytest.mark.parametrize("token", [None, "", "forged"])
async def test_a_form_without_its_csrf_token_is_refused(
    concierge: Concierge, browser: httpx.AsyncClient, token: str | None
) -> None:
    link = await invited(concierge, "owner@aurelia.example")
    await browser.get(link)  # the browser holds its CSRF cookie
    form = {"password": PASSWORD, **({"csrf": token} if token is not None else {})}
    assert (await browser.post(link, data=form)).status_code == 403
    form = {"email": "owner@aurelia.example", **form}
    assert (await browser.post("/office/sign-in", data=form)).status_code == 403
    assert (await browser.post("/office/sign-out", data=form)).status_code == 403
    assert (await set_password(browser, link, PASSWORD)).is_redirect  # the link still works


async def test_five_failures_lock_the_sign_in_for_fifteen_minutes_then_it_lifts(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    await set_password(browser, await invited(concierge, "owner@aurelia.example"), PASSWORD)
    for _ in range(5):
        wrong = await sign_in(browser, "owner@aurelia.example", "not the password")
        assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
        clock.current += timedelta(minutes=1)
    locked = await sign_in(browser, "owner@aurelia.example")
    assert locked.status_code == 429 and "Too many failed attempts" in locked.text
    clock.current += timedelta(minutes=14)  # 15 minutes after the fifth failure, less a second
    clock.current -= timedelta(seconds=1)
    assert (await sign_in(browser, "owner@aurelia.example")).status_code == 429
    clock.current += timedelta(seconds=1)
    assert (await sign_in(browser, "owner@aurelia.example")).headers["location"] == "/office/"


async def test_an_unknown_email_fails_like_a_wrong_password(browser: httpx.AsyncClient) -> None:
    response = await sign_in(browser, "nobody@aurelia.example")
    assert response.status_code == 401 and "Wrong e-mail or password" in response.text


async def test_a_session_ends_after_eight_idle_hours(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    clock.current += timedelta(hours=7, minutes=59)
    assert (await browser.get("/office/")).status_code == 200  # and its use is noted
    clock.current += timedelta(hours=7, minutes=59)
    assert (await browser.get("/office/")).status_code == 200
    clock.current += timedelta(hours=8)
    assert (await browser.get("/office/")).headers["location"] == "/office/sign-in"


async def test_a_session_ends_after_seven_days_however_used(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    for _ in range(7 * 24 // 6 - 1):
        clock.current += timedelta(hours=6)
        assert (await browser.get("/office/")).status_code == 200
    clock.current += timedelta(hours=6)
    assert (await browser.get("/office/")).status_code == 303


async def test_a_one_time_link_used_twice_is_refused(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    link = await invited(concierge, "owner@aurelia.example")
    assert (await set_password(browser, link, PASSWORD)).headers["location"] == "/office/sign-in"
    assert (await browser.get(link)).status_code == 410
    page = await browser.get("/office/sign-in")
    again = await browser.post(link, data={"csrf": csrf(page), "password": "another password!"})
    assert again.status_code == 410
    assert (await sign_in(browser, "owner@aurelia.example")).is_redirect  # the first one holds


async def test_an_expired_link_is_refused(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    link = await invited(concierge, "owner@aurelia.example")
    clock.current += timedelta(hours=48)
    assert (await browser.get(link)).status_code == 410
    page = await browser.get("/office/sign-in")
    late = await browser.post(link, data={"csrf": csrf(page), "password": PASSWORD})
    assert late.status_code == 410


async def test_a_password_under_twelve_characters_is_refused_and_the_link_kept(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    link = await invited(concierge, "owner@aurelia.example")
    short = await set_password(browser, link, "elevenchars")
    assert short.status_code == 422 and "at least 12 characters" in short.text
    assert (await set_password(browser, link, "twelve chars")).is_redirect


async def test_the_pages_speak_the_staff_language(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    club = concierge.program.club.model_copy(update={"staff_language": "fr"})
    concierge.program = concierge.program.model_copy(update={"club": club})
    page = await browser.get("/office/sign-in")
    assert '<html lang="fr">' in page.text and "Se connecter" in page.text


async def test_the_cookies_are_secure_when_the_public_url_is_https(
    concierge: Concierge,
) -> None:
    settings = concierge.settings.model_copy(
        update={"public_url": "https://concierge.example.com"}
    )
    app = create_app(replace(concierge, settings=settings), background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as browser:
        page = await browser.get("/office/sign-in")
        assert "secure" in page.headers["set-cookie"].lower()
        await member_of_staff(concierge, browser, "owner@aurelia.example")
        assert (await browser.get("/office/")).status_code == 200
