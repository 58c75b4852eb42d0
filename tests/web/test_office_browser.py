"""A real browser (Debian's Chromium, driven by Playwright) sets its password from the
one-time link and signs in to the back office served by uvicorn: the cookies, the CSRF
tokens and the redirects as a browser handles them, not as a test client does."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.bootstrap import Concierge
from bot.settings import Settings
from bot.web import create_app
from loyalty.program import Program
from services import office
from storage.database import Database
from tests.conftest import Clock
from tests.web.test_office import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
playwright = pytest.importorskip("playwright.async_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no browser: {CHROMIUM} is missing (`make browser`)"
)


@pytest.fixture
async def served(
    tmp_path: Path, sqlite_template: Path, program: Program, clock: Clock
) -> AsyncIterator[tuple[str, Concierge]]:
    """The web app on a port of its own, on a SQLite copy: its address and its wiring."""
    shutil.copy(sqlite_template, tmp_path / "club.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'club.db'}"
    settings = Settings(database_url=url)
    concierge = Concierge(settings, program, Database(url), clock, clock.sleep, clock.monotonic)
    listening = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(concierge, background=False), lifespan="off", log_config=None, ws="none"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{listening.getsockname()[1]}", concierge
    server.should_exit = True
    await serving
    await concierge.db.close()


async def signed_in(page: Any, address: str, link: str, email: str) -> None:
    """Set the password a one-time link asks for, then sign in with it, as a person would."""
    await page.goto(f"{address}{link}")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{address}/office/sign-in")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{address}/office/")


async def test_a_browser_sets_its_password_and_signs_in(
    served: tuple[str, Concierge],
) -> None:
    address, concierge = served
    async with concierge.db.unit_of_work() as uow:
        token = await office.invite(uow, "owner@aurelia.example", "owner", concierge.clock())
        await uow.commit()
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        page = await browser.new_page()
        await signed_in(page, address, f"/office/welcome/{token}", "owner@aurelia.example")
        assert "owner@aurelia.example (owner)" in await page.inner_text("main")
        await page.click("text=Audit log")
        assert "signed in" in await page.inner_text("table")
        await browser.close()
