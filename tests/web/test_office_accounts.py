"""The back office's Accounts page and language switch over HTTP on a real database: owners
invite and disable accounts (audited), a disabled account neither signs in nor uses a link,
the club always keeps an owner, and each browser reads the office in its chosen language."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.bootstrap import Concierge
from services import office
from tests.web.test_office import (
    PASSWORD,
    browser,
    csrf,
    invited,
    member_of_staff,
    set_password,
    sign_in,
)

__all__ = ["browser"]
OWNER, ANNA = "owner@aurelia.example", "anna@aurelia.example"


async def invite(browser: httpx.AsyncClient, email: str, role: str = "staff") -> httpx.Response:
    page = await browser.get("/office/accounts")
    return await browser.post(
        "/office/accounts", data={"csrf": csrf(page), "email": email, "role": role}
    )


async def disable(browser: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await browser.get("/office/accounts")
    return await browser.post(
        "/office/accounts/disable", data={"csrf": csrf(page), "email": email}
    )


async def test_the_owner_invites_someone_who_sets_a_password_from_the_link_shown(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, OWNER)
    page = await browser.get("/office/accounts")
    assert page.status_code == 200 and OWNER in page.text and "never" not in page.text
    shown = await invite(browser, " Anna@Aurelia.example ")
    assert shown.status_code == 200
    link = re.search(r'id="link" value="http://test(/office/welcome/[\w-]{43})"', shown.text)
    assert link and "Hand this one-time link to anna@aurelia.example" in shown.text
    assert re.search(
        r"<td>anna@aurelia.example</td>\s*<td>staff</td>\s*<td>never</td>", shown.text
    )
    log = await browser.get("/office/audit")
    row = re.search(r"<td>owner@aurelia.example</td><td>account invited[^<]*", log.text)
    assert row and "anna@aurelia.example staff" in row[0]
    browser.cookies.clear()
    assert (await set_password(browser, link[1], PASSWORD)).is_redirect
    assert (await sign_in(browser, ANNA)).headers["location"] == "/office/"
    assert (await browser.get("/office/accounts")).status_code == 403


@pytest.mark.parametrize("email", ["not-an-address", ""])
async def test_an_invitation_without_an_address_is_refused(
    concierge: Concierge, browser: httpx.AsyncClient, email: str
) -> None:
    await member_of_staff(concierge, browser, OWNER)
    refused = await invite(browser, email)
    assert refused.status_code == 422 and "Not invited" in refused.text
    bad_role = await invite(browser, ANNA, "boss")
    assert bad_role.status_code == 422 and ANNA not in bad_role.text.split("</table>")[0]


async def test_a_disabled_account_is_signed_out_and_can_neither_sign_in_nor_use_a_link(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, ANNA, "staff")
    annas = dict(browser.cookies)
    browser.cookies.clear()
    link = await invited(concierge, "luca@aurelia.example", "staff")
    await member_of_staff(concierge, browser, OWNER)
    shown = await browser.get("/office/accounts")
    assert re.search(r"<td>anna@aurelia.example</td>\s*<td>staff</td>\s*<td>[^<]*\d", shown.text)
    for email in (ANNA, "luca@aurelia.example"):
        assert (await disable(browser, email)).headers["location"] == "/office/accounts"
    page = await browser.get("/office/accounts")
    assert page.text.count("disabled since") == 2
    log = await browser.get("/office/audit")
    assert "account disabled anna@aurelia.example" in log.text
    browser.cookies.clear()
    for name, value in annas.items():
        browser.cookies.set(name, value, path="/office")
    assert (await browser.get("/office/")).headers["location"] == "/office/sign-in"
    assert (await sign_in(browser, ANNA)).status_code == 401
    assert (await browser.get(link)).status_code == 410
    form = {"csrf": csrf(await browser.get("/office/sign-in")), "password": PASSWORD}
    assert (await browser.post(link, data=form)).status_code == 410


async def test_no_owner_disables_themselves_nor_the_last_owner_nor_makes_them_staff(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, OWNER)
    page = await browser.get("/office/accounts")
    assert 'name="email" value="owner@aurelia.example"' not in page.text  # no button
    refused = await disable(browser, OWNER)
    assert refused.status_code == 409 and "Not disabled" in refused.text
    demoted = await invite(browser, OWNER, "staff")
    assert demoted.status_code == 409 and "keeps at least one owner" in demoted.text
    await invited(concierge, "second@aurelia.example", "owner")
    assert (await disable(browser, "second@aurelia.example")).is_redirect
    async with concierge.db.unit_of_work() as uow:
        with pytest.raises(office.OfficeError, match="last owner"):
            await office.disable(uow, OWNER, concierge.clock())  # as the command line would
    assert (await browser.get("/office/")).status_code == 200  # still signed in, still owner


async def test_inviting_a_disabled_account_again_gives_it_back(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, OWNER)
    await invite(browser, ANNA)
    await disable(browser, ANNA)
    again = await invite(browser, ANNA)
    assert "disabled since" not in again.text
    link = re.search(r'id="link" value="http://test([^"]+)"', again.text)
    assert link
    browser.cookies.clear()
    assert (await set_password(browser, link[1], PASSWORD)).is_redirect
    assert (await sign_in(browser, ANNA)).is_redirect


async def test_staff_read_the_office_in_the_language_they_choose(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    await member_of_staff(concierge, browser, ANNA, "staff")
    page = await browser.get("/office/members")
    assert '<option value="fr" lang="fr">Français</option>' in page.text
    form = {"csrf": csrf(page), "language": "fr", "back": "/office/members"}
    chosen = await browser.post("/office/language", data=form)
    assert chosen.headers["location"] == "/office/members"
    french = await browser.get("/office/members")
    assert '<html lang="fr">' in french.text and "Membres" in french.text
    assert '<option value="fr" lang="fr" selected>' in french.text
    for language, back in (("de", "/office/"), ("it", "https://elsewhere.example/")):
        form = {"csrf": csrf(page), "language": language, "back": back}
        assert (await browser.post("/office/language", data=form)).headers["location"] == (
            "/office/"
        )
    assert '<html lang="it">' in (await browser.get("/office/")).text  # German: not the club's
    browser.cookies.delete("office_language", path="/office")
    assert '<html lang="en">' in (await browser.get("/office/")).text
