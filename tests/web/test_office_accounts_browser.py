"""A real browser (Debian's Chromium, driven by Playwright) on a phone-sized screen: the
owner adjusts a member's points and erases them with the typed confirmation, invites an
account from the Accounts page, and switches the office to French."""

from __future__ import annotations

from typing import Any

from bot.bootstrap import Concierge
from services import members, office
from tests.factories import PHONE
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served

__all__ = ["pytestmark", "served"]
PASSWORD = "a long enough secret"
OWNER = "owner@aurelia.example"


async def signed_in_owner(driver: Any, address: str, concierge: Concierge) -> tuple[Any, Any]:
    """Chromium with a phone's screen, the owner signed in: the browser and its page."""
    async with concierge.db.unit_of_work() as uow:
        token = await office.invite(uow, OWNER, "owner", concierge.clock())
        await uow.commit()
    browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    await page.goto(f"{address}/office/welcome/{token}")
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{address}/office/sign-in")
    await page.fill("#email", OWNER)
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{address}/office/")
    return browser, page


async def fits(page: Any) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth") <= 390)


async def test_the_owner_adjusts_points_then_erases_the_member_after_typing_the_number(
    served: tuple[str, Concierge],
) -> None:
    address, concierge = served
    async with concierge.db.unit_of_work() as uow:
        giulia = await members.add(
            uow, concierge.program, concierge.clock(), PHONE, name="Giulia Rossi"
        )
        await uow.commit()
    number = members.member_number(giulia.id)
    async with playwright.async_playwright() as driver:
        browser, page = await signed_in_owner(driver, address, concierge)
        await page.goto(f"{address}/office/members/{number}")
        assert await fits(page)
        await page.fill("#points", "25")
        await page.fill("#note", "Welcome gift")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert "Adjustment: Welcome gift" in await page.inner_text("main")
        await page.fill("#confirmation", "M99999")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert "Not erased" in await page.inner_text("[role=alert]")
        await page.fill("#confirmation", number)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{address}/office/members?q={number}")
        assert "erased on" in await page.inner_text("main")
        assert "Giulia" not in await page.content()
        await browser.close()


async def test_the_owner_invites_an_account_and_switches_the_office_to_french(
    served: tuple[str, Concierge],
) -> None:
    address, concierge = served
    async with playwright.async_playwright() as driver:
        browser, page = await signed_in_owner(driver, address, concierge)
        await page.focus("a[href='/office/accounts']")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{address}/office/accounts")
        await page.fill("#email", "anna@aurelia.example")
        await page.select_option("#role", "staff")
        async with page.expect_navigation():
            await page.click("main button:has-text('Invite')")
        link = await page.input_value("#link")
        assert link.startswith(f"{address}/office/welcome/")
        assert "anna@aurelia.example" in await page.inner_text("table")
        assert await fits(page)
        await page.select_option("#office-language", "fr")
        async with page.expect_navigation():
            await page.click("nav button:has-text('Change')")
        assert page.url == f"{address}/office/accounts"
        assert await page.get_attribute("html", "lang") == "fr"
        assert "Comptes" in await page.inner_text("h1")
        assert await fits(page)
        await browser.close()
