"""What the back office does on a member's page over HTTP on a real database: their answers
to events and conversations with staff (never what was said), points redeemed, consents
given at the till, export and erasure by the owner, each audited; nothing of one member on
another's page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest

from bot.bootstrap import Concierge
from services import events, members
from tests.factories import OTHER_PHONE, PHONE
from tests.web.test_office import browser, csrf, member_of_staff
from tests.web.test_office_members import enrolled

__all__ = ["browser"]
SAID = "my ring is too tight"


async def busy(concierge: Concierge) -> tuple[str, str]:
    """Giulia and Marc (see `enrolled`), each going to an event of their own and each with a
    conversation with staff: Giulia's taken by Anna and closed, Marc's still open."""
    giulia, marc = await enrolled(concierge)
    now = concierge.clock()
    program = concierge.program
    async with concierge.db.unit_of_work() as uow:
        for number, title, days in (
            (giulia, "Sapphire trunk show", 10),
            (marc, "Pearl evening", 12),
        ):
            member = await members.find(uow, number, program)
            show = await events.create(
                uow, program, now - timedelta(days=7), title=title, capacity=5, plus_ones=1,
                starts_at=now + timedelta(days=days), ends_at=now + timedelta(days=days, hours=2),
            )  # fmt: skip
            await events.answer(uow, program, member, show.id, now, True)
            talk, _ = await uow.handoffs.open(member.id, "whatsapp", member.phone, "asked", now)
            await uow.transcripts.add(talk.id, "member", f"{SAID} ({title})", now)
            if number == giulia:
                [anna] = await uow.staff.all()
                talk.claimed_by = anna.id
                await uow.handoffs.close(talk, anna.id, now + timedelta(minutes=20))
        await uow.commit()
    return giulia, marc


def audited(log: httpx.Response, email: str, what: str) -> list[str]:
    return re.findall(rf"<td>{re.escape(email)}</td><td>({what}[^<]*)", log.text)


async def test_a_members_page_lists_their_answers_and_talks_but_not_what_was_said(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, marc = await busy(concierge)
    await member_of_staff(concierge, browser, "luca@aurelia.example", "staff")
    page = (await browser.get(f"/office/members/{giulia}")).text
    events_part = page.split("<h2>Events</h2>")[1].split("</table>")[0]
    assert "Sapphire trunk show" in events_part and "going" in events_part
    talks = page.split("<h2>Conversations with staff</h2>")[1].split("</table>")[0]
    assert "WhatsApp" in talks and "Anna Bianchi" in talks and "closed" in talks
    assert SAID not in page and PHONE not in page
    for other in ("Pearl evening", "Marc", OTHER_PHONE):
        assert other not in page
    marcs = (await browser.get(f"/office/members/{marc}")).text
    assert "Pearl evening" in marcs and "no one yet" in marcs and ">open<" in marcs
    assert "Sapphire" not in marcs and "Anna Bianchi" not in marcs and SAID not in marcs
    for owners_only in ("/redeem", "/export", "/erase"):
        assert owners_only not in page


async def test_the_owner_redeems_points_audited_and_never_beyond_the_balance(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, marc = await enrolled(concierge)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get(f"/office/members/{giulia}")
    form = {"csrf": csrf(page), "points": "50", "note": "Gift wrapping"}
    done = await browser.post(f"/office/members/{giulia}/redeem", data=form)
    assert done.headers["location"] == f"/office/members/{giulia}"
    after = (await browser.get(f"/office/members/{giulia}")).text
    assert "Gift wrapping" in after and "-50" in after
    assert "Gift wrapping" not in (await browser.get(f"/office/members/{marc}")).text
    too_many = await browser.post(
        f"/office/members/{giulia}/redeem", data={**form, "points": "999999", "note": "a car"}
    )
    assert too_many.status_code == 422 and "Not redeemed" in too_many.text
    log = await browser.get("/office/audit")
    assert audited(log, "owner@aurelia.example", "points redeemed") == [
        f"points redeemed {giulia} 50"
    ]


async def test_staff_record_a_consent_given_at_the_till_with_where_and_who(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, marc = await enrolled(concierge)
    await member_of_staff(concierge, browser, "luca@aurelia.example", "staff")
    page = await browser.get(f"/office/members/{giulia}")
    form = {"csrf": csrf(page), "purpose": "news", "channel": "telegram", "answer": "granted",
            "place": "till"}  # fmt: skip
    for _ in range(2):  # the second time it was so already: nothing more is written
        done = await browser.post(f"/office/members/{giulia}/consent", data=form)
        assert done.headers["location"] == f"/office/members/{giulia}"
    async with concierge.db.unit_of_work() as uow:
        found = await members.find(uow, giulia, concierge.program)
        [*_, change] = await uow.consents.history(found.id)
        assert (
            await uow.consents.history((await members.find(uow, marc, concierge.program)).id) == []
        )
    assert (change.purpose, change.channel, change.granted, change.source) == (
        "news",
        "telegram",
        True,
        "till",
    )
    assert "luca@aurelia.example" in change.wording
    after = (await browser.get(f"/office/members/{giulia}")).text
    assert "New collections" in after.split("<h2>Consents</h2>")[1].split("</table>")[0]
    for wrong in ({"purpose": "gossip"}, {"channel": "fax"}, {"place": "street"}):
        refused = await browser.post(f"/office/members/{giulia}/consent", data={**form, **wrong})
        assert refused.status_code == 422 and "Not recorded" in refused.text
    browser.cookies.clear()
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    log = await browser.get("/office/audit")
    assert audited(log, "luca@aurelia.example", "consent changed") == [
        f"consent changed {giulia} news telegram granted"
    ]


async def test_the_owner_downloads_a_members_data_as_json_audited(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, _ = await enrolled(concierge)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get(f"/office/members/{giulia}")
    download = await browser.post(f"/office/members/{giulia}/export", data={"csrf": csrf(page)})
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert download.headers["content-disposition"] == f'attachment; filename="{giulia}.json"'
    data = json.loads(download.text)
    assert data["member_number"] == giulia and data["name"] == "Giulia Rossi"
    assert "Marc" not in download.text and "ORD-MARC" not in download.text
    log = await browser.get("/office/audit")
    assert audited(log, "owner@aurelia.example", "member exported") == [
        f"member exported {giulia}"
    ]


@pytest.mark.parametrize("typed", ["", "yes", "M00002", "Giulia Rossi"])
async def test_an_erasure_without_the_members_number_typed_changes_nothing(
    concierge: Concierge, browser: httpx.AsyncClient, typed: str
) -> None:
    giulia, _ = await enrolled(concierge)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get(f"/office/members/{giulia}")
    form = {"csrf": csrf(page), "confirmation": typed}
    refused = await browser.post(f"/office/members/{giulia}/erase", data=form)
    assert refused.status_code == 422 and "Not erased" in refused.text
    assert "Giulia Rossi" in (await browser.get(f"/office/members/{giulia}")).text
    assert "member erased" not in (await browser.get("/office/audit")).text


async def test_the_owner_erases_a_member_once_their_number_is_typed(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, marc = await busy(concierge)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get(f"/office/members/{giulia}")
    form = {"csrf": csrf(page), "confirmation": f" {giulia.lower()} "}
    done = await browser.post(f"/office/members/{giulia}/erase", data=form)
    assert done.headers["location"] == f"/office/members?q={giulia}"
    listed = await browser.get(done.headers["location"])
    assert "erased on" in listed.text and "Giulia" not in listed.text
    assert (await browser.get(f"/office/members/{giulia}")).status_code == 404
    marcs = (await browser.get(f"/office/members/{marc}")).text
    assert "Marc Dubois" in marcs and "Pearl evening" in marcs
    log = await browser.get("/office/audit")
    assert audited(log, "owner@aurelia.example", "member erased") == [f"member erased {giulia}"]
