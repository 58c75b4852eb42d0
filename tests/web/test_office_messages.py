"""The back office's Messages page over HTTP on a real database: the outbox with masked
addresses and no bodies, its filter, staff's word on a message (audited), and each security
rule as a visitor, staff and a forged form meet it."""

from __future__ import annotations

import httpx
import pytest

from bot.bootstrap import Concierge
from tests.conftest import NOW
from tests.web.test_office import browser, csrf, member_of_staff  # noqa: F401 (a fixture)

ADDRESS = "+393471234567"


async def message(concierge: Concierge, status: str, kind: str = "reply") -> int:
    """A message in the outbox, now of `status`."""
    async with concierge.db.unit_of_work() as uow:
        row = await uow.outbox.add(
            concierge.clock(), channel="whatsapp", address=ADDRESS, kind=kind,
            body="a private word",
        )  # fmt: skip
        row.status, row.error_code = status, "63016" if status == "dead" else None
        await uow.commit()
        return row.id


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/office/messages"), ("POST", "/office/messages/1/retry")],
)
async def test_a_visitor_without_a_session_is_sent_to_sign_in(
    browser: httpx.AsyncClient,  # noqa: F811
    method: str,
    path: str,
) -> None:
    page = await browser.get("/office/sign-in")
    response = await browser.request(method, path, data={"csrf": csrf(page)})
    assert response.status_code == 303
    assert response.headers["location"] == "/office/sign-in"


async def test_staff_see_the_outbox_masked_filter_it_and_retry_a_dead_message(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    dead = await message(concierge, "dead", "birthday")
    sent = await message(concierge, "sent")
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/messages")
    assert page.status_code == 200
    assert "•••••••••67" in page.text and ADDRESS not in page.text
    assert "a private word" not in page.text
    assert "birthday" in page.text and "63016" in page.text
    assert f"/office/messages/{dead}/retry" in page.text
    assert f"/office/messages/{sent}/" not in page.text  # a sent message cannot change
    only_dead = await browser.get("/office/messages?status=dead")
    assert f'id="message-{dead}"' in only_dead.text
    assert f'id="message-{sent}"' not in only_dead.text

    form = {"csrf": csrf(page), "status": "dead"}
    retried = await browser.post(f"/office/messages/{dead}/retry", data=form)
    assert retried.headers["location"] == "/office/messages?status=dead"
    async with concierge.db.unit_of_work() as uow:
        row = await uow.outbox.get(dead)
        assert row is not None and row.status == "pending"
        log = await uow.office.audit_log(10)
    assert (log[0].email, log[0].action) == ("staff@aurelia.example", f"message-retried:{dead}")


async def test_a_message_that_cannot_change_is_said_in_one_line(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    sent = await message(concierge, "sent")
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    page = await browser.get("/office/messages")
    answer = await browser.post(f"/office/messages/{sent}/cancel", data={"csrf": csrf(page)})
    assert answer.status_code == 409
    assert f"Message {sent} cannot change now." in answer.text
    missing = await browser.post("/office/messages/999999/retry", data={"csrf": csrf(page)})
    assert missing.status_code == 409
    async with concierge.db.unit_of_work() as uow:
        assert not any("message" in e.action for e in await uow.office.audit_log(10))


async def test_the_owner_cancels_and_a_form_without_its_token_is_refused(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    pending = await message(concierge, "pending")
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    forged = await browser.post(f"/office/messages/{pending}/cancel", data={"csrf": "forged"})
    assert forged.status_code == 403
    page = await browser.get("/office/messages")
    done = await browser.post(f"/office/messages/{pending}/cancel", data={"csrf": csrf(page)})
    assert done.headers["location"] == "/office/messages"
    audit = await browser.get("/office/audit")
    assert f"message cancelled #{pending}" in audit.text


async def test_the_conversations_open_with_staff_are_listed_masked(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    async with concierge.db.unit_of_work() as uow:
        talk, _ = await uow.handoffs.open(None, "whatsapp", ADDRESS, "a private reason", NOW)
        closed, _ = await uow.handoffs.open(None, "telegram", "555123", "why", NOW)
        await uow.handoffs.close(closed, None, NOW)
        await uow.commit()
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    page = await browser.get("/office/messages")
    assert f'id="talk-{talk.id}"' in page.text and f'id="talk-{closed.id}"' not in page.text
    assert "not a member" in page.text and "•••••••••67" in page.text
    assert ADDRESS not in page.text and "a private reason" not in page.text
