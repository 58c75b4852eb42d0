"""A real browser (Debian's Chromium, driven by Playwright) finds a member with the keyboard
alone on a phone-sized screen and reads their page."""

from __future__ import annotations

from bot.bootstrap import Concierge
from services import members, office
from tests.factories import PHONE
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served

__all__ = ["pytestmark", "served"]
PASSWORD = "a long enough secret"


async def test_a_browser_finds_a_member_and_reads_their_card(
    served: tuple[str, Concierge],
) -> None:
    address, concierge = served
    async with concierge.db.unit_of_work() as uow:
        token = await office.invite(uow, "anna@aurelia.example", "staff", concierge.clock())
        giulia = await members.add(
            uow, concierge.program, concierge.clock(), PHONE, name="Giulia Rossi"
        )
        await uow.commit()
    number = members.member_number(giulia.id)
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"{address}/office/welcome/{token}")
        await page.fill("#password", PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{address}/office/sign-in")
        await page.fill("#email", "anna@aurelia.example")
        await page.fill("#password", PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{address}/office/")
        await page.goto(f"{address}/office/members")
        await page.wait_for_function("document.activeElement.id === 'q'")  # autofocus
        await page.keyboard.type(PHONE)  # the search box has the focus
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{address}/office/members?q=*")
        await page.focus(f"a[href='/office/members/{number}']")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{address}/office/members/{number}")
        assert "Giulia Rossi" in await page.inner_text("pre")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone's screen
        await browser.close()
