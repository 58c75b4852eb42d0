"""A real browser (Debian's Chromium, driven by Playwright) on the Figures page, on a phone:
the owner picks a range, and the charts are drawn from the seeded club without the page
scrolling sideways; each chart's table is there for a screen reader."""

from __future__ import annotations

from bot.bootstrap import Concierge
from tests.figures_club import fill
from tests.web.test_office import invited
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served, signed_in  # noqa: F401

PHONE = 390


async def test_the_owner_reads_the_charts_on_a_phone(
    served: tuple[str, Concierge],  # noqa: F811
) -> None:
    address, concierge = served
    await fill(concierge.db)
    link = await invited(concierge, "owner@aurelia.example")
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": PHONE, "height": 800})
        await signed_in(page, address, link, "owner@aurelia.example")
        await page.click("main >> text=Figures")
        await page.fill("#from", "2026-01")
        await page.fill("#to", "2026-11")
        await page.click("main form button[type=submit]")
        await page.wait_for_url(f"{address}/office/figures?from=2026-01&to=2026-11")
        chart = page.locator("#frequency svg")
        box = await chart.bounding_box()
        assert box is not None and 0 < box["width"] <= PHONE
        # the purchases line goes through its points: one dot per month of the range
        assert await chart.locator(".series.serie-0 .dot").count() == 11
        assert await page.locator("#events .series rect").count() >= 1  # the event's bars
        sideways = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0
        assert "Feb 2026" in await page.inner_text("#frequency table")
        await browser.close()
