"""The back office's Members pages over HTTP on a real database: the search by number or
phone, a member's page, who may read them, and what they never show."""

from __future__ import annotations

import re
from datetime import time

import httpx
import pytest

from bot.bootstrap import Concierge
from bot.logs import Redactor
from loyalty.consent import Channel, Purpose
from loyalty.points import Entry, Kind, Reason, gift_entry
from services import appointments, members, office, privacy
from services.purchases import ingest
from tests.conftest import Clock
from tests.factories import OTHER_PHONE, PHONE, purchase
from tests.web.test_office import browser, csrf, member_of_staff

__all__ = ["browser"]


async def enrolled(concierge: Concierge) -> tuple[str, str]:
    """Giulia (a purchase, a consent given at the till, a ring to resize) and Marc; their
    member numbers."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        giulia = await members.add(uow, concierge.program, now, PHONE, name="Giulia Rossi")
        marc = await members.add(uow, concierge.program, now, OTHER_PHONE, name="Marc Dubois")
        await members.set_consent(
            uow, giulia, Purpose.EVENTS, Channel.WHATSAPP, True, now, "till", "told at the till"
        )
        anna = await uow.staff.add(6660001, "Anna Bianchi", "concierge", now)
        for weekday in range(1, 6):
            await uow.schedules.set_hours(anna.id, weekday, time(10), time(18))
        [slot, *_] = await appointments.slots(uow, concierge.program, "resize", now)
        await appointments.book(uow, concierge.program, giulia, "resize", slot.start, now)
        await uow.commit()
    batch = [purchase(now, "1200.00", order_id="ORD-GIULIA"), purchase(
        now, "80.00", phone=OTHER_PHONE, order_id="ORD-MARC"
    )]  # fmt: skip
    await ingest(concierge.db.unit_of_work, batch, "import", now, concierge.program)
    return members.member_number(giulia.id), members.member_number(marc.id)


@pytest.mark.parametrize("path", ["/office/members", "/office/members/M00001"])
async def test_a_visitor_is_sent_to_sign_in(browser: httpx.AsyncClient, path: str) -> None:
    response = await browser.get(path)
    assert response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize("role", ["staff", "owner"])
async def test_staff_and_owners_find_a_member_by_number_phone_or_name(
    concierge: Concierge, browser: httpx.AsyncClient, role: str
) -> None:
    giulia, _ = await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", role)
    for query in (giulia, "M1", PHONE, "+39 347 123 4567"):
        found = await browser.get("/office/members", params={"q": query})
        assert found.status_code == 200
        assert f'href="/office/members/{giulia}"' in found.text and "Giulia Rossi" in found.text
        assert "Marc" not in found.text
    by_name = await browser.get("/office/members", params={"q": "rOSSi"})
    assert f'href="/office/members/{giulia}"' in by_name.text and "Marc" not in by_name.text
    for query in ("M99999", "%", "_"):  # wildcards are letters like any other
        nobody = await browser.get("/office/members", params={"q": query})
        assert "No member found." in nobody.text and "Giulia" not in nobody.text


async def test_a_members_page_shows_their_card_ledger_purchases_and_consents_only(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, marc = await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    page = await browser.get(f"/office/members/{giulia}")
    assert page.status_code == 200
    for shown in ("Giulia Rossi", "ORD-GIULIA", "Purchase ORD-GIULIA", "€1,200.00", "till"):
        assert shown in page.text
    assert "Private previews and events" in page.text
    resize = concierge.program.services["resize"].name["en"]
    assert resize in page.text.split("Appointments to come")[1]
    assert 'src="data:image/png;base64,' in page.text and "http" not in page.text.split("<img")[1]
    for other in ("Marc", "ORD-MARC", marc, OTHER_PHONE):
        assert other not in page.text
    marcs = await browser.get(f"/office/members/{marc}")
    assert resize not in marcs.text and "Giulia" not in marcs.text


async def test_a_birthday_gift_shows_as_a_gift_on_the_members_page_never_as_redeemed(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, _ = await enrolled(concierge)
    now = concierge.clock()
    member_id = int(giulia.removeprefix("M"))
    earlier = Entry(Kind.ADJUST, 100, now, "gift:birthday:1:2025", Reason.REWARD,
                    {"note": "birthday"})  # fmt: skip  # as gifts were first recorded
    async with concierge.db.unit_of_work() as uow:
        gifts = [earlier, gift_entry("birthday:1:2026", 100, now, "birthday")]
        await uow.ledger.add_many([(member_id, gift) for gift in gifts], "occasions", now)
        await uow.commit()
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    page = (await browser.get(f"/office/members/{giulia}")).text
    assert page.count("<td>Birthday gift</td>") == 2 and "Redeemed" not in page


@pytest.mark.parametrize("path", ["M99999", PHONE, "nothing"])
async def test_no_page_for_someone_who_is_not_a_member(
    concierge: Concierge, browser: httpx.AsyncClient, path: str
) -> None:
    await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    response = await browser.get(f"/office/members/{path}")
    assert response.status_code == 404 and "Giulia" not in response.text


async def test_an_erased_member_is_found_by_number_only_and_shows_nothing_of_them(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, _ = await enrolled(concierge)
    async with concierge.db.unit_of_work() as uow:
        found = await members.look_up(uow, giulia, concierge.program)
        await privacy.erase(uow, concierge.program, found, concierge.clock())
        await uow.commit()
    await member_of_staff(concierge, browser, "anna@aurelia.example", "owner")
    listed = await browser.get("/office/members", params={"q": giulia})
    assert "erased on" in listed.text and f'href="/office/members/{giulia}"' not in listed.text
    by_phone = await browser.get("/office/members", params={"q": PHONE})
    assert "No member found." in by_phone.text  # an erased member has no phone left
    by_name = await browser.get("/office/members", params={"q": "Giulia"})
    assert "No member found." in by_name.text  # nor a name
    assert "Giulia" not in listed.text + by_phone.text
    page = await browser.get(f"/office/members/{giulia}")
    assert page.status_code == 404 and "Giulia" not in page.text


def test_the_access_log_line_of_a_search_shows_no_phone() -> None:
    line = '127.0.0.1 - "GET /office/members?q=%2B39+347+123+4567 HTTP/1.1" 200'
    assert Redactor()(line) == '127.0.0.1 - "GET /office/members?[query] HTTP/1.1" 200'


async def test_the_owner_adjusts_points_with_a_note_and_the_audit_log_says_who_and_when(
    concierge: Concierge, browser: httpx.AsyncClient, clock: Clock
) -> None:
    giulia, marc = await enrolled(concierge)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get(f"/office/members/{giulia}")
    assert f'action="/office/members/{giulia}/points"' in page.text
    form = {"csrf": csrf(page), "points": "-50", "note": "Engraving offered"}
    done = await browser.post(f"/office/members/{giulia}/points", data=form)
    assert done.headers["location"] == f"/office/members/{giulia}"
    after = await browser.get(f"/office/members/{giulia}")
    assert "Adjustment: Engraving offered" in after.text and "-50" in after.text
    assert "Engraving" not in (await browser.get(f"/office/members/{marc}")).text
    log = await browser.get("/office/audit")
    row = re.search(
        r"<tr><td>[^<]*</td><td>owner@aurelia.example</td><td>points adjusted[^<]*", log.text
    )
    assert row and f"{giulia} -50" in row[0]
    async with concierge.db.unit_of_work() as uow:
        entry = (await office.audit_log(uow))[0]
    assert entry.at == clock.current


@pytest.mark.parametrize(
    ("points", "note"), [("0", "nothing"), ("-99999", "too many"), ("5", " ")]
)
async def test_an_adjustment_that_cannot_be_made_is_refused_and_nothing_written(
    concierge: Concierge, browser: httpx.AsyncClient, points: str, note: str
) -> None:
    giulia, _ = await enrolled(concierge)
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    page = await browser.get(f"/office/members/{giulia}")
    form = {"csrf": csrf(page), "points": points, "note": note}
    refused = await browser.post(f"/office/members/{giulia}/points", data=form)
    assert refused.status_code == 422 and "Not adjusted" in refused.text
    assert "points adjusted" not in (await browser.get("/office/audit")).text


async def test_staff_cannot_adjust_points_nor_anyone_without_the_csrf_token(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, _ = await enrolled(concierge)
    await member_of_staff(concierge, browser, "anna@aurelia.example", "staff")
    page = await browser.get(f"/office/members/{giulia}")
    assert "/points" not in page.text  # no form for staff
    form = {"csrf": csrf(page), "points": "500", "note": "a gift"}
    assert (await browser.post(f"/office/members/{giulia}/points", data=form)).status_code == 403
    browser.cookies.clear()
    await member_of_staff(concierge, browser, "owner@aurelia.example", "owner")
    for token in ({}, {"csrf": "forged"}):
        wrong = {"points": "500", "note": "a gift", **token}
        response = await browser.post(f"/office/members/{giulia}/points", data=wrong)
        assert response.status_code == 403
    assert "a gift" not in (await browser.get(f"/office/members/{giulia}")).text


async def test_a_visitor_cannot_adjust_points(
    concierge: Concierge, browser: httpx.AsyncClient
) -> None:
    giulia, _ = await enrolled(concierge)
    form = {"csrf": csrf(await browser.get("/office/sign-in")), "points": "5", "note": "a gift"}
    response = await browser.post(f"/office/members/{giulia}/points", data=form)
    assert response.headers["location"] == "/office/sign-in"
