"""A real browser (Debian's Chromium, driven by Playwright) on the Appointments page: on a
phone's 390px screen, a member of staff reaches the week with the keyboard alone and marks a
booking that started as a no-show, or cancels one still to come."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import Concierge
from tests.conftest import Clock
from tests.web.test_office import invited
from tests.web.test_office_agenda import booked
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served, signed_in  # noqa: F401

PHONE_WIDTH = 390


async def test_staff_mark_a_no_show_on_a_phone_with_the_keyboard(
    served: tuple[str, Concierge],  # noqa: F811
    clock: Clock,
) -> None:
    address, concierge = served
    made = await booked(concierge)
    clock.current = made.start + timedelta(minutes=10)  # Giulia's and Marc's time has come
    link = await invited(concierge, "staff@aurelia.example", "staff")
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": PHONE_WIDTH, "height": 800})
        await signed_in(page, address, link, "staff@aurelia.example")

        for _ in range(10):  # Tab to the nav's link, then follow it with Enter
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.textContent") == "Appointments":
                break
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert page.url == f"{address}/office/appointments"
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, "the page scrolls sideways on a phone"
        giulia = page.locator(f"#appointment-{made.giulia}")
        assert "Giulia Rossi" in await giulia.inner_text()
        assert "booked" in await giulia.inner_text()

        await page.focus(f"#appointment-{made.giulia} button")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert page.url.startswith(f"{address}/office/appointments?week=")
        assert "no-show" in await giulia.inner_text()
        assert await giulia.locator("button").count() == 0
        assert "booked" in await page.inner_text(f"#appointment-{made.marc}")
        for other in ("Staff hours", "Closures"):
            await page.click(f"main >> text={other}")
            await page.wait_for_load_state()
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        await browser.close()
    async with concierge.db.unit_of_work() as uow:
        row = await uow.appointments.get(made.giulia)
        assert row is not None and row.status == "no_show"


async def test_staff_cancel_a_booking_on_a_phone_with_the_keyboard(
    served: tuple[str, Concierge],  # noqa: F811
) -> None:
    address, concierge = served
    made = await booked(concierge)  # Giulia's and Marc's time is still to come
    link = await invited(concierge, "staff@aurelia.example", "staff")
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page(viewport={"width": PHONE_WIDTH, "height": 800})
        await signed_in(page, address, link, "staff@aurelia.example")
        await page.goto(f"{address}/office/appointments")
        giulia = page.locator(f"#appointment-{made.giulia}")

        await page.focus(f"#appointment-{made.giulia} button")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        question = page.locator("#confirm")
        assert "Cancel this appointment?" in await question.inner_text()
        assert "Giulia Rossi" in await question.inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        assert await page.evaluate("document.activeElement.id") == "cancel-reason"
        await page.keyboard.type("Piece not ready")
        await page.keyboard.press("Tab")  # to the button that confirms
        async with page.expect_navigation():
            await page.keyboard.press("Enter")

        answer = await page.inner_text("[role=status]")
        assert f"Appointment {made.giulia} is cancelled" in answer
        assert "The member is told." in answer
        assert await page.locator("#confirm").count() == 0
        assert "cancelled" in await giulia.inner_text()
        assert await giulia.locator("button").count() == 0
        assert "booked" in await page.inner_text(f"#appointment-{made.marc}")
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        await browser.close()
    async with concierge.db.unit_of_work() as uow:
        row = await uow.appointments.get(made.giulia)
        assert row is not None and row.status == "cancelled"
        [entry, *_] = await uow.office.audit_log(5)
    assert entry.action == f"appointment-cancelled {made.giulia} Piece not ready"
