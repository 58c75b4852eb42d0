"""Every page the back office's menu links to (found from the menu itself, so pages added
later are covered too) and a member's page, in a real browser on the demo club and its
history, signed in as the demo's owner: each answers 200, fits a phone's screen, and is
photographed at a laptop's width (the home page at a phone's too).

The PNGs go to a temporary folder; `make screenshots` sets CONCIERGE_SCREENSHOTS to
docs/screenshots and seeds the whole history (about 150 members) for them, where the suite
seeds a smaller one."""

from __future__ import annotations

import os
from pathlib import Path

from bot.bootstrap import Concierge
from bot.cli.demo import OWNER, PASSWORD, seed_office
from bot.demo_people import MEMBERS, SEED, people
from services import members
from tests.web.test_office_browser import CHROMIUM, playwright, pytestmark, served

__all__ = ["pytestmark", "served"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TALLEST = 3000  # a long page is cut there: the PNGs stay small


def folder(tmp_path: Path) -> tuple[Path, int]:
    """Where the PNGs go, and how many members the history has for them."""
    asked = os.environ.get("CONCIERGE_SCREENSHOTS")
    if asked:
        return Path(asked), MEMBERS
    return tmp_path, 40


def regular(concierge: Concierge, count: int) -> str:
    """The member number of the history's most frequent buyer (the demo's own three members
    come first): a page with much on it."""
    crowd = people(concierge.clock(), SEED, count)
    most = max(range(len(crowd)), key=lambda i: len(crowd[i].buys))
    return members.member_number(4 + most)


def name_of(path: str) -> str:
    """/office/ -> home, /office/members -> members, /office/members/M00012 -> member."""
    parts = [part for part in path.split("?")[0].split("/") if part][1:]
    if not parts:
        return "home"
    if len(parts) > 1 and parts[0] == "members":
        return "member"
    return "-".join(parts)


async def test_every_page_of_the_menu_answers_fits_a_phone_and_is_photographed(
    served: tuple[str, Concierge], tmp_path: Path
) -> None:
    address, concierge = served
    out, count = folder(tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    await seed_office(concierge, count=count)
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        signed_in = await browser.new_context(viewport=DESKTOP)  # its pages share the cookies
        desk = await signed_in.new_page()
        await desk.goto(f"{address}/office/sign-in")
        await desk.fill("#email", OWNER)
        await desk.fill("#password", PASSWORD)
        await desk.click("main button[type=submit]")
        await desk.wait_for_url(f"{address}/office/")
        menu = await desk.eval_on_selector_all(
            "nav a[href]", "links => links.map(link => link.getAttribute('href'))"
        )
        assert {"/office/", "/office/members", "/office/audit"} <= set(menu)
        phone = await signed_in.new_page()
        await phone.set_viewport_size(PHONE)
        shot = []
        for path in [*dict.fromkeys(menu), f"/office/members/{regular(concierge, count)}"]:
            answer = await desk.goto(f"{address}{path}")
            assert answer is not None and answer.status == 200, path
            height = await desk.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": 0, "width": DESKTOP["width"], "height": min(height, TALLEST)}
            await desk.screenshot(path=out / f"{name_of(path)}.png", full_page=True, clip=clip)
            shot.append(name_of(path))
            await phone.goto(f"{address}{path}")
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width}px wide on a phone"
        await phone.goto(f"{address}/office/")
        await phone.screenshot(path=out / "home-phone.png")
        await browser.close()
    assert {"home", "members", "member", "audit"} <= set(shot)
    assert all((out / f"{name}.png").stat().st_size > 0 for name in shot)
