"""A real browser (Debian's Chromium, driven by Playwright) on the Messages page: a member of
staff filters the outbox and sends a stuck message again, with the keyboard."""

from __future__ import annotations

from bot.bootstrap import Concierge
from tests.web.test_office import invited
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served, signed_in  # noqa: F401
from tests.web.test_office_messages import message


async def test_staff_send_a_dead_message_again(
    served: tuple[str, Concierge],  # noqa: F811
) -> None:
    address, concierge = served
    dead = await message(concierge, "dead", "birthday")
    link = await invited(concierge, "staff@aurelia.example", "staff")
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": 375, "height": 700})  # a phone
        await signed_in(page, address, link, "staff@aurelia.example")
        await page.click("text=Messages")
        await page.select_option("#status", "dead")
        await page.click("text=Show")
        await page.wait_for_url(f"{address}/office/messages?status=dead")
        assert "birthday" in await page.inner_text(f"#message-{dead}")
        await page.focus(f"#message-{dead} button")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert page.url == f"{address}/office/messages?status=dead"
        assert "No messages." in await page.inner_text("table")  # pending now
        await browser.close()
