"""A real browser (Debian's Chromium, driven by Playwright) on the Events pages, on a phone's
390px screen: a member of staff creates an event from the form, invites, then checks a guest
in at the door by typing the ticket's text (headless Chromium reads no QR code: the page says
the camera is not available here)."""

from __future__ import annotations

from bot.bootstrap import Concierge
from services import events
from tests.storage.test_events import enrol
from tests.web.test_office import invited
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served, signed_in  # noqa: F401
from tests.web.test_office_events import going, program  # noqa: F401 (the fixture)


async def test_staff_create_an_event_invite_and_check_a_guest_in_on_a_phone(
    served: tuple[str, Concierge],  # noqa: F811
) -> None:
    address, concierge = served
    giulia = await enrol(concierge, 1)
    link = await invited(concierge, "staff@aurelia.example", "staff")
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": 390, "height": 800})
        await signed_in(page, address, link, "staff@aurelia.example")
        await page.click("nav >> text=Events")
        await page.click("text=New event")
        await page.fill("#title", "Emerald preview")
        await page.select_option("#kind", "trunk_show")
        await page.fill("#starts", "2026-11-24T18:30")  # NOW is 11:00 in Rome: today
        await page.fill("#ends", "2026-11-24T21:00")
        await page.fill("#capacity", "10")
        await page.fill("#plus_ones", "1")
        await page.check("input[name=tiers][value=gold]")
        await page.fill("#guests", "M00001")
        assert await _fits(page)
        await page.click("main button[type=submit]")
        await page.wait_for_url(f"{address}/office/events/1")
        assert "Trunk show" in await page.inner_text("main")
        await page.click('button:has-text("Invite")')
        assert "1 invitations sent" in await page.inner_text("[role=status]")
        assert await _fits(page)

        async with concierge.db.unit_of_work() as uow:
            shown = await events.for_member(uow, giulia, concierge.clock(), concierge.program)
        assert [one.event.title for one in shown] == ["Emerald preview"]
        ticket = await going(concierge, giulia, 1, plus_ones=1)
        await page.click("text=Check-in at the door")
        await page.wait_for_url(f"{address}/office/events/1/check-in")
        assert await page.is_visible("#camera-missing")  # no BarcodeDetector here
        assert not await page.is_visible("#scan")
        await page.fill("#ticket", ticket)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert await page.inner_text("#result") == "Checked in: Member 1, with 1 guest."
        assert await _fits(page)
        await page.click("main a >> text=Emerald preview")
        assert "Member 1" in await page.inner_text("#guests")
        await browser.close()


async def _fits(page: object) -> bool:
    """No horizontal scroll of the page's body on this screen."""
    width = "document.documentElement.scrollWidth <= window.innerWidth"
    return bool(await page.evaluate(width))  # type: ignore[attr-defined]
