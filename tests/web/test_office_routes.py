"""Every back-office route, found on the app itself so that a page added later is covered
too: a visitor is sent to sign in (but for the doors), staff are refused the owner's routes,
and every form is refused without its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from bot.bootstrap import Concierge
from bot.web import office
from bot.web.app import ROUTERS
from tests.web.test_office import browser, csrf, member_of_staff

__all__ = ["browser"]
DOORS = {"/office/sign-in", "/office/welcome/{token}"}  # open to visitors, by design
SAMPLE = {
    "number": "M00001", "token": "t" * 43, "row_id": "1", "action": "retry", "event_id": "1",
    "appointment_id": "1", "telegram_user_id": "1", "day": "2030-01-02", "slug": "members",
}  # fmt: skip


def _routes() -> list[tuple[str, str, bool]]:
    """(method, path, for owners only) of each route under /office/."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith("/office"):
                owner = office._owner in _calls(route.dependant)
                found += [(method, route.path, owner) for method in sorted(route.methods)]
    return found


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    for one in dependant.dependencies:
        yield one.call
        yield from _calls(one)


def _address(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda name: SAMPLE[name[1]], path)


ROUTES = _routes()
OWNERS = [(method, path) for method, path, owner in ROUTES if owner]
GUARDED = [(method, path) for method, path, _ in ROUTES if path not in DOORS]
FORMS = [(method, path) for method, path, _ in ROUTES if method == "POST"]


def test_the_routes_are_found_and_the_owners_among_them() -> None:
    assert ("GET", "/office/accounts") in OWNERS and (
        "POST",
        "/office/members/{number}/erase",
    ) in OWNERS
    assert ("GET", "/office/members") not in OWNERS and ("POST", "/office/language") in GUARDED
    assert ("POST", "/office/sign-out") in FORMS


@pytest.mark.parametrize(("method", "path"), GUARDED)
async def test_a_visitor_is_sent_to_sign_in(
    browser: httpx.AsyncClient, method: str, path: str
) -> None:
    token = csrf(await browser.get("/office/sign-in"))  # a real token: only the session lacks
    response = await browser.request(method, _address(path), data={"csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize(("method", "path"), OWNERS)
async def test_staff_are_refused_the_owners_routes(
    concierge: Concierge, browser: httpx.AsyncClient, method: str, path: str
) -> None:
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    token = csrf(await browser.get("/office/"))
    response = await browser.request(method, _address(path), data={"csrf": token})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), FORMS)
@pytest.mark.parametrize("token", [None, "forged"])
async def test_a_form_without_its_csrf_token_is_refused(
    concierge: Concierge, browser: httpx.AsyncClient, method: str, path: str, token: str | None
) -> None:
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    form = {"csrf": token} if token else {}
    response = await browser.request(method, _address(path), data=form)
    assert response.status_code == 403
